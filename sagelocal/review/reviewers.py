"""Reviewers: local accounts in a user pool's groups (the private workforce's "Cognito"), sign-in and sessions.

Passwords are stored as scrypt hashes with a per-account salt. As with a Cognito user an administrator
creates, the CLI's password is temporary: it works for ONE sign-in within ONE_TIME_PASSWORD_SECONDS, and that
sign-in gets a session that can only set a new password (Cognito's NEW_PASSWORD_REQUIRED). Session and device
tokens are stored hashed, so a copy of review.db signs no one in.

Sign-in throttling. Failures are counted per (bucket, account name), where the bucket is the browser's device
token when it signed in to that account before, and its source address otherwise. After MAX_FAILURES failures in
FAILURE_WINDOW seconds that bucket is refused for that account until the window passes. So a stranger can spend
its own guesses, from its own address, but not the owner's: the owner's browser, known by its device token (an
HttpOnly cookie it got at its last sign-in), counts in a bucket of its own even when both share an address (a
loopback server, one proxy). What is left: the owner signing in from a new browser at the stranger's address
waits out the window. Each attempt takes its place in the count (one transaction) before the password is
checked, so concurrent attempts get exactly MAX_FAILURES checks, never more.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass

from sagelocal.errors import UserError
from sagelocal.review.control import WORKTEAM_NAME
from sagelocal.review.store import ONE_TIME_PASSWORD_SECONDS, later, now

MAX_FAILURES = 5
FAILURE_WINDOW = 300.0
SESSION_SECONDS = 12 * 3600
# Time to choose a password after signing in with a one-time one: Cognito's longest AuthSessionValidity.
PASSWORD_CHANGE_SECONDS = 15 * 60
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
# Cognito's default password policy: 8 or more characters with a lowercase and an uppercase letter, a digit and
# a symbol; 256 at most.
_POLICY = ((r"[a-z]", "a lowercase letter"), (r"[A-Z]", "an uppercase letter"), (r"[0-9]", "a digit"),
           (r"[^A-Za-z0-9\s]", "a symbol"))


class Throttled(Exception):
    """Too many failed sign-ins for this account from this browser or address."""


class PasswordExpired(Exception):
    """The one-time password was right but has expired: an administrator must reset it."""


@dataclass(frozen=True)
class SignedIn:
    token: str
    csrf: str
    password_change: bool
    device: str | None  # a new device token for the browser, or None when it already has a valid one


def _hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def password_problem(password: str) -> str | None:
    """Why ``password`` does not meet the policy, or None."""
    if not 8 <= len(password) <= 256:
        return "Use 8 to 256 characters."
    missing = [what for pattern, what in _POLICY if not re.search(pattern, password)]
    return f"Add {', '.join(missing)}." if missing else None


class Reviewers:
    """Accounts, group membership, sessions, devices and the sign-in throttle in ``review.db``."""

    def __init__(self, db):
        self.db = db

    # -- accounts (the CLI) -----------------------------------------------------------------------
    def add(self, name: str, team: str) -> str:
        """Create reviewer ``name`` in the user pool and groups of workteam ``team``; return a one-time password."""
        if not WORKTEAM_NAME.match(name) or len(name) > 63:
            raise UserError(f"reviewer names are letters, digits and hyphens (at most 63): {name!r}")
        password, salt = secrets.token_urlsafe(12), secrets.token_bytes(16)
        hashed = _hash_password(password, salt)
        with self.db.transaction() as conn:
            groups = conn.execute("SELECT user_pool, user_group FROM team_groups WHERE team = ?", (team,)).fetchall()
            if not groups:
                raise UserError(f"no workteam named {team!r} (create it with CreateWorkteam first)")
            if conn.execute("SELECT 1 FROM workers WHERE name = ?", (name,)).fetchone():
                raise UserError(f"reviewer {name!r} already exists")
            created = now()  # one instant: the password lasts exactly ONE_TIME_PASSWORD_SECONDS from creation
            conn.execute("INSERT INTO workers VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (name, secrets.token_hex(8), str(uuid.uuid4()), created, salt, hashed, groups[0]["user_pool"],
                          later(created, ONE_TIME_PASSWORD_SECONDS)))
            conn.executemany("INSERT OR IGNORE INTO group_members VALUES (?, ?)",
                             [(g["user_group"], name) for g in groups])
        return password

    def reset(self, name: str) -> str:
        """A new one-time password for ``name``: the old password stops working and every session ends."""
        password, salt = secrets.token_urlsafe(12), secrets.token_bytes(16)
        hashed = _hash_password(password, salt)
        with self.db.transaction() as conn:
            self._existing(conn, name)
            conn.execute("UPDATE workers SET salt = ?, password_hash = ?, password_expires = ? WHERE name = ?",
                         (salt, hashed, later(now(), ONE_TIME_PASSWORD_SECONDS), name))
            self._forget(conn, name)
        return password

    def remove(self, name: str) -> None:
        """Delete ``name``: its sessions end and the tasks it holds go back to the queue; its answers stay."""
        with self.db.transaction() as conn:
            self._existing(conn, name)
            conn.execute("DELETE FROM assignments WHERE worker = ? AND submitted IS NULL", (name,))
            conn.execute("DELETE FROM workers WHERE name = ?", (name,))  # cascades to groups, sessions, devices
            conn.execute("DELETE FROM sign_in_attempts WHERE username = ?", (name,))

    @staticmethod
    def _existing(conn, name: str) -> None:
        if not conn.execute("SELECT 1 FROM workers WHERE name = ?", (name,)).fetchone():
            raise UserError(f"no reviewer named {name!r} (see: sagelocal review workers list)")

    @staticmethod
    def _forget(conn, name: str) -> None:
        """End ``name``'s sessions, forget its devices and its failed sign-ins."""
        for table, column in (("sessions", "worker"), ("devices", "worker"), ("sign_in_attempts", "username")):
            conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (name,))

    def worker(self, name: str):
        return self.db.query_one("SELECT * FROM workers WHERE name = ?", (name,))

    def list(self) -> list[dict]:
        rows = self.db.query("SELECT w.name, w.worker_id, w.user_pool, w.password_expires, "
                             "group_concat(m.user_group, ', ') AS groups FROM workers w "
                             "LEFT JOIN group_members m ON m.worker = w.name GROUP BY w.name ORDER BY w.name")
        return [dict(r) for r in rows]

    # -- the portal -------------------------------------------------------------------------------
    def sign_in(self, name: str, password: str, source: str, device: str | None) -> SignedIn | None:
        """A session for good credentials, None for bad ones. Raises Throttled when this bucket is locked for
        ``name``, PasswordExpired for a right but expired one-time password."""
        if len(name) > 63:
            return None  # no account has such a name
        moment = now()
        bucket = self._bucket(name, source, device)
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM sign_in_attempts WHERE at <= ?", (later(moment, -FAILURE_WINDOW),))
            failures = conn.execute("SELECT COUNT(*) FROM sign_in_attempts WHERE bucket = ? AND username = ?",
                                    (bucket, name)).fetchone()[0]
            if failures >= MAX_FAILURES:
                raise Throttled()
            # Counted as a failure now, forgotten below if the password is right.
            conn.execute("INSERT INTO sign_in_attempts VALUES (?, ?, ?)", (bucket, name, moment))
        row = self.worker(name)
        # Hash even for unknown names, so timing does not tell which names exist.
        good = hmac.compare_digest(_hash_password(password, row["salt"] if row else b"\0" * 16),
                                   row["password_hash"] if row else b"")
        if not (row and good):
            return None
        with self.db.transaction() as conn:
            current = conn.execute("SELECT password_hash, password_expires FROM workers WHERE name = ?",
                                   (name,)).fetchone()
            if current is None or current["password_hash"] != row["password_hash"]:
                return None  # reset, removed, or the one-time password spent by a sign-in at the same moment
            one_time = current["password_expires"] is not None
            if one_time and current["password_expires"] <= moment:
                raise PasswordExpired()
            if one_time:
                conn.execute("UPDATE workers SET password_hash = x'' WHERE name = ?", (name,))  # spent
            conn.execute("DELETE FROM sign_in_attempts WHERE bucket = ? AND username = ?", (bucket, name))
            token, csrf = self._new_session(conn, name, moment, password_change=one_time)
            new_device = None
            if not bucket.startswith("device:"):
                new_device = secrets.token_urlsafe(32)
                conn.execute("INSERT INTO devices VALUES (?, ?)", (_hash_token(new_device), name))
        return SignedIn(token, csrf, one_time, new_device)

    def _bucket(self, name: str, source: str, device: str | None) -> str:
        """Where this attempt's failures count: the browser's device if it signed in to ``name`` before."""
        if device and self.db.query_one("SELECT 1 FROM devices WHERE token_hash = ? AND worker = ?",
                                        (_hash_token(device), name)):
            return "device:" + _hash_token(device)
        return "source:" + source

    @staticmethod
    def _new_session(conn, name: str, moment: str, password_change: bool = False) -> tuple[str, str]:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        conn.execute("DELETE FROM sessions WHERE expires < ?", (moment,))
        lifetime = PASSWORD_CHANGE_SECONDS if password_change else SESSION_SECONDS
        conn.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                     (_hash_token(token), name, csrf, later(moment, lifetime), int(password_change)))
        return token, csrf

    def set_password(self, token: str, password: str) -> tuple[str, str] | None:
        """Replace the one-time password of a password-change session; return a full session, or None when the
        session is gone. The caller checks :func:`password_problem` first."""
        salt = secrets.token_bytes(16)
        hashed = _hash_password(password, salt)
        moment = now()
        with self.db.transaction() as conn:
            session = conn.execute("SELECT worker FROM sessions WHERE token_hash = ? AND expires > ? AND "
                                   "password_change = 1", (_hash_token(token), moment)).fetchone()
            if session is None:
                return None
            name = session["worker"]
            conn.execute("UPDATE workers SET salt = ?, password_hash = ?, password_expires = NULL WHERE name = ?",
                         (salt, hashed, name))
            conn.execute("DELETE FROM sessions WHERE worker = ?", (name,))
            return self._new_session(conn, name, moment)

    def session(self, token: str | None):
        """The session row (``worker``, ``csrf``, ``password_change``) for a live token, else None."""
        if not token:
            return None
        return self.db.query_one("SELECT worker, csrf, password_change FROM sessions WHERE token_hash = ? AND "
                                 "expires > ?", (_hash_token(token), now()))

    def sign_out(self, token: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE token_hash = ?", (_hash_token(token),))
