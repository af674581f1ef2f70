"""Log events in SQLite (``logs.db``), ingested from the source files as a log agent tails them.

Each sync reads what the files gained since the last one, line by line, and appends the lines to their stream
with increasing sequence numbers (timestamps never decrease with them, so the primary key serves time filters
too), so a stream only ever grows at its end (what GetLogEvents' tokens and the
SDK's position-and-skip reader rely on). A line's timestamp is when it was ingested, or, for lines found in a
file that had stopped changing, the file's last modification; never earlier than the stream's last event.
"""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from sagelocal.logs.sources import Source
from sagelocal.storage.sqlite import Database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS streams (
    id INTEGER PRIMARY KEY, grp TEXT NOT NULL, name TEXT NOT NULL, creation INTEGER NOT NULL,
    offsets TEXT NOT NULL DEFAULT '{}', first_ts INTEGER, last_ts INTEGER, last_ingestion INTEGER,
    stored_bytes INTEGER NOT NULL DEFAULT 0, events INTEGER NOT NULL DEFAULT 0, UNIQUE (grp, name)
);
CREATE TABLE IF NOT EXISTS events (
    stream INTEGER NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, ingestion INTEGER NOT NULL,
    message TEXT NOT NULL, PRIMARY KEY (stream, seq)
) WITHOUT ROWID;
"""
MAX_EVENT_BYTES = 256 * 1024  # CloudWatch's largest event


def _now_ms() -> int:
    return int(time.time() * 1000)


class LogStore:
    def __init__(self, path: Path):
        self.db = Database(path, _SCHEMA)
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], tuple] = {}  # (group, stream) -> file states at the last sync

    def sync(self, sources: list[Source]) -> None:
        """Ingest what every source's files gained since the last sync."""
        with self._lock:
            for source in sources:
                state = tuple(_state(path) for path in source.files) + (source.final,)
                key = (source.group, source.stream)
                if self._seen.get(key) != state:
                    self._ingest(source)
                    self._seen[key] = state

    def _ingest(self, source: Source) -> None:
        with self.db.transaction() as conn:
            row = conn.execute("SELECT * FROM streams WHERE grp = ? AND name = ?",
                               (source.group, source.stream)).fetchone()
            if row is None:
                cursor = conn.execute("INSERT INTO streams (grp, name, creation) VALUES (?, ?, ?)",
                                      (source.group, source.stream, source.creation_ms))
                row = conn.execute("SELECT * FROM streams WHERE id = ?", (cursor.lastrowid,)).fetchone()
            offsets = json.loads(row["offsets"])
            now = _now_ms()
            ts = row["last_ts"] or 0
            lines: list[str] = []
            for path in source.files:
                if not path.is_file():
                    continue
                stat = path.stat()
                start = offsets.get(path.name, 0)
                if stat.st_size < start:  # replaced by a shorter file: read the new one from its start
                    start = 0
                added, consumed = _read_lines(path, start, source.final, source.rewrites)
                offsets[path.name] = start + consumed
                if added:
                    lines += added
                    ts = max(ts, min(now, int(stat.st_mtime * 1000)))
            if not lines:
                conn.execute("UPDATE streams SET offsets = ? WHERE id = ?", (json.dumps(offsets), row["id"]))
                return
            seq = row["events"]
            conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)",
                             ((row["id"], seq + n, ts, now, line) for n, line in enumerate(lines, start=1)))
            conn.execute("UPDATE streams SET offsets = ?, first_ts = COALESCE(first_ts, ?), last_ts = ?, "
                         "last_ingestion = ?, stored_bytes = stored_bytes + ?, events = events + ? WHERE id = ?",
                         (json.dumps(offsets), ts, ts, now, sum(len(line) for line in lines), len(lines), row["id"]))

    # -- reading ------------------------------------------------------------------------------
    def groups(self) -> list:
        return self.db.query("SELECT grp, MIN(creation) AS creation, SUM(stored_bytes) AS stored_bytes "
                             "FROM streams GROUP BY grp ORDER BY grp")

    def streams(self, group: str) -> list:
        return self.db.query("SELECT * FROM streams WHERE grp = ? ORDER BY name", (group,))

    def stream(self, group: str, name: str):
        return self.db.query_one("SELECT * FROM streams WHERE grp = ? AND name = ?", (group, name))

    def page(self, stream_id: int, after: int | None, before: int | None, start: int | None, end: int | None,
             limit: int, from_tail: bool) -> list:
        """Events of one stream with after < seq < before and start <= ts < end, ``limit`` of them from the head
        (or the tail), in ascending order, as plain (seq, ts, ingestion, message, message bytes) tuples: paging
        100,000 events must not pay for a Row object each."""
        sql = "SELECT seq, ts, ingestion, message, length(CAST(message AS BLOB)) FROM events WHERE stream = ?"
        params = [stream_id]
        for clause, value in (("seq > ?", after), ("seq < ?", before), ("ts >= ?", start), ("ts < ?", end)):
            if value is not None:
                sql, params = sql + f" AND {clause}", params + [value]
        sql += f" ORDER BY seq {'DESC' if from_tail else 'ASC'} LIMIT ?"
        cursor = self.db.connection().cursor()
        cursor.row_factory = None
        rows = cursor.execute(sql, tuple(params + [limit])).fetchall()
        return rows[::-1] if from_tail else rows

    def scan(self, stream_ids: list[int], position: tuple[int, int, int], start: int | None, end: int | None,
             chunk: int) -> list:
        """Events of several streams in (timestamp, stream, seq) order after ``position``, ``chunk`` at most."""
        marks = ",".join("?" * len(stream_ids))
        sql = (f"SELECT stream, seq, ts, ingestion, message FROM events WHERE stream IN ({marks}) "
               "AND (ts, stream, seq) > (?, ?, ?)")
        params = [*stream_ids, *position]
        for clause, value in (("ts >= ?", start), ("ts < ?", end)):
            if value is not None:
                sql, params = sql + f" AND {clause}", params + [value]
        return self.db.query(sql + " ORDER BY ts, stream, seq LIMIT ?", tuple(params + [chunk]))


def _state(path: Path) -> tuple:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return (None,)
    return (stat.st_size, stat.st_mtime_ns)


def _read_lines(path: Path, start: int, final: bool, rewrites) -> tuple[list[str], int]:
    """The complete lines from byte ``start`` (and the unterminated tail when ``final``), and the bytes consumed."""
    with path.open("rb") as handle:
        handle.seek(start)
        data = handle.read()
    end = len(data) if final else data.rfind(b"\n") + 1
    text = data[:end].decode("utf-8", "replace")
    for local, container in rewrites:
        text = text.replace(local, container)
    lines = [line[:MAX_EVENT_BYTES] for line in text.splitlines() if line.strip()]
    return lines, end
