"""What a transform job reads and how it cuts it into requests, as SageMaker does.

- The objects: every key under an ``S3Prefix`` (a key-name prefix, which need not end at a ``/``), or the keys a
  ``ManifestFile`` lists (``[{"prefix": "s3://b/p/"}, "relative/key", ...]``). Each keeps its path relative to
  the prefix, which is where its ``.out`` file goes under S3OutputPath.
- The records: ``SplitType: Line`` makes each non-empty line a record; ``None`` the whole object.
- The requests: ``SingleRecord`` sends each record alone; ``MultiRecord`` as many whole records as fit in
  ``MaxPayloadInMB`` (0: no limit). A record larger than the limit fails the job.
"""
from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from typing import Iterator

from sagelocal.errors import UserError
from sagelocal.jobs.container import JobFailed
from sagelocal.storage.s3 import LocalS3, parse_s3_uri

MEBIBYTE = 1024 * 1024
SPLIT_TYPES = ("None", "Line")


@dataclass
class InputObject:
    uri: str
    relative: str  # its key below the input prefix: the output is S3OutputPath/<relative>.out


def input_objects(s3: LocalS3, source: dict) -> list[InputObject]:
    kind, uri = source.get("S3DataType", "S3Prefix"), source["S3Uri"]
    if kind == "ManifestFile":
        return _manifest_objects(s3, uri)
    if kind != "S3Prefix":
        raise JobFailed(f"S3DataType {kind} is not supported for batch transform (use S3Prefix or ManifestFile)")
    objects = [InputObject(key_uri, _relative(uri, key_uri)) for key_uri in _keys_with_prefix(s3, uri)]
    if not objects:
        raise JobFailed(f"ClientError: no objects under the input prefix {uri} (local S3: {_local(s3, uri)})")
    return objects


def input_base(objects: list[InputObject]) -> str:
    """The prefix every input's relative key is below (a data capture manifest names it)."""
    first = objects[0]
    return first.uri[:len(first.uri) - len(first.relative)]


def read_object(s3: LocalS3, item: InputObject, compression: str | None) -> bytes:
    data = s3.read_bytes(item.uri)
    if compression == "Gzip":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError) as error:
            raise JobFailed(f"ClientError: {item.uri} is not gzip data (CompressionType Gzip): {error}") from None
    return data


def split_records(data: bytes, split_type: str) -> list[bytes]:
    if split_type == "None":
        return [data]
    return [line for line in data.split(b"\n") if line.strip()]


def batches(records: list[bytes], strategy: str, max_payload_mb: int) -> Iterator[list[bytes]]:
    """Groups of records, each sent as one request (joined with newlines)."""
    limit = max_payload_mb * MEBIBYTE if max_payload_mb else None
    group, size = [], 0
    for record in records:
        if limit is not None and len(record) > limit:
            raise JobFailed(f"ClientError: a record of {len(record)} bytes is larger than MaxPayloadInMB "
                            f"({max_payload_mb} MB): raise MaxPayloadInMB or split the input (SplitType Line)")
        if group and (strategy == "SingleRecord" or (limit is not None and size + 1 + len(record) > limit)):
            yield group
            group, size = [], 0
        group.append(record)
        size += len(record) + (1 if size else 0)
    if group:
        yield group


def line_chunks(data: bytes, max_payload_mb: int) -> Iterator[tuple[bytes, int]]:
    """MultiRecord over ``SplitType: Line`` without looking at each record: (request body, None), each
    body whole lines up to the limit. Same requests as :func:`batches` for input without blank lines."""
    limit = max_payload_mb * MEBIBYTE if max_payload_mb else len(data) + 1
    position, end_of_data = 0, len(data.rstrip(b"\n"))
    while position < end_of_data:
        end = position + limit
        if end >= end_of_data:
            cut = end_of_data
        else:
            cut = data.rfind(b"\n", position, end + 1)
            if cut <= position:
                raise JobFailed(f"ClientError: a record is larger than MaxPayloadInMB ({max_payload_mb} MB): raise "
                                "MaxPayloadInMB")
        body = data[position:cut]
        yield body, None
        position = cut + 1


def _keys_with_prefix(s3: LocalS3, uri: str) -> list[str]:
    """Every object whose key starts with the prefix, as S3 lists them (a folder prefix or a partial name)."""
    try:
        if s3.path(uri).exists():
            return s3.list(uri)
        parent = uri.rsplit("/", 1)[0]
        return [key for key in s3.list(parent) if key.startswith(uri)] if parent.count("/") >= 2 else []
    except UserError as error:
        raise JobFailed(f"ClientError: {error}") from None


def _relative(prefix: str, key_uri: str) -> str:
    rest = key_uri[len(prefix):]
    if not rest:  # the prefix is the object itself
        return key_uri.rsplit("/", 1)[-1]
    if prefix.endswith("/") or rest.startswith("/"):
        return rest.lstrip("/")
    # A partial name (s3://b/in/da for in/data.csv): the key below the prefix's folder.
    return key_uri[len(prefix.rsplit("/", 1)[0]) + 1:]


def _manifest_objects(s3: LocalS3, uri: str) -> list[InputObject]:
    try:
        manifest = json.loads(s3.read_bytes(uri))
    except (UserError, json.JSONDecodeError) as error:
        raise JobFailed(f"ClientError: cannot read the manifest {uri}: {error}") from None
    if not (isinstance(manifest, list) and manifest and isinstance(manifest[0], dict)
            and isinstance(manifest[0].get("prefix"), str) and all(isinstance(k, str) for k in manifest[1:])):
        raise JobFailed(f"ClientError: the manifest {uri} is not [{{\"prefix\": \"s3://...\"}}, \"key\", ...]")
    prefix = manifest[0]["prefix"]
    try:
        parse_s3_uri(prefix)
    except UserError as error:
        raise JobFailed(f"ClientError: the manifest {uri} has a bad prefix: {error}") from None
    objects = [InputObject(prefix + key, key) for key in manifest[1:]]
    missing = [item.uri for item in objects if not s3.exists(item.uri)]
    if missing:
        raise JobFailed(f"ClientError: the manifest {uri} lists {missing[0]}, which does not exist")
    return objects


def _local(s3: LocalS3, uri: str) -> str:
    try:
        return str(s3.path(uri))
    except UserError:
        return "outside the local S3 root"
