"""ListObjects (v1: Marker/NextMarker) and ListObjectsV2 (continuation tokens): prefix, delimiter with common
prefixes, max-keys, start-after, url encoding."""
from __future__ import annotations

import base64
from urllib.parse import quote

from starlette.responses import Response

from sagelocal.s3api.errors import S3Error
from sagelocal.s3api.keyspace import KeySpace
from sagelocal.s3api.xml import document, element, iso

MAX_KEYS = 1000


def _token(marker: str) -> str:
    return base64.urlsafe_b64encode(marker.encode()).decode()


def _marker(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise S3Error("InvalidArgument", "The continuation token provided is incorrect", 400) from None


def max_count(query, name: str = "max-keys") -> int:
    """A ``max-keys``-like parameter: at most 1,000, as S3 caps it."""
    text = query.get(name)
    try:
        value = MAX_KEYS if text is None else int(text)
    except ValueError:
        raise S3Error("InvalidArgument", f"Provided {name} not an integer or within integer range", 400) from None
    if value < 0:
        raise S3Error("InvalidArgument", f"Argument {name} must be an integer between 0 and 2147483647", 400)
    return min(value, MAX_KEYS)


def rolled_up(key: str, prefix: str, delimiter: str) -> str:
    """The entry ``key`` shows as in a delimited listing: itself, or its common prefix."""
    if delimiter:
        cut = key.find(delimiter, len(prefix))
        if cut >= 0:
            return key[: cut + len(delimiter)]
    return key


def page(keys, prefix: str, delimiter: str, max_keys: int, after: str):
    """``(keys, common_prefixes, next_marker)`` of one page of ``keys`` (sorted): entries sorted after ``after``."""
    found, prefixes, last = [], [], None
    for key in keys:
        entry = rolled_up(key, prefix, delimiter)
        if entry.encode() <= after.encode() or entry == last:
            continue
        if len(found) + len(prefixes) == max_keys:
            return found, prefixes, last
        (prefixes if entry != key else found).append(entry)
        last = entry
    return found, prefixes, None


def encoder(query):
    """How keys and prefixes are written: URL-encoded when the client asks (``encoding-type=url``)."""
    if query.get("encoding-type") == "url":
        return lambda text: quote(text, safe="/")
    return lambda text: text


def _contents(space: KeySpace, keys: list[str], encode) -> list[str]:
    parts = []
    for key in keys:
        path = space.find(key)
        if path is None:  # deleted since it was listed
            continue
        info = space.info(key, path)
        parts.append("<Contents>" + element("Key", encode(key)) + element("LastModified", iso(info.last_modified))
                     + element("ETag", info.etag) + element("Size", info.size)
                     + element("StorageClass", "STANDARD") + "</Contents>")
    return parts


def _listing(space: KeySpace, bucket: str, query, after: str, head) -> Response:
    """The parts v1 and v2 share; ``head(encode, next_marker, count)`` gives each version's own elements."""
    prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
    max_keys = max_count(query)
    keys, prefixes, next_marker = page(space.keys(prefix), prefix, delimiter, max_keys, after)
    encode = encoder(query)
    parts = [element("Name", bucket), element("Prefix", encode(prefix))]
    parts += head(encode, next_marker, len(keys) + len(prefixes))
    if delimiter:
        parts.append(element("Delimiter", encode(delimiter)))
    parts += [element("MaxKeys", max_keys), element("IsTruncated", "true" if next_marker else "false")]
    if query.get("encoding-type") == "url":
        parts.append(element("EncodingType", "url"))
    parts += _contents(space, keys, encode)
    parts += [f"<CommonPrefixes>{element('Prefix', encode(p))}</CommonPrefixes>" for p in prefixes]
    return document("ListBucketResult", "".join(parts))


def list_objects(space: KeySpace, bucket: str, query) -> Response:
    """ListObjects (v1). S3 gives NextMarker only with a delimiter; clients then resume after the last key."""
    marker = query.get("marker", "")

    def head(encode, next_marker, count):
        parts = [element("Marker", encode(marker))]
        if next_marker and query.get("delimiter"):
            parts.append(element("NextMarker", encode(next_marker)))
        return parts

    return _listing(space, bucket, query, marker, head)


def list_objects_v2(space: KeySpace, bucket: str, query) -> Response:
    token, start_after = query.get("continuation-token"), query.get("start-after", "")
    after = max(_marker(token), start_after) if token else start_after

    def head(encode, next_marker, count):
        parts = [element("KeyCount", count)]
        if token:
            parts.append(element("ContinuationToken", token))
        if next_marker:
            parts.append(element("NextContinuationToken", _token(next_marker)))
        if start_after:
            parts.append(element("StartAfter", encode(start_after)))
        return parts

    return _listing(space, bucket, query, after, head)
