"""Datasets in Model Monitor's formats read into pyarrow tables, chunk by chunk.

CSV is read as text, every column, as Model Monitor's Spark reader does: Deequ hashes each cell's raw text
for its distinct count and types every value from it (the profiler parses the numbers). A JSON float column
holding NaN/infinity is read again as text so that Deequ's regexes decide its type. Every format is read in
blocks, so the text held stays bounded: CSV and JSON blocks are cut at line ends and parsed one at a time
(Arrow's own streaming readers read up to 32 blocks ahead, 512 MB at 16 MB blocks). A CSV file up to
``STREAM_THRESHOLD`` is still profiled as one part (its numbers sketched together); larger ones, JSON lines and
Parquet block by block, their sketches merged. Every bad input becomes one :class:`UserError` naming the file
and the row.
"""
from __future__ import annotations

import csv
import math
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from sagelocal.errors import UserError
from sagelocal.monitor import capture

STREAM_THRESHOLD = 512 << 20  # a part's numbers are held whole: 8 bytes a cell, about a CSV's own size
BLOCK_SIZE = 16 << 20
FORMATS = ("csv", "json", "parquet", "capture")
_CONTINUES = b"sagelocal.continues"  # schema metadata: more tables of the same part follow


class TextNeeded(Exception):
    """Typed reading of ``columns`` lost information Deequ's regexes need: read them again as text."""

    def __init__(self, columns: set):
        super().__init__(", ".join(sorted(columns)))
        self.columns = frozenset(columns)


def dataset_files(source: Path) -> list:
    """The files of a dataset: the file itself, or every non-hidden file under a directory, sorted."""
    source = Path(source)
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise UserError(f"{source}: no such file or directory")
    files = sorted(p for p in source.rglob("*") if p.is_file() and not p.name.startswith((".", "_")))
    if not files:
        raise UserError(f"{source}: {capture.NO_DATA_MESSAGE}")
    return files


def read_chunks(source: Path, fmt: str, header: bool = False, names: list | None = None,
                start: datetime | None = None, end: datetime | None = None, preprocessor=None,
                text_columns: frozenset = frozenset()):
    """Yield pyarrow tables covering the dataset at ``source`` in order.

    Tables come in parts: a CSV file up to ``STREAM_THRESHOLD`` is one part read in blocks, every table of it
    but the last marked :func:`continues`; any other table is a part of its own.
    Raises :class:`TextNeeded` when a typed JSON column turns out to need its text (NaN/infinity); the caller
    starts again with those columns in ``text_columns``.

    Parameters
    ----------
    source : path
        A file or a directory of files.
    fmt : {"csv", "json", "parquet", "capture"}
        Dataset format; ``capture`` is ``sagemakerCaptureJson``.
    header : bool
        CSV only: the first line holds column names (otherwise ``_c0``, ``_c1``, ...).
    names : list of str, optional
        Capture and header-less CSV: baseline feature names to give the columns, by position.
    start, end : datetime, optional
        Capture only: keep records with ``start <= inferenceTime < end``.
    preprocessor : callable, optional
        Capture only: a ``preprocess_handler`` turning each record into a flat dict.
    text_columns : frozenset of str
        Columns to read as text from the start.
    """
    if fmt not in FORMATS:
        raise UserError(f"unknown dataset format {fmt!r} (expected one of {', '.join(FORMATS)})")
    files = dataset_files(source)
    if fmt == "capture":
        yield capture_table(files, names or [], start, end, preprocessor)
        return
    for path in files:
        if fmt == "csv":
            chunks = _csv_chunks(path, header, names or [])
        else:
            chunks = _json_chunks(path) if fmt == "json" else _parquet_chunks(path)
        for table in chunks:
            yield _normalise(table, path, text_columns)


def capture_table(files: list, names: list, start=None, end=None, preprocessor=None) -> pa.Table:
    """A text table from capture files: output columns first, named by position after ``names``."""
    records = [record for path in files for record in capture.read_capture_file(path, start, end)]
    if preprocessor is None:
        rows = capture.capture_rows(records)
    else:
        rows = capture.preprocessed_rows(records, preprocessor)[1]
    if not rows:
        raise UserError(capture.NO_DATA_MESSAGE)
    width = max(map(len, rows))
    column_names = list(names[:width]) + [f"_c{i}" for i in range(len(names), width)]
    columns = [[row[i] if i < len(row) else None for row in rows] for i in range(width)]
    return pa.table([pa.array(column, type=pa.string()) for column in columns], names=column_names)


def _csv_chunks(path: Path, header: bool, baseline_names: list):
    """Tables of a CSV file, parsed a block at a time, so that only one block's text is held at once.

    A file up to ``STREAM_THRESHOLD`` is one part: every block but the last is marked :func:`continues`, and
    the profiler folds the part's numbers together, exactly as from one table of the whole file. A larger
    file's blocks are parts of their own, so memory stays bounded whatever its size.
    """
    import pyarrow.csv as pcsv

    size = path.stat().st_size
    if size == 0:
        raise UserError(f"{path}: empty file")
    names = _csv_names(path, header, baseline_names)
    skip = 1 if header else 0
    convert = _convert(pcsv, {name: pa.string() for name in names})
    whole, consumed = size <= STREAM_THRESHOLD, 0
    try:
        # Not pcsv.open_csv: its reader thread reads up to 32 blocks ahead of the parser (512 MB at 16 MB
        # blocks), so its memory grows with the file up to that. Pieces cut at line ends parse alike: Arrow's
        # own chunker cuts at any newline too (newlines_in_values is off).
        with open(path, "rb") as handle:
            for piece in _line_pieces(handle, BLOCK_SIZE):
                options = pcsv.ReadOptions(column_names=names, skip_rows=skip)
                skip, consumed = 0, consumed + len(piece)
                table = pcsv.read_csv(pa.py_buffer(piece), read_options=options, convert_options=convert)
                yield _mark_continuing(table) if whole and consumed < size else table
    except pa.ArrowInvalid as exc:
        raise _csv_error(path, names, header, exc) from None


def continues(table: pa.Table) -> bool:
    """True for a table that more tables of the same part follow (see :func:`read_chunks`)."""
    return table.schema.metadata is not None and _CONTINUES in table.schema.metadata


def _mark_continuing(table: pa.Table) -> pa.Table:
    return table.replace_schema_metadata({**(table.schema.metadata or {}), _CONTINUES: b"1"})


def _line_pieces(handle, block_size: int):
    """Consecutive pieces of an open binary file, each about ``block_size`` bytes and ending at a line end.

    Only the piece being parsed is held: memory stays bounded whatever the file's size (a line longer
    than ``block_size`` makes its piece longer, never the others).
    """
    carry = b""
    while True:
        # Read straight in behind the carried partial line: one copy of the block, not two.
        data = bytearray(len(carry) + block_size)
        data[:len(carry)] = carry
        view = memoryview(data)
        end = len(carry) + (handle.readinto(view[len(carry):]) or 0)
        if end == len(carry):
            if carry:
                yield carry
            return
        cut = (data.rfind(b"\n", 0, end) + 1) or (data.rfind(b"\r", 0, end) + 1)
        if not cut:
            carry = bytes(view[:end])
            continue
        yield view[:cut]
        carry = bytes(view[cut:end])


def _convert(pcsv, types: dict):
    # Spark reads only the empty field as null: "NA", "null", "NaN" stay values.
    return pcsv.ConvertOptions(column_types=types, null_values=[""], strings_can_be_null=True,
                               quoted_strings_can_be_null=True)


def _csv_names(path: Path, header: bool, baseline_names: list) -> list:
    with open(path, "rb") as handle:
        first = handle.readline()
    try:
        fields = next(csv.reader([first.decode("utf-8")]), [])
    except UnicodeDecodeError:
        raise UserError(f"{path}: row 1: not UTF-8 text") from None
    if not header:
        return [baseline_names[i] if i < len(baseline_names) else f"_c{i}" for i in range(len(fields))]
    names = [name.strip() for name in fields]
    if any(not name for name in names) or len(set(names)) != len(names):
        raise UserError(f"{path}: row 1: header has empty or repeated column names: {names}")
    return names


def _all_finite(column) -> bool:
    """True when no value is NaN or infinite: one pass, via the sum (NaN and ±inf propagate into it).

    A sum that overflows only sends the column down the exact text path, never the other way.
    """
    total = pc.sum(column).as_py()
    return total is None or math.isfinite(total)


def _csv_error(path: Path, names: list, header: bool, exc: Exception) -> UserError:
    """Find the offending row with Python's csv module (only on the error path) and name it."""
    with open(path, "rb") as handle:
        for row_number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                return UserError(f"{path}: row {row_number}: not UTF-8 text")
            if header and row_number == 1:
                continue
            fields = next(csv.reader([line]), [])
            if line.strip() and len(fields) != len(names):
                return UserError(f"{path}: row {row_number}: expected {len(names)} fields, got {len(fields)}")
    return UserError(f"{path}: unreadable CSV: {exc}")


def _json_chunks(path: Path):
    """JSON lines in blocks (bounded memory); types are inferred on the first block.

    As ``pjson.open_json`` does, but without its reader thread's 32 blocks of read-ahead: later blocks must
    match the first block's schema (same fields, convertible values).
    """
    import pyarrow.json as pjson

    if path.stat().st_size == 0:
        raise UserError(f"{path}: empty file")
    try:
        options = pjson.ParseOptions()
        with open(path, "rb") as handle:
            for piece in _line_pieces(handle, BLOCK_SIZE):
                table = pjson.read_json(pa.py_buffer(piece), parse_options=options)
                if table.num_columns and options.explicit_schema is None:  # the first block with rows
                    options = pjson.ParseOptions(explicit_schema=table.schema, unexpected_field_behavior="error")
                yield table
    except pa.ArrowInvalid as exc:
        raise _json_error(path, exc) from None


def _json_error(path: Path, exc: Exception) -> UserError:
    """Find the offending line with Python's json module (only on the error path) and name it."""
    import json

    with open(path, "rb") as handle:
        for row_number, raw in enumerate(handle, start=1):
            try:
                value = json.loads(raw.decode("utf-8")) if raw.strip() else {}
            except UnicodeDecodeError:
                return UserError(f"{path}: row {row_number}: not UTF-8 text")
            except json.JSONDecodeError as error:
                return UserError(f"{path}: row {row_number}: invalid JSON ({error.msg})")
            if not isinstance(value, dict):
                return UserError(f"{path}: row {row_number}: expected a JSON object per line")
    return UserError(f"{path}: unreadable JSON lines: {exc}")


def _parquet_chunks(path: Path):
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        for batch in parquet.iter_batches(batch_size=1 << 20):
            yield pa.Table.from_batches([batch])
    except (pa.ArrowInvalid, OSError) as exc:
        raise UserError(f"{path}: unreadable Parquet: {exc}") from None


def _normalise(table: pa.Table, path: Path, text_columns: frozenset) -> pa.Table:
    """Columns as the profiler takes them: ``text_columns`` and nested values as text.

    Raises
    ------
    TextNeeded
        For float columns holding NaN or infinity, which Deequ's regexes call String values.
    """
    floats = [name for name in table.column_names
              if name not in text_columns and pa.types.is_floating(table.schema.field(name).type)]
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:  # pyarrow sums without holding the GIL
        finite = list(pool.map(lambda name: _all_finite(table.column(name)), floats))
    non_finite = {name for name, ok in zip(floats, finite) if not ok}
    if non_finite:
        raise TextNeeded(non_finite)
    columns = []
    for name, column in zip(table.column_names, table.columns):
        if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
            raise UserError(f"{path}: column {name}: binary values are not supported")
        if pa.types.is_nested(column.type) or pa.types.is_temporal(column.type):
            column = pa.array([None if v is None else str(v) for v in column.to_pylist()], type=pa.string())
        elif name in text_columns and not pa.types.is_string(column.type):
            column = pc.cast(column, pa.string())
        columns.append(column)
    return pa.table(columns, names=table.column_names, metadata=table.schema.metadata)
