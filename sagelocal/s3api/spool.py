"""Bodies written to a temp file of their bucket as they arrive, hashed on the way, never whole in memory.

The event loop receives the request's bytes; every megabyte or so is handed to a worker thread that decodes
(``aws-chunked``), hashes (MD5, SHA-256, CRC32: hashlib and zlib release the GIL) and writes it, while the
loop receives the next megabyte. At most two batches are held; flow control does the rest (uvicorn stops
reading the socket while the app does not ask for more).
"""
from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from sagelocal.errors import BodyTooLarge
from sagelocal.s3api.payload import IncomingBody
from sagelocal.storage.s3 import temp_file

BATCH_BYTES = 1 << 20


@dataclass
class Received:
    """A whole body, checked, in a temp file of its bucket: rename it into place or :meth:`discard` it."""

    path: Path
    size: int
    md5: bytes
    checksums: dict[str, str] = field(default_factory=dict)  # the x-amz-checksum-* values S3 echoes

    @property
    def etag(self) -> str:
        return f'"{self.md5.hex()}"'

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class _Writer:
    def __init__(self, bucket_path: Path, body: IncomingBody, limit: int):
        self.handle, self.body, self.limit = temp_file(bucket_path), body, limit

    def write(self, pieces: list[bytes]) -> None:
        for raw in pieces:
            self.handle.write(self.body.feed(raw))
        if self.body.size > self.limit:
            raise BodyTooLarge(self.limit)

    def finish(self) -> Received:
        self.handle.close()
        received = Received(Path(self.handle.name), self.body.size, self.body.md5.digest())
        try:
            received.checksums = self.body.finish()
        except BaseException:
            received.discard()
            raise
        return received

    def discard(self) -> None:
        self.handle.close()
        os.unlink(self.handle.name)


async def receive(request: Request, bucket_path: Path, body: IncomingBody, limit: int) -> Received:
    """Stream ``request``'s body through ``body`` into a temp file of the bucket at ``bucket_path``.

    Raises what the body's checks raise (:class:`~sagelocal.s3api.errors.S3Error`) or
    :class:`BodyTooLarge` when the object exceeds ``limit`` bytes; the temp file is then gone.
    """
    writer = await run_in_threadpool(_Writer, bucket_path, body, limit)
    writing = None  # the previous batch, being written while the next one arrives
    try:
        batch, size = [], 0
        async for chunk in request.stream():
            batch.append(chunk)
            size += len(chunk)
            if size >= BATCH_BYTES:
                if writing is not None:
                    await writing
                writing = asyncio.ensure_future(run_in_threadpool(writer.write, batch))
                batch, size = [], 0
        if writing is not None:
            await writing
        await run_in_threadpool(writer.write, batch)
    except BaseException:
        if writing is not None:
            await asyncio.gather(writing, return_exceptions=True)
        await run_in_threadpool(writer.discard)
        raise
    return await run_in_threadpool(writer.finish)


def copy_range(source: Path, first: int, last: int, bucket_path: Path) -> Received:
    """Bytes ``first..last`` of ``source`` copied to a temp file of the bucket at ``bucket_path`` (with their MD5)."""
    body = IncomingBody({"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    writer = _Writer(bucket_path, body, limit=last - first + 1)
    try:
        with source.open("rb") as handle:
            handle.seek(first)
            left = last - first + 1
            while left > 0 and (block := handle.read(min(left, BATCH_BYTES))):
                writer.write([block])
                left -= len(block)
    except BaseException:
        writer.discard()
        raise
    return writer.finish()
