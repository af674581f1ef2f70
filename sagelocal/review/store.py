"""The review room's SQLite schema (``review.db``) and the time formats A2I uses."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from sagelocal.config import Settings
from sagelocal.storage.sqlite import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS task_uis (
    name TEXT PRIMARY KEY, arn TEXT NOT NULL, created REAL NOT NULL, content TEXT NOT NULL, sha256 TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS workteams (
    name TEXT PRIMARY KEY, arn TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL, request TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS team_groups (
    team TEXT NOT NULL REFERENCES workteams(name) ON DELETE CASCADE, user_pool TEXT NOT NULL,
    user_group TEXT NOT NULL, PRIMARY KEY (team, user_group)
);
CREATE TABLE IF NOT EXISTS flow_definitions (
    name TEXT PRIMARY KEY, arn TEXT NOT NULL, created REAL NOT NULL, request TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS human_loops (
    name TEXT PRIMARY KEY, arn TEXT NOT NULL, flow_name TEXT NOT NULL, flow_arn TEXT NOT NULL,
    status TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL, input TEXT NOT NULL,
    output_uri TEXT NOT NULL, failure_code TEXT, failure_reason TEXT
);
CREATE INDEX IF NOT EXISTS loops_by_flow ON human_loops (flow_arn, created, name);
CREATE INDEX IF NOT EXISTS loops_open ON human_loops (status, expires);
CREATE TABLE IF NOT EXISTS workers (
    name TEXT PRIMARY KEY, worker_id TEXT NOT NULL UNIQUE, sub TEXT NOT NULL, created REAL NOT NULL,
    salt BLOB NOT NULL, password_hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS group_members (
    user_group TEXT NOT NULL, worker TEXT NOT NULL REFERENCES workers(name) ON DELETE CASCADE,
    PRIMARY KEY (user_group, worker)
);
CREATE TABLE IF NOT EXISTS assignments (
    loop TEXT NOT NULL REFERENCES human_loops(name) ON DELETE CASCADE, worker TEXT NOT NULL,
    accepted REAL NOT NULL, deadline REAL NOT NULL, submitted REAL, answer TEXT,
    PRIMARY KEY (loop, worker)
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, worker TEXT NOT NULL REFERENCES workers(name) ON DELETE CASCADE,
    csrf TEXT NOT NULL, expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sign_in_failures (username TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_by_user ON sign_in_failures (username, at);
"""


def open_database(settings: Settings) -> Database:
    return Database(settings.db_path("review"), SCHEMA)


def now() -> float:
    # Milliseconds, as AWS reports times: a CreationTime read back and sent as a filter then compares equal.
    return round(time.time(), 3)


def as_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def iso_millis(epoch: float) -> str:
    """``2021-02-17T19:20:52.563Z``, the timestamp format of output.json."""
    return as_datetime(epoch).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(epoch * 1000) % 1000:03d}Z"
