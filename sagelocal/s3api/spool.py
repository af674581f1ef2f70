"""Bodies written to disk as they arrive, hashed on the way, never whole in memory.

The event loop receives the request's bytes; every megabyte or so is handed to a worker thread that decodes
(``aws-chunked``), hashes (MD5, SHA-256, CRC32: hashlib and zlib release the GIL) and writes it, while the
loop receives the next megabyte. At most two batches are held; flow control does the rest (uvicorn stops
reading the socket while the app does not ask for more).

Where the bytes go is a :class:`Destination`: a new temp file of the bucket (:class:`TempFile`, renamed into
place by the operation), or a multipart upload's part slot (:class:`sagelocal.s3api.multipart.PartSlot`).
"""
from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from starlette.requests import Request

from sagelocal.errors import BodyTooLarge
from sagelocal.s3api.payload import IncomingBody
from sagelocal.storage.s3 import temp_file

BATCH_BYTES = 1 << 20
# Hashing is CPU work: more threads than cores would only take the GIL from each other.
_HASHING = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="s3-body")


class Destination(Protocol):
    """Where one body's bytes are written."""

    path: Path  # the file the bytes are in

    def open(self) -> BinaryIO:
        """The file, open for writing where the body's first byte goes."""

    def too_large(self, size: int) -> Exception | None:
        """The error for a body that has reached ``size`` bytes; None while it may grow."""

    def discard(self) -> None:
        """Give up what was written (called after a failure, and after the operation that used the bytes)."""


class TempFile:
    """A new temp file of the bucket at ``bucket_path``, for a body of at most ``limit`` bytes."""

    def __init__(self, bucket_path: Path, limit: int):
        self.bucket_path, self.limit, self.path = bucket_path, limit, None

    def open(self) -> BinaryIO:
        handle = temp_file(self.bucket_path)
        self.path = Path(handle.name)
        return handle

    def too_large(self, size: int) -> Exception | None:
        return BodyTooLarge(self.limit) if size > self.limit else None

    def discard(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


@dataclass
class Received:
    """A whole body, checked, in its destination's file: rename it into place or :meth:`discard` it."""

    destination: Destination
    size: int
    md5: bytes
    checksums: dict[str, str] = field(default_factory=dict)  # the x-amz-checksum-* values S3 echoes

    @property
    def path(self) -> Path:
        return self.destination.path

    @property
    def etag(self) -> str:
        return f'"{self.md5.hex()}"'

    def discard(self) -> None:
        self.destination.discard()


class BodyWriter:
    """A body's bytes on their way into ``destination`` (opened now): written in batches, then finished or
    discarded. A destination that cannot be opened is discarded at once."""

    def __init__(self, destination: Destination, body: IncomingBody):
        self.destination, self.body = destination, body
        try:
            self.handle = destination.open()
        except BaseException:
            destination.discard()
            raise

    def write(self, pieces: list[bytes]) -> None:
        for raw in pieces:
            data = self.body.feed(raw)
            error = self.destination.too_large(self.body.size)
            if error is not None:  # before writing: a part slot must not spill into the next
                raise error
            self.handle.write(data)

    def finish(self, last: list[bytes]) -> Received:
        """Write the ``last`` pieces and check the whole body against what the request declared."""
        try:
            self.write(last)
            self.handle.close()
            received = Received(self.destination, self.body.size, self.body.md5.digest())
            received.checksums = self.body.finish()
        except BaseException:
            self.discard()
            raise
        return received

    def discard(self) -> None:
        self.handle.close()
        self.destination.discard()


async def receive(request: Request, writer: BodyWriter) -> Received:
    """Stream ``request``'s body through ``writer``, a batch at a time in the hashing threads.

    Raises what the body's checks raise (:class:`~sagelocal.s3api.errors.S3Error`) or what the destination
    says of a body too large (:class:`BodyTooLarge`); what was written is then discarded.
    """
    loop = asyncio.get_running_loop()
    writing = None  # the previous batch, being written while the next one arrives
    try:
        batch, size = [], 0
        async for chunk in request.stream():
            batch.append(chunk)
            size += len(chunk)
            if size >= BATCH_BYTES:
                if writing is not None:
                    await writing
                writing = loop.run_in_executor(_HASHING, writer.write, batch)
                batch, size = [], 0
        if writing is not None:
            await writing
    except BaseException:
        if writing is not None:
            await asyncio.gather(writing, return_exceptions=True)
        await loop.run_in_executor(_HASHING, writer.discard)
        raise
    return await loop.run_in_executor(_HASHING, writer.finish, batch)


def copy_range(source: Path, first: int, last: int, bucket_path: Path) -> Received:
    """Bytes ``first..last`` of ``source`` copied to a temp file of the bucket at ``bucket_path`` (with their MD5)."""
    body = IncomingBody({"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    writer = BodyWriter(TempFile(bucket_path, limit=last - first + 1), body)
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
    return writer.finish([])
