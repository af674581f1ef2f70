"""Reviewer accounts: a one-time password that is spent and expires, a forced new password, reset and remove, and
sign-in throttling that a stranger cannot turn against the owner."""
from __future__ import annotations

import re
import sqlite3
import threading

import httpx

from sagelocal.cli import main as sagelocal_main
from sagelocal.config import Settings
from sagelocal.review.reviewers import MAX_FAILURES, Reviewers, _hash_password
from sagelocal.review.store import (ONE_TIME_PASSWORD_SECONDS, SCHEMA, TIME_COLUMNS, later, now, open_database,
                                    seconds_between)

from .conftest import CHOSEN_PASSWORD, row
from .test_portal_security import CSRF, choose_password, post_sign_in, signed_in


def _client(review, source: str = "127.0.0.1") -> httpx.Client:
    """A browser of its own at a loopback source address (every 127.x.y.z reaches the server)."""
    return httpx.Client(base_url=review.server.url, transport=httpx.HTTPTransport(local_address=source))


def test_a_one_time_password_works_once_then_only_for_choosing_a_password(review):
    review.start("event-1", {"rows": [row("1", 0.5)]})
    one_time = review.add_reviewer("alice")
    first = _client(review)
    signed = post_sign_in(first, "alice", one_time)
    assert (signed.status_code, signed.headers["location"]) == (303, "/portal/password")
    # Until a password is chosen, the session reaches nothing else.
    for path in ("/portal/tasks", "/portal/tasks/event-1", "/portal/task-uis/breast-cancer-review-ui/template"):
        assert first.get(path).headers["location"] == "/portal/password", path
    form = first.get("/portal/password").text
    csrf = CSRF.search(form).group(1)
    assert first.post("/portal/tasks/event-1/submit", data={"csrf": csrf, "answerContent": "{}"}).headers[
        "location"] == "/portal/password"
    assert review.a2i.describe_human_loop(HumanLoopName="event-1")["HumanLoopStatus"] == "InProgress"
    # The one-time password is spent: a second sign-in with it fails.
    assert post_sign_in(_client(review), "alice", one_time).status_code == 401

    weak = first.post("/portal/password", data={"password": "password", "confirm": "password", "csrf": csrf})
    assert weak.status_code == 400 and "Add an uppercase letter, a digit, a symbol." in weak.text
    differ = first.post("/portal/password", data={"password": CHOSEN_PASSWORD, "confirm": "x", "csrf": csrf})
    assert differ.status_code == 400 and "The two passwords differ." in differ.text
    chosen = choose_password(first)
    assert chosen.headers["location"] == "/portal/tasks" and first.get("/portal/tasks").status_code == 200
    assert post_sign_in(_client(review), "alice", CHOSEN_PASSWORD).headers["location"] == "/portal/tasks"
    assert post_sign_in(_client(review), "alice", one_time).status_code == 401


def test_a_one_time_password_expires_after_seven_days(review):
    one_time = review.add_reviewer("alice")
    stored = review.backend.db.query_one("SELECT created, password_expires FROM workers WHERE name = 'alice'")
    assert seconds_between(stored["created"], stored["password_expires"]) == ONE_TIME_PASSWORD_SECONDS == 7 * 24 * 3600
    with review.backend.db.transaction() as conn:
        conn.execute("UPDATE workers SET password_expires = ? WHERE name = 'alice'", (later(now(), -1),))
    refused = post_sign_in(_client(review), "alice", one_time)
    assert refused.status_code == 401 and "one-time password has expired" in refused.text
    assert "sl_session" not in refused.headers.get("set-cookie", "")


def test_reset_revokes_the_password_and_every_session(review, monkeypatch, capsys):
    monkeypatch.setenv("SAGELOCAL_HOME", str(review.server.settings.home))
    client, _ = signed_in(review.server.url, "alice", review.add_reviewer("alice"))
    assert sagelocal_main(["review", "workers", "reset", "alice"]) == 0
    new_one_time = re.search(r"one-time password \(shown only now, stored hashed\): (\S+)",
                             capsys.readouterr().out).group(1)
    assert client.get("/portal/tasks").headers["location"] == "/portal/sign-in"
    assert post_sign_in(_client(review), "alice", CHOSEN_PASSWORD).status_code == 401
    assert post_sign_in(_client(review), "alice", new_one_time).headers["location"] == "/portal/password"
    assert sagelocal_main(["review", "workers", "reset", "nobody"]) == 2
    assert "no reviewer named 'nobody'" in capsys.readouterr().err


def test_remove_ends_sessions_and_releases_held_tasks_but_keeps_answers(review, monkeypatch, capsys):
    monkeypatch.setenv("SAGELOCAL_HOME", str(review.server.settings.home))
    review.start("answered", {"rows": [row("a", 0.5)]})
    review.start("held", {"rows": [row("h", 0.5)]})
    ann, ann_csrf = signed_in(review.server.url, "ann", review.add_reviewer("ann"))
    ann.get("/portal/tasks/answered")
    ann.post("/portal/tasks/answered/submit", data={"csrf": ann_csrf, "answerContent": '{"reason1": "ann"}'})
    ann.get("/portal/tasks/held")
    ben, _ = signed_in(review.server.url, "ben", review.add_reviewer("ben"))
    assert "/portal/tasks/held" not in ben.get("/portal/tasks").text

    assert sagelocal_main(["review", "workers", "remove", "ann"]) == 0
    assert "reviewer ann removed" in capsys.readouterr().out
    assert ann.get("/portal/tasks").headers["location"] == "/portal/sign-in"
    assert "/portal/tasks/held" in ben.get("/portal/tasks").text
    assert review.output("answered")["humanAnswers"][0]["answerContent"] == {"reason1": "ann"}
    assert sagelocal_main(["review", "workers", "list"]) == 0
    listed = capsys.readouterr().out
    assert "ann" not in listed and re.search(r"ben .* pool us-east-1_sagelocal .* password set", listed)
    assert sagelocal_main(["review", "workers", "remove", "ann"]) == 2


def _fail(client: httpx.Client, name: str, times: int) -> list[int]:
    return [post_sign_in(client, name, f"wrong-{attempt}").status_code for attempt in range(times)]


def test_a_stranger_at_another_address_cannot_lock_the_owner_out(review):
    signed_in(review.server.url, "alice", review.add_reviewer("alice"))  # alice chose her password
    stranger = _client(review, "127.0.0.2")
    assert _fail(stranger, "alice", MAX_FAILURES + 1) == [401] * MAX_FAILURES + [429]
    assert post_sign_in(stranger, "alice", CHOSEN_PASSWORD).status_code == 429
    # The owner, from her own address and a browser that never signed in before, is not locked out.
    assert post_sign_in(_client(review), "alice", CHOSEN_PASSWORD).headers["location"] == "/portal/tasks"


def test_a_stranger_at_the_owners_address_cannot_lock_her_browser_out(review):
    """A loopback server: everyone's address is 127.0.0.1. The owner's browser, known by its device cookie from
    an earlier sign-in, keeps a count of its own."""
    owner, _ = signed_in(review.server.url, "alice", review.add_reviewer("alice"))
    assert owner.cookies.get("sl_device")
    stranger = _client(review)
    assert _fail(stranger, "alice", MAX_FAILURES + 1) == [401] * MAX_FAILURES + [429]
    owner.cookies.delete("sl_session")
    assert post_sign_in(owner, "alice", CHOSEN_PASSWORD).headers["location"] == "/portal/tasks"
    # The owner's own mistakes still count, in her browser's bucket.
    assert _fail(owner, "alice", MAX_FAILURES + 1) == [401] * MAX_FAILURES + [429]


def test_concurrent_wrong_attempts_get_exactly_the_allowed_checks(review):
    review.add_reviewer("alice")
    clients = [_client(review) for _ in range(30)]
    forms = [CSRF.search(client.get("/portal/sign-in").text).group(1) for client in clients]
    barrier, statuses = threading.Barrier(len(clients)), []

    def attempt(client: httpx.Client, csrf: str) -> None:
        barrier.wait()
        statuses.append(client.post("/portal/sign-in", data={"username": "alice", "password": "wrong",
                                                             "csrf": csrf}).status_code)

    threads = [threading.Thread(target=attempt, args=pair) for pair in zip(clients, forms)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * MAX_FAILURES + [429] * (len(clients) - MAX_FAILURES)


OLD_SCHEMA = """
CREATE TABLE team_groups (team TEXT NOT NULL, user_pool TEXT NOT NULL, user_group TEXT NOT NULL,
    PRIMARY KEY (team, user_group));
CREATE TABLE workers (name TEXT PRIMARY KEY, worker_id TEXT NOT NULL UNIQUE, sub TEXT NOT NULL, created REAL NOT NULL,
    salt BLOB NOT NULL, password_hash BLOB NOT NULL);
CREATE TABLE group_members (user_group TEXT NOT NULL, worker TEXT NOT NULL, PRIMARY KEY (user_group, worker));
CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, worker TEXT NOT NULL, csrf TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE sign_in_failures (username TEXT NOT NULL, at REAL NOT NULL);
"""


def test_a_review_db_of_the_previous_version_is_upgraded_in_place(tmp_path):
    """Its reviewers keep their accounts: their password was the one-time one, so it now asks for a new one."""
    settings = Settings(home=tmp_path)
    settings.home.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(settings.db_path("review")) as old:
        old.executescript(OLD_SCHEMA)
        old.execute("INSERT INTO team_groups VALUES ('team', 'us-east-1_Old', 'reviewers')")
        old.execute("INSERT INTO workers VALUES ('alice', 'abcdef0123456789', 'sub', 0, ?, ?)",
                    (b"s" * 16, _hash_password("old-password", b"s" * 16)))
        old.execute("INSERT INTO group_members VALUES ('reviewers', 'alice')")
    reviewers = Reviewers(open_database(settings))
    signed = reviewers.sign_in("alice", "old-password", "127.0.0.1", None)
    assert signed is not None and signed.password_change
    assert reviewers.list()[0]["user_pool"] == "us-east-1_Old"


def _version_1_schema() -> str:
    """This version's schema as version 1 declared it: every time column epoch seconds (REAL)."""
    names = "|".join({column for columns in TIME_COLUMNS.values() for column in columns})
    return re.sub(rf"\b({names}) TEXT", r"\1 REAL", SCHEMA)


def test_the_epoch_seconds_of_a_version_1_review_db_become_iso_text(tmp_path):
    settings = Settings(home=tmp_path)
    settings.home.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(settings.db_path("review")) as old:
        old.executescript(_version_1_schema())
        old.execute("PRAGMA user_version = 1")
        old.execute("INSERT INTO human_loops VALUES ('loop', 'arn', 'flow', 'flow-arn', 'InProgress', 1700000000.123, "
                    "4102444800, '{}', 's3://b/k', NULL, NULL)")
        old.execute("INSERT INTO assignments VALUES ('loop', 'alice', 1700000000.5, 1700000300, 1700000042.25, '{}')")
        old.execute("INSERT INTO workers VALUES ('alice', 'id', 'sub', 1700000000, x'00', x'00', 'pool', NULL)")
    db = open_database(settings)
    loop = db.query_one("SELECT created, expires FROM human_loops")
    assert dict(loop) == {"created": "2023-11-14T22:13:20.123+00:00", "expires": "2100-01-01T00:00:00.000+00:00"}
    answer = db.query_one("SELECT accepted, deadline, submitted FROM assignments")
    assert answer["submitted"] == "2023-11-14T22:14:02.250+00:00"
    assert seconds_between(answer["accepted"], answer["submitted"]) == 41.75
    worker = db.query_one("SELECT created, password_expires FROM workers")
    assert dict(worker) == {"created": "2023-11-14T22:13:20.000+00:00", "password_expires": None}
    assert db.query_one("PRAGMA user_version")[0] == 2
    # The open loop is still open: its expiry compares with now as text.
    assert db.query_one("SELECT COUNT(*) FROM human_loops WHERE expires > ?", (now(),))[0] == 1
