"""Endpoint data capture (``sagemakerCaptureJson``) turned into a table as Model Monitor does.

Each record's output columns come first, then its input columns; columns are matched to the baseline's
features by position. Input and output must share one encoding.
"""
from __future__ import annotations

import base64
import csv
import io
import json
import logging
from datetime import datetime
from pathlib import Path

from sagelocal.errors import UserError

NO_DATA_MESSAGE = "Job inputs had no data"
log = logging.getLogger(__name__)


class CaptureRecord:
    """One captured invocation, kept whole (``raw``) with where it came from (``where``: file and line)."""

    __slots__ = ("raw", "where", "index_names")

    def __init__(self, raw: dict, where: str, index_names: tuple):
        self.raw, self.where, self.index_names = raw, where, index_names

    @property
    def inference_time(self):
        return (self.raw.get("eventMetadata") or {}).get("inferenceTime")

    def rows(self) -> list:
        """Field texts per row, output columns first.

        Raises
        ------
        UserError
            On a missing payload or an input/output encoding mismatch (AWS's message), naming file and line.
        """
        return _record_rows(self.raw["captureData"], self.where, self.index_names)


def capture_files(root: Path | str) -> list[Path]:
    """Capture files under a folder, in key order (time order within a variant)."""
    return sorted(Path(root).rglob("*.jsonl"))


def read_capture_file(path: Path, start: datetime | None = None, end: datetime | None = None,
                      index_names: tuple = ("endpointInput", "endpointOutput"), skipped: list | None = None) -> list:
    """Parse one ``.jsonl`` capture file into :class:`CaptureRecord` objects inside [start, end).

    A line that is not a whole record (not UTF-8, not JSON, no captureData object: what a crash or a full
    disk leaves of a write) is skipped rather than failing the window: it is logged, and appended to
    ``skipped`` as ``"<file>: line <n>: <why>"`` for the caller to report.

    Raises
    ------
    UserError
        Naming the file and line for a record whose inferenceTime is not a time (when filtering a window).
    """
    records, bad = [], []
    with open(path, "rb") as handle:
        for line_number, raw_line in enumerate(handle, start=1):
            if not raw_line.strip():
                continue
            where = f"{path}: line {line_number}"
            record = _whole_record(raw_line, where, bad)
            if record is None:
                continue
            parsed = CaptureRecord(record, where, tuple(index_names))
            if _in_window(parsed.inference_time, start, end, where):
                records.append(parsed)
    if bad:
        log.warning("%s: skipped %d line(s) that are not whole capture records: %s", path, len(bad),
                    "; ".join(item.split(": ", 1)[1] for item in bad[:5]) + ("; ..." if len(bad) > 5 else ""))
        if skipped is not None:
            skipped.extend(bad)
    return records


def _whole_record(raw_line: bytes, where: str, bad: list) -> dict | None:
    """The line's record, or None with the reason added to ``bad``."""
    try:
        record = json.loads(raw_line.decode("utf-8"))
    except UnicodeDecodeError:
        bad.append(f"{where}: not UTF-8 text")
        return None
    except json.JSONDecodeError as exc:
        bad.append(f"{where}: invalid JSON ({exc.msg})")
        return None
    if not isinstance(record, dict) or not isinstance(record.get("captureData"), dict):
        bad.append(f"{where}: no captureData object")
        return None
    return record


def _record_rows(capture: dict, where: str, index_names: tuple) -> list:
    present = [name for name in index_names if isinstance(capture.get(name), dict)]
    if not present:
        raise UserError(f"{where}: captureData has none of {', '.join(index_names)}")
    encodings = {name: capture[name].get("encoding") for name in present}
    if len(set(encodings.values())) > 1:
        described = ", but ".join(f"Encoding is {encoding} for {name}" for name, encoding in encodings.items())
        raise UserError(f"{where}: Encoding mismatch: {described}. We currently only support the same type "
                        "of input and output encoding at the moment.")
    # Output columns first (Model Monitor assumes the prediction is the first column of the baseline).
    ordered = sorted(present, key=lambda name: 0 if name == "endpointOutput" else 1)
    parts = [_payload_rows(capture[name], f"{where}: {name}") for name in ordered]
    if len(parts) == 2 and len(parts[0]) == 1 and len(parts[1]) > 1 and len(parts[0][0]) == len(parts[1]):
        # The XGBoost containers up to 1.0 answer a multi-row request with one line of comma-joined predictions.
        parts[0] = [[field] for field in parts[0][0]]
    if len(parts) == 2 and len(parts[0]) != len(parts[1]):
        raise UserError(f"{where}: {len(parts[0])} output rows but {len(parts[1])} input rows")
    return [sum(fields, []) for fields in zip(*parts)]


def _payload_rows(event: dict, where: str) -> list:
    """Field texts per row of one captured payload."""
    data, encoding = event.get("data"), event.get("encoding")
    if not isinstance(data, str):
        raise UserError(f"{where}: no data string")
    if encoding == "BASE64":
        try:
            data = base64.b64decode(data, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise UserError(f"{where}: data is not base64 of UTF-8 text") from None
        content_type = (event.get("observedContentType") or "").split(";")[0].strip()
        encoding = "JSON" if content_type.endswith("json") else "CSV"
    if encoding == "CSV":
        return [row for row in csv.reader(io.StringIO(data)) if row]
    if encoding == "JSON":
        try:
            return [_json_fields(json.loads(data))]
        except json.JSONDecodeError as exc:
            raise UserError(f"{where}: invalid JSON payload ({exc.msg})") from None
    raise UserError(f"{where}: unknown encoding {encoding!r}")


def _json_fields(value) -> list:
    """Leaf values of a JSON payload in document order, as texts (null stays None)."""
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _json_fields(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _json_fields(item)]
    if value is None:
        return [None]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    return [value if isinstance(value, str) else json.dumps(value)]


def parse_time(text: str, what: str) -> datetime:
    """An ISO-8601 UTC time such as ``2019-12-01T15:20:00Z``."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise UserError(f"{what}: not an ISO-8601 time: {text!r}") from None


def _in_window(inference_time, start, end, where: str) -> bool:
    if start is None and end is None:
        return True
    moment = parse_time(inference_time, f"{where}: eventMetadata.inferenceTime")
    return (start is None or moment >= start) and (end is None or moment < end)


def capture_rows(records: list) -> list:
    """All rows of ``records`` in order."""
    return [row for record in records for row in record.rows()]


class _EventData:
    """An ``endpointInput``/``endpointOutput`` as the preprocessing contract exposes it."""

    def __init__(self, raw: dict | None):
        raw = raw or {}
        self.encoding, self.data = raw.get("encoding"), raw.get("data")
        self.observedContentType, self.mode = raw.get("observedContentType"), raw.get("mode")


class _EventMetadata:
    def __init__(self, raw: dict):
        self.event_id, self.event_time = raw.get("eventId"), raw.get("inferenceTime")
        self.inference_id, self.custom_attribute = raw.get("inferenceId"), raw.get("customAttributes")


class InferenceRecord:
    """The object a ``preprocess_handler(inference_record)`` receives (attributes per AWS's docs)."""

    def __init__(self, raw: dict):
        capture_data = raw.get("captureData") or {}
        self.event_metadata = _EventMetadata(raw.get("eventMetadata") or {})
        self.endpoint_input = _EventData(capture_data.get("endpointInput"))
        self.endpoint_output = _EventData(capture_data.get("endpointOutput"))
        self.batch_transform_output = _EventData(capture_data.get("batchTransformOutput"))
        self.ground_truth = _EventData(raw.get("groundTruthData"))
        self.event_version = raw.get("eventVersion")


def load_handler(script: Path, name: str):
    """``name`` from the user's script file, or one clear error."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"sagelocal_user_{name}", script)
    if spec is None or not Path(script).is_file():
        raise UserError(f"{script}: no such script")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's code: report it as one line, not a traceback
        raise UserError(f"{script}: failed to load: {type(exc).__name__}: {exc}") from None
    handler = getattr(module, name, None)
    if not callable(handler):
        raise UserError(f"{script}: defines no {name}()")
    return handler


def preprocessed_rows(records: list, handler) -> tuple:
    """Rows from a ``preprocess_handler``: flat dicts, columns ordered by sorted key; ``[]`` drops a record.

    Returns
    -------
    (list of str, list of list)
        Column keys and rows of texts.
    """
    import inspect

    takes_logger = len(inspect.signature(handler).parameters) > 1
    logger = logging.getLogger("sagelocal.monitor.preprocessor")
    produced = []
    for record in records:
        try:
            output = handler(InferenceRecord(record.raw), logger) if takes_logger else \
                handler(InferenceRecord(record.raw))
        except Exception as exc:  # the user's code
            raise UserError(f"{record.where}: preprocess_handler failed: {type(exc).__name__}: {exc}") from None
        if output == []:
            continue
        if not isinstance(output, dict):
            raise UserError(f"{record.where}: preprocess_handler must return a flat dict or [], got "
                            f"{type(output).__name__}")
        produced.append(output)
    keys = sorted({key for output in produced for key in output})
    rows = [[_text(output.get(key)) for key in keys] for output in produced]
    return keys, rows


def _text(value):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)
