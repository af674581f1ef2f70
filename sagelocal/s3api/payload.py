"""The body of a signed S3 request, checked piece by piece as it arrives, never held whole.

What ``X-Amz-Content-SHA256`` (signed, checked before the body) says the body is:

- a hex SHA-256 (botocore over HTTP): the body's SHA-256 must be that;
- ``UNSIGNED-PAYLOAD``: the body as sent;
- ``STREAMING-UNSIGNED-PAYLOAD-TRAILER`` (botocore over HTTPS, with its default CRC32): ``aws-chunked``
  framing around the bytes, the checksum in a trailer;
- ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`` (the Java and other SDKs): ``aws-chunked`` with each chunk
  signed, the chain starting from the request's signature (and the trailer signed too).

Every checksum the client declares (``x-amz-checksum-*``, in a header or a trailer, and ``Content-MD5``) is
compared with the bytes; the MD5 is always computed (it is the object's ETag).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from zlib_ng import zlib_ng

from sagelocal.s3api.errors import S3Error

UNSIGNED = "UNSIGNED-PAYLOAD"
UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
SIGNED_CHUNKS = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_CHUNKS_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_MAX_CHUNK_HEADER = 4096


class _Crc32:
    def __init__(self):
        self.value = 0

    def update(self, data: bytes) -> None:
        self.value = zlib_ng.crc32(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(4, "big")


# The checksums S3 accepts that sagelocal can compute (CRC32C and CRC64NVME need botocore's optional awscrt).
CHECKSUMS = {"x-amz-checksum-crc32": _Crc32, "x-amz-checksum-sha1": hashlib.sha1,
             "x-amz-checksum-sha256": hashlib.sha256}
_UNSUPPORTED_CHECKSUMS = ("x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _mismatch(what: str) -> S3Error:
    return S3Error("SignatureDoesNotMatch", f"The {what} signature we calculated does not match the one you "
                   "provided. Check your key and signing method.", 403)


class ChunkSigner:
    """The signatures of ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` chunks: each signs its data and the previous one."""

    def __init__(self, secret: str, amz_date: str, region: str, service: str, seed_signature: str):
        key = ("AWS4" + secret).encode()
        for part in (amz_date[:8], region, service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        self._key, self._previous = key, seed_signature
        self._prefix = f"{amz_date}\n{amz_date[:8]}/{region}/{service}/aws4_request\n"

    def _next(self, algorithm: str, digest: str, given: str, what: str) -> None:
        text = f"{algorithm}\n{self._prefix}{self._previous}\n{digest}"
        expected = hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), given.encode()):
            raise _mismatch(what)
        self._previous = expected

    def chunk(self, data_sha256: str, given: str) -> None:
        self._next("AWS4-HMAC-SHA256-PAYLOAD", f"{_EMPTY_SHA256}\n{data_sha256}", given, "chunk")

    def trailer(self, trailers: dict[str, str], given: str) -> None:
        canonical = "".join(f"{name}:{value}\n" for name, value in trailers.items())
        self._next("AWS4-HMAC-SHA256-TRAILER", hashlib.sha256(canonical.encode()).hexdigest(), given, "trailer")


class _AwsChunked:
    """``aws-chunked`` framing → the object's bytes, chunk by chunk as they arrive; trailers at the end.

    ``<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n`` ... ``0[;chunk-signature=<sig>]\r\n``, then
    ``name:value\r\n`` trailer lines and an empty line.
    """

    def __init__(self, signer: ChunkSigner | None):
        self.signer, self.trailers = signer, {}
        self._buffer, self._state, self._left = bytearray(), "size", 0
        self._signature, self._chunk_hash = "", hashlib.sha256()

    def feed(self, data: bytes) -> bytes:
        self._buffer += data
        out = bytearray()
        while self._step(out):
            pass
        return bytes(out)

    def _step(self, out: bytearray) -> bool:
        """Consume one piece of framing or data; False when more bytes are needed."""
        if self._state == "data":
            take = min(self._left, len(self._buffer))
            if not take:
                return False
            piece = bytes(self._buffer[:take])
            del self._buffer[:take]
            out += piece
            if self.signer is not None:
                self._chunk_hash.update(piece)
            self._left -= take
            self._state = "data" if self._left else "crlf"
        elif self._state == "crlf":
            if len(self._buffer) < 2:
                return False
            if self._buffer[:2] != b"\r\n":
                raise S3Error("IncompleteBody", "An aws-chunked chunk is longer than its size says", 400)
            del self._buffer[:2]
            self._end_chunk()
            self._state = "size"
        elif self._state == "size":
            line = self._line()
            if line is None:
                return False
            self._start_chunk(line)
        elif self._state == "trailer":
            line = self._line()
            if line is None:
                return False
            if line:
                name, _, value = line.partition(":")
                self.trailers[name.strip().lower()] = value.strip()
            else:
                self._state = "done"
        else:
            if self._buffer:
                raise S3Error("InvalidRequest", "Bytes follow the end of the aws-chunked body", 400)
            return False
        return True

    def _line(self) -> str | None:
        end = self._buffer.find(b"\r\n")
        if end < 0:
            if len(self._buffer) > _MAX_CHUNK_HEADER:
                raise S3Error("InvalidRequest", "Malformed aws-chunked body: a line with no end", 400)
            return None
        line = self._buffer[:end].decode("latin-1")
        del self._buffer[:end + 2]
        return line

    def _start_chunk(self, line: str) -> None:
        size_text, _, extension = line.partition(";")
        try:
            size = int(size_text, 16)
        except ValueError:
            raise S3Error("InvalidRequest", f"Malformed aws-chunked chunk size {size_text[:20]!r}", 400) from None
        if self.signer is not None and not extension.startswith("chunk-signature="):
            raise S3Error("InvalidRequest", "A signed aws-chunked chunk has no chunk-signature", 400)
        self._signature = extension.removeprefix("chunk-signature=")
        self._chunk_hash = hashlib.sha256()
        if size:
            self._state, self._left = "data", size
        else:  # the last chunk (signed too, over no data); trailers follow
            self._end_chunk()
            self._state = "trailer"

    def _end_chunk(self) -> None:
        if self.signer is not None:
            self.signer.chunk(self._chunk_hash.hexdigest(), self._signature)

    def close(self) -> dict[str, str]:
        """The trailers, once the whole body has been fed; the trailer's signature checked."""
        if self._state == "trailer" and not self._buffer:  # a body may end right after its trailer lines
            self._state = "done"
        if self._state != "done":
            raise S3Error("IncompleteBody", "The request body ended inside its aws-chunked framing", 400)
        signature = self.trailers.pop("x-amz-trailer-signature", None)
        if self.signer is not None and self.trailers:
            if signature is None:
                raise S3Error("InvalidRequest", "The signed trailer has no x-amz-trailer-signature", 400)
            self.signer.trailer(self.trailers, signature)
        return self.trailers


class IncomingBody:
    """One request's body: feed it the bytes as they arrive, get the object's bytes back, then :meth:`finish`."""

    def __init__(self, headers: dict[str, str], signer_for_chunks=None):
        declared = headers.get("x-amz-content-sha256", "")
        self.headers = headers
        self._framing = None
        self._sha256 = None
        if declared in (SIGNED_CHUNKS, SIGNED_CHUNKS_TRAILER):
            self._framing = _AwsChunked(signer_for_chunks())
        elif declared == UNSIGNED_TRAILER:
            self._framing = _AwsChunked(None)
        elif declared.startswith("STREAMING-"):
            raise S3Error("NotImplemented", f"sagelocal does not accept {declared} bodies", 501)
        elif declared != UNSIGNED:
            self._sha256 = hashlib.sha256()
        self._declared = declared
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0
        algorithms = {name for name in (*headers, headers.get("x-amz-trailer", "").lower())
                      if name.startswith("x-amz-checksum-") and name not in ("x-amz-checksum-algorithm",
                                                                             "x-amz-checksum-type",
                                                                             "x-amz-checksum-mode")}
        unsupported = algorithms.intersection(_UNSUPPORTED_CHECKSUMS)
        if unsupported:
            raise S3Error("NotImplemented", f"sagelocal cannot verify {', '.join(sorted(unsupported))}; "
                          "use CRC32, SHA1 or SHA256", 501)
        self._checksums = {name: CHECKSUMS[name]() for name in algorithms if name in CHECKSUMS}

    def feed(self, raw: bytes) -> bytes:
        """The object bytes in ``raw`` (the body's next bytes as sent), every running hash updated."""
        if self._sha256 is not None:
            self._sha256.update(raw)
        data = self._framing.feed(raw) if self._framing is not None else raw
        if data:
            self.size += len(data)
            self.md5.update(data)
            for checksum in self._checksums.values():
                checksum.update(data)
        return data

    def finish(self) -> dict[str, str]:
        """Check the whole body against everything the request declared; the checksums S3 echoes back."""
        declared = dict(self.headers)
        if self._framing is not None:
            declared.update(self._framing.close())
            decoded_length = self.headers.get("x-amz-decoded-content-length")
            if decoded_length is not None and decoded_length != str(self.size):
                raise S3Error("IncompleteBody", "You did not provide the number of bytes specified by the "
                              "X-Amz-Decoded-Content-Length HTTP header", 400)
        elif self._sha256 is not None and not hmac.compare_digest(self._declared.encode(),
                                                                   self._sha256.hexdigest().encode()):
            raise S3Error("XAmzContentSHA256Mismatch",
                          "The provided 'x-amz-content-sha256' header does not match what was computed.", 400)
        if "content-md5" in declared and not hmac.compare_digest(declared["content-md5"].encode(),
                                                                 _b64(self.md5.digest()).encode()):
            raise S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.", 400)
        echoed = {}
        for name, checksum in self._checksums.items():
            value = _b64(checksum.digest())
            if name not in declared:
                raise S3Error("InvalidRequest", f"The request declared the trailer {name} but did not send it", 400)
            if not hmac.compare_digest(declared[name].encode(), value.encode()):
                algorithm = name.removeprefix("x-amz-checksum-").upper()
                raise S3Error("BadDigest", f"The {algorithm} you specified did not match the calculated checksum.",
                              400)
            echoed[name] = value
        return echoed
