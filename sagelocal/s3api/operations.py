"""S3 operations on a :class:`BucketStore`, one function per operation: (request parts) → Starlette response."""
from __future__ import annotations

from urllib.parse import unquote
from xml.etree import ElementTree

from starlette.responses import Response

from sagelocal.s3api.errors import S3Error
from sagelocal.s3api.payload import request_body, response_checksums
from sagelocal.s3api.store import BucketStore, ObjectInfo
from sagelocal.s3api.xml import NAMESPACE, document, element, http_date, iso

OWNER = "<Owner><ID>sagelocal</ID><DisplayName>sagelocal</DisplayName></Owner>"
MAX_DELETE = 1000


def _object_headers(info: ObjectInfo) -> dict[str, str]:
    return {"ETag": info.etag, "Last-Modified": http_date(info.last_modified), "Accept-Ranges": "bytes"}


def list_buckets(store: BucketStore) -> Response:
    buckets = "".join(f"<Bucket>{element('Name', name)}{element('CreationDate', iso(created))}</Bucket>"
                      for name, created in store.list_buckets())
    return document("ListAllMyBucketsResult", f"{OWNER}<Buckets>{buckets}</Buckets>")


def create_bucket(store: BucketStore, bucket: str, region: str) -> Response:
    if not store.create_bucket(bucket) and region != "us-east-1":
        raise S3Error("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded "
                      "and you already own it.", 409, BucketName=bucket)
    return Response(headers={"Location": f"/{bucket}"})


def head_bucket(store: BucketStore, bucket: str, region: str) -> Response:
    store.require_bucket(bucket)
    return Response(headers={"x-amz-bucket-region": region})


def get_bucket_location(store: BucketStore, bucket: str, region: str) -> Response:
    store.require_bucket(bucket)
    return document("LocationConstraint", "" if region == "us-east-1" else region)


def delete_bucket(store: BucketStore, bucket: str) -> Response:
    store.delete_bucket(bucket)
    return Response(status_code=204)


def put_object(store: BucketStore, bucket: str, key: str, headers: dict, raw: bytes) -> Response:
    data = request_body(headers, raw)
    info = store.put_object(bucket, key, data)
    return Response(headers={"ETag": info.etag, **response_checksums(headers, data)})


def copy_object(store: BucketStore, bucket: str, key: str, source: str) -> Response:
    source_bucket, _, source_key = unquote(source.split("?", 1)[0]).lstrip("/").partition("/")
    if not source_key:
        raise S3Error("InvalidArgument", "Copy Source must mention the source bucket and key: "
                      "sourcebucket/sourcekey", 400)
    info = store.copy_object(source_bucket, source_key, bucket, key)
    return document("CopyObjectResult", element("LastModified", iso(info.last_modified)) + element("ETag", info.etag))


def get_object(store: BucketStore, bucket: str, key: str, range_header: str | None) -> Response:
    info, data = store.get_object(bucket, key)
    headers = _object_headers(info)
    if not range_header:
        return Response(data, headers=headers, media_type="binary/octet-stream")
    first, last = _byte_range(range_header, len(data))
    headers["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
    return Response(data[first:last + 1], status_code=206, headers=headers, media_type="binary/octet-stream")


def _byte_range(header: str, size: int) -> tuple[int, int]:
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


def head_object(store: BucketStore, bucket: str, key: str) -> Response:
    info = store.head_object(bucket, key)
    headers = _object_headers(info) | {"Content-Length": str(info.size), "Content-Type": "binary/octet-stream"}
    return Response(headers=headers)


def delete_object(store: BucketStore, bucket: str, key: str) -> Response:
    store.delete_object(bucket, key)
    return Response(status_code=204)


def delete_objects(store: BucketStore, bucket: str, headers: dict, raw: bytes) -> Response:
    body = request_body(headers, raw)
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise S3Error("MalformedXML", "The XML you provided was not well-formed", 400) from None
    space = f"{{{NAMESPACE}}}" if root.tag.startswith("{") else ""
    keys = [node.findtext(f"{space}Key") or "" for node in root.findall(f"{space}Object")]
    quiet = (root.findtext(f"{space}Quiet") or "").lower() == "true"
    if not 1 <= len(keys) <= MAX_DELETE:
        raise S3Error("MalformedXML", f"Delete takes 1 to {MAX_DELETE} keys", 400)
    store.require_bucket(bucket)
    parts = []
    for key in keys:
        try:
            store.delete_object(bucket, key)
            if not quiet:
                parts.append(f"<Deleted>{element('Key', key)}</Deleted>")
        except S3Error as error:
            parts.append(f"<Error>{element('Key', key)}{element('Code', error.code)}"
                         f"{element('Message', error.message)}</Error>")
    return document("DeleteResult", "".join(parts))
