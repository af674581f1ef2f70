"""The portal over plain HTTP: cookies, CSRF, team isolation, sign-in throttling."""
from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from .conftest import CHOSEN_PASSWORD, PROJECT_TEMPLATE, make_flow, row

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def post_sign_in(client: httpx.Client, name: str, password: str) -> httpx.Response:
    form = client.get("/portal/sign-in")
    return client.post("/portal/sign-in", data={"username": name, "password": password,
                                                "csrf": CSRF.search(form.text).group(1)})


def choose_password(client: httpx.Client, password: str = CHOSEN_PASSWORD) -> httpx.Response:
    form = client.get("/portal/password")
    return client.post("/portal/password", data={"password": password, "confirm": password,
                                                 "csrf": CSRF.search(form.text).group(1)})


def signed_in(base_url: str, name: str, password: str) -> tuple[httpx.Client, str]:
    """An HTTP client with a portal session (past the one-time password), and the session's CSRF token."""
    client = httpx.Client(base_url=base_url)
    response = post_sign_in(client, name, password)
    assert response.status_code == 303, response.text
    if response.headers["location"] == "/portal/password":
        assert choose_password(client).headers["location"] == "/portal/tasks"
    tasks = client.get("/portal/tasks")
    return client, CSRF.search(tasks.text).group(1)


def test_session_cookie_is_httponly_and_samesite(review):
    password = review.add_reviewer("alice")
    client = httpx.Client(base_url=review.server.url)
    form = client.get("/portal/sign-in")
    assert "HttpOnly" in form.headers["set-cookie"] and "SameSite=strict" in form.headers["set-cookie"]
    response = client.post("/portal/sign-in", data={"username": "alice", "password": password,
                                                     "csrf": CSRF.search(form.text).group(1)})
    session_cookie = [c for c in response.headers.get_list("set-cookie") if c.startswith("sl_session=")][0]
    assert "HttpOnly" in session_cookie and "SameSite=strict" in session_cookie and "Path=/portal" in session_cookie
    chosen = choose_password(client)
    session_cookie = [c for c in chosen.headers.get_list("set-cookie") if c.startswith("sl_session=")][0]
    assert "HttpOnly" in session_cookie and "SameSite=strict" in session_cookie and "Path=/portal" in session_cookie
    policy = client.get("/portal/tasks").headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy


def test_pages_need_a_session(review):
    review.start("event-1", {"rows": [row("1", 0.5)]})
    anonymous = httpx.Client(base_url=review.server.url)
    for path in ("/portal/tasks", "/portal/tasks/event-1", "/portal/task-uis/breast-cancer-review-ui/template"):
        response = anonymous.get(path)
        assert (response.status_code, response.headers["location"]) == (303, "/portal/sign-in")
    refused = anonymous.post("/portal/tasks/event-1/submit", data={"csrf": "x", "answerContent": "{}"})
    assert refused.status_code == 303
    assert review.a2i.describe_human_loop(HumanLoopName="event-1")["HumanLoopStatus"] == "InProgress"


def test_sign_in_form_needs_its_csrf_token(review):
    password = review.add_reviewer("alice")
    forged = httpx.post(f"{review.server.url}/portal/sign-in",
                        data={"username": "alice", "password": password, "csrf": "guess"})
    assert forged.status_code == 403 and "sl_session" not in forged.headers.get("set-cookie", "")


def test_submission_needs_the_session_csrf_token(review):
    review.start("event-2", {"rows": [row("2", 0.5)]})
    client, csrf = signed_in(review.server.url, "alice", review.add_reviewer("alice"))
    assert client.get("/portal/tasks/event-2").status_code == 200
    forged = client.post("/portal/tasks/event-2/submit",
                         data={"csrf": "not-" + csrf, "answerContent": json.dumps({"reason1": "forged"})})
    assert forged.status_code == 403
    assert review.a2i.describe_human_loop(HumanLoopName="event-2")["HumanLoopStatus"] == "InProgress"
    good = client.post("/portal/tasks/event-2/submit", data={"csrf": csrf, "answerContent": '{"reason1": "ok"}'})
    assert good.status_code == 303
    assert review.a2i.describe_human_loop(HumanLoopName="event-2")["HumanLoopStatus"] == "Completed"


def test_reviewers_see_only_their_teams_tasks(review):
    other_flow = make_flow(review.sagemaker, "radiology-review", PROJECT_TEMPLATE.read_text(), "radiologists")
    review.start("ours", {"rows": [row("o", 0.5)]})
    review.start("theirs", {"rows": [row("t", 0.5)]}, flow_arn=other_flow)
    client, _ = signed_in(review.server.url, "alice", review.add_reviewer("alice"))
    listing = client.get("/portal/tasks").text
    assert "/portal/tasks/ours" in listing and "/portal/tasks/theirs" not in listing
    assert client.get("/portal/tasks/theirs").status_code == 404
    csrf = CSRF.search(listing).group(1)
    assert client.post("/portal/tasks/theirs/submit", data={"csrf": csrf, "answerContent": "{}"}).status_code == 404
    radiologist, _ = signed_in(review.server.url, "rita", review.add_reviewer("rita", team="radiologists"))
    assert "/portal/tasks/theirs" in radiologist.get("/portal/tasks").text


def test_sign_in_is_throttled_after_failures(review):
    password = review.add_reviewer("alice")
    client = httpx.Client(base_url=review.server.url)
    statuses = []
    for attempt in range(6):
        csrf = CSRF.search(client.get("/portal/sign-in").text).group(1)
        statuses.append(client.post("/portal/sign-in", data={"username": "alice", "password": f"wrong{attempt}",
                                                              "csrf": csrf}).status_code)
    csrf = CSRF.search(client.get("/portal/sign-in").text).group(1)
    right = client.post("/portal/sign-in", data={"username": "alice", "password": password, "csrf": csrf})
    assert statuses == [401] * 5 + [429]
    assert right.status_code == 429 and "Too many failed sign-ins" in right.text
    # Another account is not locked by alice's failures.
    bob = review.add_reviewer("bob")
    csrf = CSRF.search(client.get("/portal/sign-in").text).group(1)
    assert client.post("/portal/sign-in", data={"username": "bob", "password": bob, "csrf": csrf}).status_code == 303


def test_passwords_are_stored_hashed(review):
    password = review.add_reviewer("alice")
    stored = review.backend.db.query_one("SELECT salt, password_hash FROM workers WHERE name = 'alice'")
    assert len(stored["salt"]) == 16 and len(stored["password_hash"]) == 64
    files = [Path(review.backend.db.path), Path(review.backend.db.path + "-wal")]
    assert not any(password.encode() in path.read_bytes() for path in files if path.exists())


def test_grant_read_access_links_serve_only_signed_objects_to_reviewers(review):
    s3 = review.backend.loops.s3
    s3.write_bytes("s3://review-bucket/scans/one.txt", b"scan one")
    template = '<crowd-form><a id="scan" href="{{ task.input.scan | grant_read_access }}">scan</a></crowd-form>'
    flow = make_flow(review.sagemaker, "scans", template, review.team)
    review.start("scan-loop", {"scan": "s3://review-bucket/scans/one.txt"}, flow_arn=flow)
    client, _ = signed_in(review.server.url, "alice", review.add_reviewer("alice"))
    page = client.get("/portal/tasks/scan-loop").text
    link = re.search(r'id="scan" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert link.startswith("/portal/objects/review-bucket/scans/one.txt?expires=")
    assert client.get(link).content == b"scan one"
    assert client.get(link.replace("one.txt", "two.txt")).status_code == 403
    assert client.get(link[:-4] + "0000").status_code == 403
    assert httpx.get(review.server.url + link).status_code == 303


def test_the_task_ui_url_serves_the_template_to_reviewers(review):
    described = review.sagemaker.describe_human_task_ui(HumanTaskUiName="breast-cancer-review-ui")
    client, _ = signed_in(review.server.url, "alice", review.add_reviewer("alice"))
    assert client.get(described["UiTemplate"]["Url"]).text == PROJECT_TEMPLATE.read_text()
