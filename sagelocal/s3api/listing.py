"""ListObjectsV2: prefix, delimiter with common prefixes, max-keys, continuation token, start-after, url encoding."""
from __future__ import annotations

import base64
from urllib.parse import quote

from starlette.responses import Response

from sagelocal.s3api.errors import S3Error
from sagelocal.s3api.store import BucketStore
from sagelocal.s3api.xml import document, element, iso

MAX_KEYS = 1000


def _token(marker: str) -> str:
    return base64.urlsafe_b64encode(marker.encode()).decode()


def _marker(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise S3Error("InvalidArgument", "The continuation token provided is incorrect", 400) from None


def _max_keys(text: str | None) -> int:
    try:
        value = MAX_KEYS if text is None else int(text)
    except ValueError:
        raise S3Error("InvalidArgument", "Provided max-keys not an integer or within integer range", 400) from None
    if value < 0:
        raise S3Error("InvalidArgument", "Argument maxKeys must be an integer between 0 and 2147483647", 400)
    return min(value, MAX_KEYS)


def page(store: BucketStore, bucket: str, prefix: str, delimiter: str, max_keys: int, after: str):
    """``(keys, common_prefixes, next_marker)`` of one page: entries sorted after ``after``."""
    keys, prefixes, last = [], [], None
    for key in store.iter_keys(bucket, prefix):
        entry = key
        if delimiter:
            cut = key.find(delimiter, len(prefix))
            if cut >= 0:
                entry = key[: cut + len(delimiter)]
        if entry.encode() <= after.encode() or entry == last:
            continue
        if len(keys) + len(prefixes) == max_keys:
            return keys, prefixes, last
        (prefixes if entry != key else keys).append(entry)
        last = entry
    return keys, prefixes, None


def list_objects_v2(store: BucketStore, bucket: str, query) -> Response:
    prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
    max_keys = _max_keys(query.get("max-keys"))
    token, start_after = query.get("continuation-token"), query.get("start-after", "")
    after = max(_marker(token), start_after) if token else start_after
    keys, prefixes, next_marker = page(store, bucket, prefix, delimiter, max_keys, after)
    url = query.get("encoding-type") == "url"
    encode = (lambda text: quote(text, safe="/")) if url else (lambda text: text)
    parts = [element("Name", bucket), element("Prefix", encode(prefix))]
    if delimiter:
        parts.append(element("Delimiter", encode(delimiter)))
    parts += [element("MaxKeys", max_keys), element("KeyCount", len(keys) + len(prefixes)),
              element("IsTruncated", "true" if next_marker else "false")]
    if url:
        parts.append(element("EncodingType", "url"))
    if token:
        parts.append(element("ContinuationToken", token))
    if next_marker:
        parts.append(element("NextContinuationToken", _token(next_marker)))
    if start_after:
        parts.append(element("StartAfter", encode(start_after)))
    for key in keys:
        info = store.info(bucket, key)
        parts.append("<Contents>" + element("Key", encode(key)) + element("LastModified", iso(info.last_modified))
                     + element("ETag", info.etag) + element("Size", info.size)
                     + element("StorageClass", "STANDARD") + "</Contents>")
    parts += [f"<CommonPrefixes>{element('Prefix', encode(p))}</CommonPrefixes>" for p in prefixes]
    return document("ListBucketResult", "".join(parts))
