"""Reviewers: local accounts in user groups (the private workforce's "Cognito" pool), sign-in and sessions.

Passwords are stored as scrypt hashes with a per-account salt; the one-time password is shown once by the
CLI and never stored in clear. Session tokens are stored hashed too, so a copy of review.db signs no one in.
Sign-in is throttled per user name: after MAX_FAILURES failures in FAILURE_WINDOW seconds, refused until
the window passes.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from sagelocal.errors import UserError
from sagelocal.review.control import WORKTEAM_NAME
from sagelocal.review.store import now

MAX_FAILURES = 5
FAILURE_WINDOW = 300.0
SESSION_SECONDS = 12 * 3600
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class Throttled(Exception):
    """Too many failed sign-ins for this user name."""


def _hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Reviewers:
    """Accounts, group membership, sessions and the sign-in throttle in ``review.db``."""

    def __init__(self, db):
        self.db = db

    def add(self, name: str, team: str) -> str:
        """Create reviewer ``name`` in the user groups of workteam ``team``; return a one-time password."""
        if not WORKTEAM_NAME.match(name) or len(name) > 63:
            raise UserError(f"reviewer names are letters, digits and hyphens (at most 63): {name!r}")
        groups = [r["user_group"] for r in self.db.query("SELECT user_group FROM team_groups WHERE team = ?", (team,))]
        if not groups:
            raise UserError(f"no workteam named {team!r} (create it with CreateWorkteam first)")
        password = secrets.token_urlsafe(12)
        salt = secrets.token_bytes(16)
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM workers WHERE name = ?", (name,)).fetchone():
                raise UserError(f"reviewer {name!r} already exists")
            conn.execute("INSERT INTO workers VALUES (?, ?, ?, ?, ?, ?)",
                         (name, secrets.token_hex(8), str(uuid.uuid4()), now(), salt, _hash_password(password, salt)))
            conn.executemany("INSERT OR IGNORE INTO group_members VALUES (?, ?)", [(g, name) for g in groups])
        return password

    def worker(self, name: str):
        return self.db.query_one("SELECT * FROM workers WHERE name = ?", (name,))

    def list(self) -> list[dict]:
        rows = self.db.query("SELECT w.name, w.worker_id, group_concat(m.user_group, ', ') AS groups FROM workers w "
                             "LEFT JOIN group_members m ON m.worker = w.name GROUP BY w.name ORDER BY w.name")
        return [dict(r) for r in rows]

    def sign_in(self, name: str, password: str) -> tuple[str, str] | None:
        """``(session token, csrf token)`` for good credentials, None for bad ones; Throttled when locked."""
        moment = now()
        failures = self.db.query_one("SELECT COUNT(*) FROM sign_in_failures WHERE username = ? AND at > ?",
                                     (name, moment - FAILURE_WINDOW))[0]
        if failures >= MAX_FAILURES:
            raise Throttled()
        row = self.worker(name)
        # Hash even for unknown names, so timing does not tell which names exist.
        salt = row["salt"] if row else b"\0" * 16
        good = hmac.compare_digest(_hash_password(password, salt), row["password_hash"] if row else b"")
        with self.db.transaction() as conn:
            if not (row and good):
                conn.execute("DELETE FROM sign_in_failures WHERE at <= ?", (moment - FAILURE_WINDOW,))
                conn.execute("INSERT INTO sign_in_failures VALUES (?, ?)", (name, moment))
                return None
            conn.execute("DELETE FROM sign_in_failures WHERE username = ?", (name,))
            token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            conn.execute("DELETE FROM sessions WHERE expires < ?", (moment,))
            conn.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)",
                         (_hash_token(token), name, csrf, moment + SESSION_SECONDS))
        return token, csrf

    def session(self, token: str | None):
        """The session row (``worker``, ``csrf``) for a live token, else None."""
        if not token:
            return None
        return self.db.query_one("SELECT worker, csrf FROM sessions WHERE token_hash = ? AND expires > ?",
                                 (_hash_token(token), now()))

    def sign_out(self, token: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE token_hash = ?", (_hash_token(token),))
