"""Data capture files, as a SageMaker endpoint writes them for Model Monitor.

One record per invocation, one JSON object per line, keys in AWS's order (``captureData``, ``eventMetadata``,
``eventVersion``). Files live at ``{destination}/{endpoint}/{variant}/yyyy/mm/dd/hh/{mm}-{ss}-{mmm}-{uuid}.jsonl``
and roll over every UTC minute, so the hour folder and the file name always match the records inside.

Each record is appended with one ``os.write`` on an ``O_APPEND`` descriptor before the request is answered:
once the call returns the bytes are in the kernel, so killing the process loses nothing acknowledged. A
crash can only tear the line being written; the reader skips such a line, and reports it.

Capture is best effort, as on AWS: a record the disk cannot take (full, read-only) is dropped and counted
(:class:`CaptureDrops`, shown on ``/metrics``), and the prediction is answered all the same. A record written
in part is cut off again (the file is truncated back to its last whole line), so the next record never glues
to a torn one. Files are created 0600: they hold the endpoint's traffic.
"""
from __future__ import annotations

import base64
import contextlib
import errno
import json
import logging
import os
import random
import threading
import time
import uuid
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

_MODES = {"Input": (True, False), "Output": (False, True), "InputAndOutput": (True, True)}


class CapturePolicy:
    """What DataCaptureConfig asks for: whether to sample a request, what to keep, how to encode it."""

    def __init__(self, config: dict):
        self.enabled = bool(config.get("EnableCapture"))
        self.percentage = int(config.get("InitialSamplingPercentage", 0))
        self.destination = config["DestinationS3Uri"].rstrip("/")
        self.capture_input = self.capture_output = False
        for option in config.get("CaptureOptions", []):
            want_input, want_output = _MODES[option["CaptureMode"]]
            self.capture_input |= want_input
            self.capture_output |= want_output
        headers = config.get("CaptureContentTypeHeader") or {}
        self.csv_types = {_media_type(t) for t in headers.get("CsvContentTypes", [])}
        self.json_types = {_media_type(t) for t in headers.get("JsonContentTypes", [])}

    def sampled(self) -> bool:
        return self.enabled and (self.percentage >= 100 or random.random() * 100 < self.percentage)

    def encode(self, content_type: str, data: bytes) -> tuple[str, str]:
        """``(encoding, data)``. Without CaptureContentTypeHeader AWS base64-encodes everything."""
        media = _media_type(content_type)
        if media in self.csv_types or media in self.json_types:
            try:
                return ("CSV" if media in self.csv_types else "JSON"), data.decode("utf-8")
            except UnicodeDecodeError:
                pass  # not text after all: keep the bytes exactly
        return "BASE64", base64.b64encode(data).decode("ascii")


def _media_type(content_type: str) -> str:
    # "text/csv; charset=utf-8" is captured as CSV when text/csv is listed: match on the media type only.
    return content_type.split(";", 1)[0].strip().lower()


def build_record(policy: CapturePolicy, request_type: str, request_body: bytes, response_type: str,
                 response_body: bytes, inference_time: str, inference_id: str | None,
                 custom_attributes: str | None) -> bytes:
    """One capture line (compact JSON, newline-terminated) in AWS's key order.

    Assembled from JSON-encoded strings rather than dumped from dicts: this runs once per request, and
    not allocating a tree of dicts keeps the garbage collector out of the hot path."""
    parts = []
    if policy.capture_input:
        parts.append(_event("endpointInput", "INPUT", policy, request_type, request_body))
    if policy.capture_output:
        parts.append(_event("endpointOutput", "OUTPUT", policy, response_type, response_body))
    metadata = f'"eventId":"{uuid.uuid4()}"'
    if inference_id is not None:
        metadata += ',"inferenceId":' + _string(inference_id)
    metadata += f',"inferenceTime":"{inference_time}"'
    if custom_attributes is not None:
        metadata += ',"customAttributes":' + _string(custom_attributes)
    line = '{"captureData":{' + ",".join(parts) + '},"eventMetadata":{' + metadata + '},"eventVersion":"0"}\n'
    return line.encode("utf-8")


def _event(key: str, mode: str, policy: CapturePolicy, content_type: str, body: bytes) -> str:
    encoding, data = policy.encode(content_type, body)
    return f'{_event_head(key, mode, content_type)}{_string(data)},"encoding":"{encoding}"}}'


@lru_cache(maxsize=256)
def _event_head(key: str, mode: str, content_type: str) -> str:
    # Requests repeat a handful of content types: encode each head once.
    return f'"{key}":{{"observedContentType":{_string(content_type)},"mode":"{mode}","data":'


# JSON string literal, non-ASCII kept as is (json.dumps(ensure_ascii=False) without its per-call setup).
_string = json.encoder.encode_basestring


class CaptureDrops:
    """Capture records that were not written, by (endpoint, variant), since the server started."""

    def __init__(self):
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def watch(self, endpoint: str, variant: str) -> None:
        """Show the variant's counter (at 0) from the moment it captures, as Prometheus counters start."""
        with self._lock:
            self._counts.setdefault((endpoint, variant), 0)

    def add(self, endpoint: str, variant: str) -> None:
        with self._lock:
            self._counts[endpoint, variant] = self._counts.get((endpoint, variant), 0) + 1

    def counts(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._counts)


class CaptureWriter:
    """Appends records for one endpoint variant under ``root`` (the local path of the destination URI)."""

    def __init__(self, root: Path, endpoint: str, variant: str, drops: CaptureDrops):
        self.folder = Path(root) / endpoint / variant
        self.endpoint, self.variant, self._drops = endpoint, variant, drops
        drops.watch(endpoint, variant)
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._minute: int | None = None  # epoch minute of the open file
        self._size = 0  # bytes of whole records in the open file: where a torn write is cut back to
        self._failing = False  # dropping records since the last one written (logged once, not per record)

    def write(self, record: bytes, now: float) -> None:
        """Append one record, or drop and count it when the disk cannot take it; never raises OSError."""
        minute = int(now // 60)
        with self._lock:
            try:
                if minute != self._minute:
                    self._open(now, minute)
                written = os.write(self._fd, record)
                if written != len(record):  # regular files write in full unless the disk is full
                    raise OSError(errno.ENOSPC, f"short write ({written} of {len(record)} bytes)")
            except OSError as error:
                self._drop(error)
                return
            self._size += written
            if self._failing:
                self._failing = False
                log.warning("%s/%s: capture records are written again", self.endpoint, self.variant)

    def _open(self, now: float, minute: int) -> None:
        self._close()
        moment = datetime.fromtimestamp(now, timezone.utc)
        folder = self.folder / moment.strftime("%Y/%m/%d/%H")
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{moment:%M-%S}-{moment.microsecond // 1000:03d}-{uuid.uuid4()}.jsonl"
        self._fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._minute, self._size = minute, 0

    def _drop(self, error: OSError) -> None:
        """Count the record as dropped and leave the file ending with a whole line."""
        self._drops.add(self.endpoint, self.variant)
        if not self._failing:
            self._failing = True
            log.warning("%s/%s: dropping capture records until the disk takes them again (the predictions are "
                        "still answered; /metrics counts the drops): %s", self.endpoint, self.variant, error)
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, self._size)
        except OSError:
            # The torn line stays last in this file (readers skip it); the next record starts a new file.
            self._close()

    def _close(self) -> None:
        fd, self._fd, self._minute = self._fd, None, None
        if fd is not None:
            with contextlib.suppress(OSError):  # the descriptor is released even when close reports an error
                os.close(fd)

    def close(self) -> None:
        with self._lock:
            self._close()


def inference_time(now: float) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ``: UTC, whole seconds, as in real capture files."""
    return _second(int(now))


@lru_cache(maxsize=4)
def _second(second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))

