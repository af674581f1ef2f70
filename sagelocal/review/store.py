"""The review room's SQLite schema (``review.db``), its upgrade from older versions, and its times.

Times are kept as every store keeps them, ISO-8601 text in UTC, here to the millisecond and always that wide, so
that text order is time order in SQL (``expires <= ?``).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sagelocal.clock import as_utc_datetime, utc_now
from sagelocal.config import Settings
from sagelocal.storage.sqlite import Database
from sagelocal.storage.sqlite import start_up

# How long a one-time password works: Cognito's default TemporaryPasswordValidityDays (7).
ONE_TIME_PASSWORD_SECONDS = 7 * 24 * 3600

SCHEMA = """
CREATE TABLE IF NOT EXISTS task_uis (
    name TEXT PRIMARY KEY, arn TEXT NOT NULL, created TEXT NOT NULL, content TEXT NOT NULL, sha256 TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS workteams (
    name TEXT PRIMARY KEY, arn TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL, request TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS team_groups (
    team TEXT NOT NULL REFERENCES workteams(name) ON DELETE CASCADE, user_pool TEXT NOT NULL,
    user_group TEXT NOT NULL, PRIMARY KEY (team, user_group)
);
CREATE TABLE IF NOT EXISTS flow_definitions (
    name TEXT PRIMARY KEY, arn TEXT NOT NULL, created TEXT NOT NULL, request TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS human_loops (
    name TEXT PRIMARY KEY, arn TEXT NOT NULL, flow_name TEXT NOT NULL, flow_arn TEXT NOT NULL,
    status TEXT NOT NULL, created TEXT NOT NULL, expires TEXT NOT NULL, input TEXT NOT NULL,
    output_uri TEXT NOT NULL, failure_code TEXT, failure_reason TEXT
);
CREATE INDEX IF NOT EXISTS loops_by_flow ON human_loops (flow_arn, created, name);
CREATE INDEX IF NOT EXISTS loops_open ON human_loops (status, expires);
CREATE TABLE IF NOT EXISTS workers (
    name TEXT PRIMARY KEY, worker_id TEXT NOT NULL UNIQUE, sub TEXT NOT NULL, created TEXT NOT NULL,
    salt BLOB NOT NULL, password_hash BLOB NOT NULL, user_pool TEXT, password_expires TEXT
);
CREATE TABLE IF NOT EXISTS group_members (
    user_group TEXT NOT NULL, worker TEXT NOT NULL REFERENCES workers(name) ON DELETE CASCADE,
    PRIMARY KEY (user_group, worker)
);
CREATE TABLE IF NOT EXISTS assignments (
    loop TEXT NOT NULL REFERENCES human_loops(name) ON DELETE CASCADE, worker TEXT NOT NULL,
    accepted TEXT NOT NULL, deadline TEXT NOT NULL, submitted TEXT, answer TEXT,
    PRIMARY KEY (loop, worker)
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, worker TEXT NOT NULL REFERENCES workers(name) ON DELETE CASCADE,
    csrf TEXT NOT NULL, expires TEXT NOT NULL, password_change INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sign_in_attempts (bucket TEXT NOT NULL, username TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS attempts_by_bucket ON sign_in_attempts (bucket, username, at);
CREATE TABLE IF NOT EXISTS devices (
    token_hash TEXT PRIMARY KEY, worker TEXT NOT NULL REFERENCES workers(name) ON DELETE CASCADE
);
"""
# workers.password_expires: when the one-time password stops working; NULL once the reviewer chose a password.
# sessions.password_change: a session that may only set a new password (after signing in with a one-time one).
SCHEMA_VERSION = 2
# Every time column, which version 1 kept as epoch seconds (REAL).
TIME_COLUMNS = {"task_uis": ("created",), "workteams": ("created", "updated"), "flow_definitions": ("created",),
                "human_loops": ("created", "expires"), "workers": ("created", "password_expires"),
                "assignments": ("accepted", "deadline", "submitted"), "sessions": ("expires",),
                "sign_in_attempts": ("at",)}
# SQLite's rendering of epoch seconds as :func:`stamp` writes them (``%f`` is seconds with milliseconds).
_EPOCH_TO_STAMP = "strftime('%Y-%m-%dT%H:%M:%f+00:00', {column}, 'unixepoch')"


def open_database(settings: Settings) -> Database:
    db = Database(settings.db_path("review"), SCHEMA)
    start_up(lambda: _upgrade(db))
    return db


def _upgrade(db: Database) -> None:
    """Bring a review.db written by an older version to this schema, keeping every row."""
    with db.transaction() as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version >= SCHEMA_VERSION:
            return
        if "user_pool" not in {row["name"] for row in conn.execute("PRAGMA table_info(workers)")}:
            conn.execute("ALTER TABLE workers ADD COLUMN user_pool TEXT")
            conn.execute("ALTER TABLE workers ADD COLUMN password_expires TEXT")
            conn.execute("ALTER TABLE sessions ADD COLUMN password_change INTEGER NOT NULL DEFAULT 0")
            # A reviewer then belonged to the pool of the workteam it was added to. Its password is the one-time
            # password it was given: from now on it expires, and the first sign-in asks for a new one.
            conn.execute("UPDATE workers SET password_expires = ?, user_pool = (SELECT g.user_pool FROM "
                         "group_members m JOIN team_groups g ON g.user_group = m.user_group "
                         "WHERE m.worker = workers.name LIMIT 1)", (later(now(), ONE_TIME_PASSWORD_SECONDS),))
        conn.execute("DROP TABLE IF EXISTS sign_in_failures")
        # Version 1 kept epoch seconds: each becomes the ISO text of the same millisecond. (A column keeps the
        # REAL type it was declared with; SQLite stores this text as text in it, and the rows read alike.)
        for table, columns in TIME_COLUMNS.items():
            for column in columns:
                conn.execute(f"UPDATE {table} SET {column} = {_EPOCH_TO_STAMP.format(column=column)} "
                             f"WHERE typeof({column}) IN ('real', 'integer')")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def stamp(moment: datetime) -> str:
    """``2021-02-17T19:20:52.563+00:00``: a moment as this store keeps it."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def now() -> str:
    # Milliseconds, as AWS reports times: a CreationTime read back and sent as a filter then compares equal.
    return stamp(utc_now())


def later(moment: str, seconds: float) -> str:
    return stamp(as_utc_datetime(moment) + timedelta(seconds=seconds))


def seconds_between(start: str, end: str) -> float:
    return round((as_utc_datetime(end) - as_utc_datetime(start)).total_seconds(), 3)


def iso_millis(moment: str) -> str:
    """``2021-02-17T19:20:52.563Z``, the timestamp format of output.json."""
    return moment.replace("+00:00", "Z")
