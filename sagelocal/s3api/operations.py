"""S3 bucket and object operations, one function per operation: a :class:`Call` → a Starlette response."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

from starlette.responses import Response, StreamingResponse

from sagelocal.s3api.errors import S3Error
from sagelocal.s3api.keyspace import ObjectInfo, check_key
from sagelocal.s3api.listing import list_objects, list_objects_v2
from sagelocal.s3api.spool import BATCH_BYTES, Received, copy_range
from sagelocal.s3api.store import BucketStore
from sagelocal.s3api.xml import NAMESPACE, document, element, http_date, iso

OWNER = "<Owner><ID>sagelocal</ID><DisplayName>sagelocal</DisplayName></Owner>"
MAX_DELETE = 1000


@dataclass
class Call:
    """One S3 request, routed: what every operation may need."""

    store: BucketStore
    region: str
    bucket: str
    key: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""  # a small body (XML), already checked against what the request declared
    received: Received | None = None  # a streamed body (PutObject, UploadPart), waiting in a temp file


def _object_headers(info: ObjectInfo) -> dict[str, str]:
    return {"ETag": info.etag, "Last-Modified": http_date(info.last_modified), "Accept-Ranges": "bytes"}


def xml_root(body: bytes) -> tuple[ElementTree.Element, str]:
    """A request's XML document and the namespace prefix its element names carry ('' or '{...}')."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise S3Error("MalformedXML", "The XML you provided was not well-formed or did not validate against "
                      "our published schema", 400) from None
    return root, f"{{{NAMESPACE}}}" if root.tag.startswith("{") else ""


def source_object(call: Call, header: str = "x-amz-copy-source") -> tuple[str, str]:
    """``(bucket, key)`` named by ``x-amz-copy-source`` (``bucket/key``, URL-encoded, maybe ``?versionId=``)."""
    source_bucket, _, source_key = unquote(call.headers[header].split("?", 1)[0]).lstrip("/").partition("/")
    if not source_key:
        raise S3Error("InvalidArgument", "Copy Source must mention the source bucket and key: "
                      "sourcebucket/sourcekey", 400)
    return source_bucket, source_key


# -- buckets ----------------------------------------------------------------------------------------
def list_buckets(call: Call) -> Response:
    buckets = "".join(f"<Bucket>{element('Name', name)}{element('CreationDate', iso(created))}</Bucket>"
                      for name, created in call.store.list_buckets())
    return document("ListAllMyBucketsResult", f"{OWNER}<Buckets>{buckets}</Buckets>")


def create_bucket(call: Call) -> Response:
    if not call.store.create_bucket(call.bucket) and call.region != "us-east-1":
        raise S3Error("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded "
                      "and you already own it.", 409, BucketName=call.bucket)
    return Response(headers={"Location": f"/{call.bucket}"})


def head_bucket(call: Call) -> Response:
    call.store.require_bucket(call.bucket)
    return Response(headers={"x-amz-bucket-region": call.region})


def get_bucket_location(call: Call) -> Response:
    """An empty LocationConstraint for us-east-1 (botocore reads it as None), the region's name elsewhere."""
    call.store.require_bucket(call.bucket)
    return document("LocationConstraint", "" if call.region == "us-east-1" else call.region)


def delete_bucket(call: Call) -> Response:
    call.store.delete_bucket(call.bucket)
    return Response(status_code=204)


def list_objects_v1(call: Call) -> Response:
    return list_objects(call.store.keyspace(call.bucket), call.bucket, call.query)


def list_objects_2(call: Call) -> Response:
    return list_objects_v2(call.store.keyspace(call.bucket), call.bucket, call.query)


# -- objects ----------------------------------------------------------------------------------------
def put_object(call: Call) -> Response:
    info = call.store.place(call.bucket, call.key, call.received.path, call.received.etag)
    return Response(headers={"ETag": info.etag, **call.received.checksums})


def copy_object(call: Call) -> Response:
    check_key(call.key)
    source_bucket, source_key = source_object(call)
    _, source = call.store.find_object(source_bucket, source_key)
    bucket_path = call.store.require_bucket(call.bucket)
    copied = copy_range(source, 0, source.stat().st_size - 1, bucket_path)
    info = call.store.place(call.bucket, call.key, copied.path, copied.etag)
    return document("CopyObjectResult", element("LastModified", iso(info.last_modified)) + element("ETag", info.etag))


def _file_part(path: Path, first: int, length: int):
    """The bytes of an open file, a block at a time (the file object keeps a replaced object's bytes readable)."""
    with path.open("rb") as handle:
        handle.seek(first)
        while length > 0 and (block := handle.read(min(length, BATCH_BYTES))):
            length -= len(block)
            yield block


def get_object(call: Call) -> Response:
    info, path = call.store.find_object(call.bucket, call.key)
    headers = _object_headers(info)
    range_header = call.headers.get("range")
    if not range_header:
        headers["Content-Length"] = str(info.size)
        return StreamingResponse(_file_part(path, 0, info.size), headers=headers, media_type="binary/octet-stream")
    first, last = byte_range(range_header, info.size)
    headers |= {"Content-Range": f"bytes {first}-{last}/{info.size}", "Content-Length": str(last - first + 1)}
    return StreamingResponse(_file_part(path, first, last - first + 1), status_code=206, headers=headers,
                             media_type="binary/octet-stream")


def byte_range(header: str, size: int) -> tuple[int, int]:
    """One ``bytes=a-b``, ``bytes=a-`` or ``bytes=-n`` range, clipped to the object as S3 clips it."""
    unit, _, spec = header.partition("=")
    start, dash, end = spec.partition("-")
    try:
        if unit.strip() != "bytes" or not dash or "," in spec:
            raise ValueError
        if not start:
            first, last = max(size - int(end), 0), size - 1
        else:
            first, last = int(start), min(int(end), size - 1) if end else size - 1
    except ValueError:
        raise S3Error("InvalidArgument", f"sagelocal accepts one byte range, got {header!r}", 400) from None
    if first >= size or first > last:
        raise S3Error("InvalidRange", "The requested range is not satisfiable", 416)
    return first, last


def head_object(call: Call) -> Response:
    info, _ = call.store.find_object(call.bucket, call.key)
    headers = _object_headers(info) | {"Content-Length": str(info.size), "Content-Type": "binary/octet-stream"}
    return Response(headers=headers)


def delete_object(call: Call) -> Response:
    call.store.delete_object(call.bucket, call.key)
    return Response(status_code=204)


def delete_objects(call: Call) -> Response:
    """Each key deleted or reported in an ``<Error>`` of its own; ``Quiet`` lists only the errors."""
    root, space = xml_root(call.body)
    keys = [node.findtext(f"{space}Key") or "" for node in root.findall(f"{space}Object")]
    quiet = (root.findtext(f"{space}Quiet") or "").strip().lower() == "true"
    if not 1 <= len(keys) <= MAX_DELETE:
        raise S3Error("MalformedXML", f"The XML you provided was not well-formed or did not validate against our "
                      f"published schema (Delete takes 1 to {MAX_DELETE} keys)", 400)
    call.store.require_bucket(call.bucket)
    parts = []
    for key in keys:
        try:
            call.store.delete_object(call.bucket, key)
            if not quiet:
                parts.append(f"<Deleted>{element('Key', key)}</Deleted>")
        except S3Error as error:
            parts.append(f"<Error>{element('Key', key)}{element('Code', error.code)}"
                         f"{element('Message', error.message)}</Error>")
    return document("DeleteResult", "".join(parts))
