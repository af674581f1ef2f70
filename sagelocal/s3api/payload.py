"""The body of a signed S3 request: check the signed payload hash, undo aws-chunked, verify checksums.

botocore signs S3 bodies with their SHA-256 over HTTP, may send ``UNSIGNED-PAYLOAD``, and over HTTPS sends
streaming bodies as ``aws-chunked`` with an unsigned checksum trailer. Chunk-signed streaming
(``STREAMING-AWS4-HMAC-SHA256-PAYLOAD``) is refused: its per-chunk signatures are not checked here.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import zlib

from sagelocal.s3api.errors import S3Error

UNSIGNED = "UNSIGNED-PAYLOAD"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


CHECKSUMS = {
    "x-amz-checksum-crc32": lambda data: _b64(zlib.crc32(data).to_bytes(4, "big")),
    "x-amz-checksum-sha1": lambda data: _b64(hashlib.sha1(data).digest()),
    "x-amz-checksum-sha256": lambda data: _b64(hashlib.sha256(data).digest()),
    "content-md5": lambda data: _b64(hashlib.md5(data, usedforsecurity=False).digest()),
}


def decode_chunked(raw: bytes) -> tuple[bytes, dict[str, str]]:
    """``aws-chunked`` → (data, trailer headers)."""
    data, position, trailers = bytearray(), 0, {}
    while True:
        end = raw.find(b"\r\n", position)
        if end < 0:
            raise S3Error("IncompleteBody", "The aws-chunked body ended inside a chunk header", 400)
        size_text = raw[position:end].split(b";", 1)[0]
        try:
            size = int(size_text, 16)
        except ValueError:
            raise S3Error("InvalidRequest", "Malformed aws-chunked chunk size", 400) from None
        position = end + 2
        if size == 0:
            break
        if position + size > len(raw):
            raise S3Error("IncompleteBody", "The aws-chunked body is shorter than its chunks say", 400)
        data += raw[position:position + size]
        position += size + 2
    for line in raw[position:].decode("latin-1").split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            trailers[name.strip().lower()] = value.strip()
    return bytes(data), trailers


def request_body(headers: dict[str, str], raw: bytes) -> bytes:
    """The object bytes the client meant to send, after every integrity check the request allows."""
    declared = headers.get("x-amz-content-sha256", "")
    checks = dict(headers)
    if declared == STREAMING_UNSIGNED_TRAILER:
        data, trailers = decode_chunked(raw)
        checks.update(trailers)
    elif declared.startswith("STREAMING-"):
        raise S3Error("NotImplemented", f"sagelocal does not accept {declared} bodies; use the default "
                      "payload signing or UNSIGNED-PAYLOAD", 501)
    elif declared == UNSIGNED:
        data = raw
    else:
        if not hmac.compare_digest(declared, hashlib.sha256(raw).hexdigest()):
            raise S3Error("XAmzContentSHA256Mismatch",
                          "The provided 'x-amz-content-sha256' header does not match what was computed.", 400)
        data = raw
    for name, compute in CHECKSUMS.items():
        if name in checks and not hmac.compare_digest(checks[name], compute(data)):
            code = "InvalidDigest" if name == "content-md5" else "BadDigest"
            raise S3Error(code, f"The {name} you specified did not match the calculated checksum.", 400)
    return data


def response_checksums(headers: dict[str, str], data: bytes) -> dict[str, str]:
    """The checksum headers S3 echoes on PutObject for the algorithm the client used."""
    return {name: compute(data) for name, compute in CHECKSUMS.items()
            if name.startswith("x-amz-checksum-") and (name in headers
                                                       or headers.get("x-amz-trailer") == name)}
