"""Map ``s3://bucket/key`` URIs to files under one local root, refusing keys that would leave it."""
from __future__ import annotations

import ctypes
import os
import re
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sagelocal.errors import UserError
from sagelocal.storage.paths import OutsideRoot, contained

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
# Each bucket's own bookkeeping (bodies being written, multipart uploads, keys no path can hold: see
# sagelocal/s3api/keyspace.py) lives in this folder of the bucket: on the bucket's file system, so a finished
# body is renamed into place, and never listed as objects.
INTERNAL = ".sagelocal-s3"


_LIBC = ctypes.CDLL(None, use_errno=True)
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2
# Deleting a large replaced file frees its blocks (on a disk mounted with discard, trims them too): milliseconds
# no request needs to wait for. The pool's thread is joined at exit, so nothing is left behind.
_DELETING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="replaced-files")


def replace_file(finished: Path | str, target: Path | str) -> None:
    """``os.replace(finished, target)``: a reader of ``target`` finds the old file or the new, never neither.

    When ``target`` is a file already, the two are exchanged (``renameat2(RENAME_EXCHANGE)``) and the old one is
    deleted: ext4 writes a new file out to disk before renaming it over another (``auto_da_alloc``, its guard for
    programs that do not fsync), which made replacing a 100 MB object take ~70 ms of the request.
    """
    if os.path.isfile(target) and not os.path.islink(target) and _exchange(finished, target):
        _DELETING.submit(os.unlink, finished)  # now the old file
    else:
        os.replace(finished, target)


def _exchange(first: Path | str, second: Path | str) -> bool:
    """Swap two paths atomically; False where the system cannot (no renameat2, a file system without it)."""
    renameat2 = getattr(_LIBC, "renameat2", None)
    return renameat2 is not None and renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second),
                                               _RENAME_EXCHANGE) == 0


def object_files(folder: Path) -> list[Path]:
    """The object files under ``folder`` (a bucket or a prefix's folder), without the bucket's bookkeeping."""
    files = []
    for directory, subfolders, names in os.walk(folder):
        subfolders[:] = sorted(name for name in subfolders if name != INTERNAL)
        files += [Path(directory, name) for name in names]
    return files


def temp_file(bucket_path: Path):
    """A new file in the bucket's bookkeeping folder, open for binary writing (deleted by the caller)."""
    folder = bucket_path / INTERNAL / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    return tempfile.NamedTemporaryFile(dir=folder, delete=False)


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """Split ``s3://bucket/key`` into ``(bucket, key)``; the key may be empty."""
    if not isinstance(uri, str) or not uri.startswith("s3://"):
        raise UserError(f"not an S3 URI: {uri!r}")
    bucket, _, key = uri[len("s3://"):].partition("/")
    if not _BUCKET.match(bucket):
        raise UserError(f"invalid bucket name in {uri!r}")
    if any(part in ("..", ".") for part in key.split("/")):
        raise UserError(f"S3 key tries to leave its bucket: {uri!r}")
    return bucket, key


class LocalS3:
    """A folder that stands in for S3. Every URI maps to exactly one path under ``root``."""

    def __init__(self, root: Path | str):
        self.root = Path(root).resolve()

    def path(self, uri: str) -> Path:
        bucket, key = parse_s3_uri(uri)
        try:
            return contained(self.root, bucket, *([key] if key else []))
        except OutsideRoot as error:
            raise UserError(f"cannot map {uri!r} to a local file: {error.message}") from None

    def uri(self, path: Path | str) -> str:
        relative = Path(path).resolve().relative_to(self.root)
        return "s3://" + relative.as_posix()

    def exists(self, uri: str) -> bool:
        return self.path(uri).exists()

    def read_bytes(self, uri: str) -> bytes:
        path = self.path(uri)
        if not path.is_file():
            raise UserError(f"no such object: {uri}")
        return path.read_bytes()

    def write_bytes(self, uri: str, data: bytes) -> Path:
        """Write the object whole or not at all: readers never see half of it."""
        path = self.path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        bucket, _ = parse_s3_uri(uri)
        with temp_file(self.root / bucket) as handle:
            try:
                handle.write(data)
                handle.close()
                replace_file(handle.name, path)
            except BaseException:
                os.unlink(handle.name)
                raise
        return path

    def copy_in(self, source: Path | str, uri: str) -> Path:
        """Copy a local file or folder to ``uri`` (a folder becomes a prefix)."""
        source, target = Path(source), self.path(uri)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        return target

    def list(self, prefix_uri: str) -> list[str]:
        """URIs of every object under a prefix, sorted as S3 lists keys."""
        base = self.path(prefix_uri)
        if base.is_file():
            return [prefix_uri]
        if not base.is_dir():
            return []
        return sorted(self.uri(p) for p in object_files(base))
