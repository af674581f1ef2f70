"""Metric datapoints in SQLite (``metrics.db``): each row a statistic set (SampleCount, Sum, Minimum, Maximum) of
one metric, a namespace, a name and a dimension set, at a timestamp (epoch seconds). A single value is the set
(1, v, v, v), as CloudWatch treats it. ``source`` names where a row came from, so a source is ingested once.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sagelocal.storage.sqlite import Database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS datapoints (
    namespace TEXT NOT NULL, name TEXT NOT NULL, dimensions TEXT NOT NULL, ts REAL NOT NULL,
    sample_count REAL NOT NULL, total REAL NOT NULL, minimum REAL NOT NULL, maximum REAL NOT NULL, unit TEXT
);
CREATE INDEX IF NOT EXISTS datapoints_by_metric ON datapoints (namespace, name, dimensions, ts);
CREATE TABLE IF NOT EXISTS sources (source TEXT PRIMARY KEY);
"""


@dataclass(frozen=True)
class Datapoint:
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]  # sorted (Name, Value) pairs
    ts: float
    sample_count: float
    total: float
    minimum: float
    maximum: float
    unit: str | None = None

    @classmethod
    def single(cls, namespace, name, dimensions, ts, value, unit=None) -> "Datapoint":
        return cls(namespace, name, canonical(dimensions), ts, 1.0, value, value, value, unit)


def canonical(dimensions) -> tuple[tuple[str, str], ...]:
    """Dimensions (a list of {Name, Value} or of pairs) as sorted pairs: the key a metric is stored under."""
    pairs = [(d["Name"], d["Value"]) if isinstance(d, dict) else tuple(d) for d in dimensions or ()]
    return tuple(sorted(pairs))


def dimensions_text(dimensions: tuple[tuple[str, str], ...]) -> str:
    return json.dumps(dimensions, separators=(",", ":"))


class MetricStore:
    def __init__(self, path: Path):
        self.db = Database(path, _SCHEMA)

    def put(self, points: list[Datapoint], source: str | None = None) -> bool:
        """Store ``points``; with a ``source`` already stored, nothing (returns False)."""
        with self.db.transaction() as conn:
            if source is not None:
                if conn.execute("SELECT 1 FROM sources WHERE source = ?", (source,)).fetchone():
                    return False
                conn.execute("INSERT INTO sources VALUES (?)", (source,))
            conn.executemany("INSERT INTO datapoints VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             [(p.namespace, p.name, dimensions_text(p.dimensions), p.ts, p.sample_count, p.total,
                               p.minimum, p.maximum, p.unit) for p in points])
        return True

    def has_source(self, source: str) -> bool:
        return self.db.query_one("SELECT 1 FROM sources WHERE source = ?", (source,)) is not None

    def metrics(self) -> list:
        """Every (namespace, name, dimensions) with its latest timestamp."""
        return self.db.query("SELECT namespace, name, dimensions, MAX(ts) AS latest FROM datapoints "
                             "GROUP BY namespace, name, dimensions ORDER BY namespace, name, dimensions")

    def buckets(self, namespace: str, name: str, dimensions: tuple, start: float, end: float, period: int,
                unit: str | None) -> list:
        """Statistic sets of one metric with start <= ts < end, aggregated per ``period`` seconds (periods start at
        multiples of ``period`` since the epoch), as (bucket start, statistics) rows in time order."""
        sql = ("SELECT CAST(ts / ? AS INTEGER) * ? AS bucket, SUM(sample_count) AS sample_count, "
               "SUM(total) AS total, MIN(minimum) AS minimum, MAX(maximum) AS maximum, MAX(unit) AS unit "
               "FROM datapoints WHERE namespace = ? AND name = ? AND dimensions = ? AND ts >= ? AND ts < ?")
        params = [period, period, namespace, name, dimensions_text(dimensions), start, end]
        if unit:
            sql, params = sql + " AND unit = ?", params + [unit]
        return self.db.query(sql + " GROUP BY bucket ORDER BY bucket", tuple(params))
