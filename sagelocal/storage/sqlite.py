"""SQLite stores shared by the rooms: one file per room, WAL, one connection per thread."""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sagelocal.errors import ServiceError

log = logging.getLogger(__name__)

# Primary result codes that mean the file itself is damaged, not that a statement failed.
_DAMAGED = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
# Primary result codes that mean the file cannot take a write just now: a read-only or full disk, an I/O error.
_UNWRITABLE = (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN)
# SQLite gives the -wal and -shm files the database file's own permissions.
_COMPANIONS = ("", "-wal", "-shm")


class DatabaseUnavailable(ServiceError):
    """A store whose file is not a usable SQLite database: only the operations that use it fail, with this."""

    code = "InternalFailure"
    status = 500

    def __init__(self, path: str, error: sqlite3.DatabaseError):
        super().__init__(f"{path} is not a usable SQLite database ({error}). The operations that keep their state "
                         "in it fail until it is restored from a backup or moved away (a new, empty one is then "
                         "created at the next start); the rest of the server is unaffected.")


class StoreUnwritable(ServiceError):
    """A store the disk cannot write just now (read-only, full): the operation fails, nothing is half-written."""

    code = "InternalFailure"
    status = 500

    def __init__(self, path: str, error: sqlite3.DatabaseError):
        super().__init__(f"{path} cannot be written ({error}): the disk is read-only or full. Nothing of this "
                         "request was saved; it succeeds again once the disk takes writes.")


def renamed_database(former: Path, path: Path) -> Path:
    """``path``, after moving there the database an older version kept as ``former`` (with its -wal and -shm
    files): a home written by that version keeps its state. Another process moving it at the same moment is fine."""
    if not path.exists():
        for suffix in (*_COMPANIONS[1:], ""):  # the file itself last: once it is there, its journal is too
            try:
                os.rename(f"{former}{suffix}", f"{path}{suffix}")
            except FileNotFoundError:
                pass
    return path


class Database:
    """A SQLite file with a schema, safe to use from several threads.

    Writes go through :meth:`transaction` (``BEGIN IMMEDIATE``), so concurrent writers queue instead of
    failing, and ``synchronous=FULL`` makes a committed row survive a crash of the process. There is one
    connection per thread, so :meth:`query` and :meth:`query_one` called inside a ``transaction()`` block read
    within that transaction: a read-modify-write done there cannot undo another writer's change. The file (and so
    its -wal and -shm files) is readable by its owner only. A damaged file does not stop the process: every
    use of it raises :class:`DatabaseUnavailable`, naming the file.
    """

    def __init__(self, path: Path | str, schema: str):
        self.path = str(path)
        self._local = threading.local()
        self._damage: sqlite3.DatabaseError | None = None
        _make_private(self.path)
        try:
            self.connection().executescript(schema)
        except sqlite3.DatabaseError as error:
            if not _damaged(error):
                raise
            self._damage = error
            log.error("%s", DatabaseUnavailable(self.path, error).message)

    def connection(self) -> sqlite3.Connection:
        if self._damage is not None:
            raise DatabaseUnavailable(self.path, self._damage)
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._reporting_damage():
            conn = self.connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:  # SQLite has already rolled back after some errors (a full disk)
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def add_missing_columns(self, table: str, columns: dict[str, str]) -> None:
        """Add the columns a newer version declares (``{name: declaration}``) to a table an older one created."""
        with self.transaction() as conn:
            present = {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}
            for name, declaration in columns.items():
                if name not in present:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        with self._reporting_damage():
            return self.connection().execute(sql, params).fetchall()

    def query_one(self, sql: str, params: tuple | dict = ()) -> sqlite3.Row | None:
        with self._reporting_damage():
            return self.connection().execute(sql, params).fetchone()

    @contextmanager
    def _reporting_damage(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as error:
            if _damaged(error):
                raise DatabaseUnavailable(self.path, error) from None
            if _primary(error) in _UNWRITABLE:
                raise StoreUnwritable(self.path, error) from None
            raise


def _primary(error: sqlite3.DatabaseError) -> int:
    return getattr(error, "sqlite_errorcode", 0) & 0xFF


def _damaged(error: sqlite3.DatabaseError) -> bool:
    return _primary(error) in _DAMAGED


def _make_private(path: str) -> None:
    """Create the file 0600 (SQLite would follow the umask), and close up one an older version left readable."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    for suffix in _COMPANIONS:
        try:
            if os.stat(path + suffix).st_mode & 0o077:
                os.chmod(path + suffix, 0o600)
        except FileNotFoundError:
            pass


def start_up(*chores) -> None:
    """Run start-up chores (migrations, settling what a crash left). A damaged database is skipped here: it was
    logged when opened, its own operations report it, and the rest of the server starts. So is one on a
    read-only or full disk: the chore runs again at the next start."""
    for chore in chores:
        try:
            chore()
        except DatabaseUnavailable:
            pass
        except StoreUnwritable as error:
            log.warning("start-up work skipped: %s", error.message)
