"""Streaming keeps no per-row state: the reader holds a block or two, profiles stay a fixed size.

No timing and no RSS: the reader's bytes read are counted as tables come out, and the profiles' retained
state is measured as blocks are folded in.
"""
import io
import pickle

import numpy as np
import pyarrow as pa
import pytest

from sagelocal.monitor import api, reader
from sagelocal.monitor.kll import capacity

BLOCK = 32 << 10
ROWS = 200_000


class CountingFile(io.FileIO):
    """A binary file that counts the bytes read from it, however they are read."""

    opened: list = []

    def __init__(self, path, mode="rb"):
        super().__init__(path, mode)
        self.bytes_read = 0
        CountingFile.opened.append(self)

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data

    def readinto(self, buffer):
        count = super().readinto(buffer)
        self.bytes_read += count or 0
        return count

    def readline(self, size=-1):
        line = super().readline(size)
        self.bytes_read += len(line)
        return line


@pytest.fixture
def streamed(monkeypatch):
    """Force streaming in small blocks; every file the reader opens is a CountingFile."""
    monkeypatch.setattr(reader, "STREAM_THRESHOLD", 0)
    monkeypatch.setattr(reader, "BLOCK_SIZE", BLOCK)
    monkeypatch.setattr(reader, "open", lambda path, mode="rb": CountingFile(path, mode), raising=False)
    CountingFile.opened = []
    return CountingFile.opened


def data(rows=ROWS, seed=0):
    rng = np.random.default_rng(seed)
    numeric_text = np.where(rng.random(rows) < 0.01, "n/a", rng.normal(size=rows).round(3).astype(str))
    return pa.table({"x": rng.normal(size=rows).round(6), "n": rng.integers(0, 1000, rows),
                     "s": rng.choice(["a", "b", "c"], rows), "u": np.char.add("u", np.arange(rows).astype(str)),
                     "t": numeric_text})


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_reader_reads_at_most_a_block_ahead(tmp_path, streamed, fmt):
    frame = data().to_pandas()
    path = tmp_path / f"d.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True)
    size = path.stat().st_size
    assert size > 50 * BLOCK
    rows = 0
    for number, chunk in enumerate(reader.read_chunks(path, fmt, header=True), start=1):
        rows += chunk.num_rows
        assert streamed, "the reader opened the file itself: no bytes counted"
        handle = streamed[-1]  # the data's own handle (CSV opens two small ones first: names, type sample)
        # A table out means its block was read, and at most the next one started: never 32 blocks ahead.
        assert handle.bytes_read <= (number + 1) * BLOCK, (number, handle.bytes_read)
    assert rows == ROWS and number > 40
    assert streamed[-1].bytes_read == size


def retained(profiles: dict) -> tuple:
    """(most sketch items in one column, most category entries in one column, pickled size of it all)."""
    items = max(sum(map(len, p.sketch.levels)) for p in profiles.values())
    categories = max(len(p.categories or ()) for p in profiles.values())
    return items, categories, len(pickle.dumps(profiles))


@pytest.mark.parametrize("monitoring", [False, True])
def test_streamed_profiles_keep_no_per_row_state(tmp_path, streamed, monkeypatch, monitoring):
    path = tmp_path / "d.csv"
    data().to_pandas().to_csv(path, index=False)
    sizes = []
    fold = api.add_table

    def add_table(profiles, table):
        fold(profiles, table)
        sizes.append((sum(p.rows for p in profiles.values()) // len(profiles), retained(profiles)))

    monkeypatch.setattr(api, "add_table", add_table)
    options = {"domains": {"s": ["a", "b"]}} if monitoring else {}
    profiles = api.profile_columns(path, "csv", header=True, **options)
    assert len(sizes) > 50 and profiles["x"].rows == ROWS

    # Every sketch within Deequ's total capacity for its levels (a few thousand items for 200,000 rows) ...
    for profile in profiles.values():
        levels = len(profile.sketch.levels)
        assert sum(map(len, profile.sketch.levels)) <= sum(capacity(h) for h in range(levels)) < 7000
    assert profiles["u"].categories is None and len(profiles["s"].categories) == 3
    # ... and nothing grows with the rows: from a quarter of the data to all of it, the state stays put.
    quarter = next(state for rows, state in sizes if rows >= ROWS // 4)
    final = sizes[-1][1]
    assert final[0] <= quarter[0] + 100 and final[1] <= max(quarter[1], 3)
    assert final[2] <= 1.1 * quarter[2], (quarter, final)
