"""Data capture of a batch transform job, at SageMaker's batch layout.

SageMaker does not copy a batch job's data: under ``DestinationS3Uri`` it writes manifests that name it,
``input/yyyy/mm/dd/hh/<id>.json`` for the objects the job read and ``output/yyyy/mm/dd/hh/<id>.json`` for the
``.out`` files it wrote, each ``[{"prefix": "s3://.../"}, "relative/key", ...]`` (the manifest format of
TransformS3DataSource), the hour being the job's UTC hour. :func:`captured_objects` reads them back for a
monitor over a time window.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from sagelocal.errors import UserError
from sagelocal.storage.s3 import LocalS3


def write_capture_manifests(s3: LocalS3, destination: str, input_prefix: str, inputs: list[str],
                            output_prefix: str, outputs: list[str], when: datetime | None = None) -> list[str]:
    """Write the input and output manifests of one job; return their URIs."""
    hour = (when or datetime.now(timezone.utc)).strftime("%Y/%m/%d/%H")
    name = f"{uuid.uuid4()}.json"
    written = []
    for folder, prefix, keys in (("input", input_prefix, inputs), ("output", output_prefix, outputs)):
        uri = f"{destination.rstrip('/')}/{folder}/{hour}/{name}"
        s3.write_bytes(uri, json.dumps([{"prefix": prefix}, *keys]).encode())
        written.append(uri)
    return written


def captured_objects(s3: LocalS3, destination: str, folder: str, start: datetime, end: datetime) -> list[str]:
    """URIs of the objects the ``folder`` ("input" or "output") manifests of hours in [start, end) name."""
    objects = []
    for manifest in s3.list(f"{destination.rstrip('/')}/{folder}"):
        hour = _manifest_hour(manifest)
        if hour is None or not start <= hour < end:
            continue
        try:
            prefix, *keys = json.loads(s3.read_bytes(manifest))
        except (UserError, ValueError, TypeError) as error:
            raise UserError(f"batch capture manifest {manifest} cannot be read: {error}") from None
        objects += [prefix["prefix"] + key for key in keys]
    return objects


def _manifest_hour(uri: str) -> datetime | None:
    parts = uri.rsplit("/", 5)[1:5]
    try:
        return datetime(*map(int, parts), tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return None
