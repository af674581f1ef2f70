"""Where each S3 key of a bucket lives on disk, and the record of what S3 said about it (its ETag).

The runtime reads and writes ``s3/<bucket>/<key>`` directly (job inputs and outputs, capture, reports), so
every key that can be that path keeps it. S3 allows more: any UTF-8 key up to 1,024 bytes, so a '/'-part
longer than a file name (255 bytes), an empty part (``folder/``, ``a//b``), a ``.`` or ``..`` part, or
``a`` beside ``a/b`` (a file where a folder must be). Those keys are kept aside, in the bucket's bookkeeping
folder, under the SHA-256 of the key, and the key itself is written in the key's record::

    s3/<bucket>/<key>                                            ordinary keys, as before
    s3/<bucket>/.sagelocal-s3/aside/<sha256(key)>                the bytes of every other key
    s3/<bucket>/.sagelocal-s3/records/<sha256(key)>.json         {"key", "etag", "size", "mtime_ns"}
    s3/<bucket>/.sagelocal-s3/tmp/, uploads/<id>/                bodies being received; multipart uploads

Why aside rather than an escaped spelling in place: no file name can hold a 300-byte part, so any in-place
scheme must split or encode names, reserve some spelling that ordinary keys then lose, and still cannot put
a file where ``a/b`` needs a folder. Aside, the mapping is reversible through the record (a hash names the
file, the record names the key), ordinary files are untouched, and one name is reserved: a key whose first
part is ``.sagelocal-s3`` is itself kept aside. Listings merge both kinds in S3's order.

A record also keeps the ETag, which for a multipart object is not the MD5 of its bytes and for a large file
is slow to recompute on every HEAD or listing. It is trusted only while the file still has the recorded
size and modification time: a file the runtime rewrote gets its MD5 computed again (and recorded).
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sagelocal.s3api.errors import S3Error
from sagelocal.storage.paths import OutsideRoot, contained
from sagelocal.storage.s3 import INTERNAL, object_files, replace_file

MAX_KEY_BYTES = 1024  # S3's limit on a key's UTF-8 length


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    last_modified: datetime


def check_key(key: str) -> None:
    """Refuse what S3 refuses: an empty key, one over 1,024 bytes, a NUL (S3 answers 400 for each)."""
    if not key:
        raise S3Error("InvalidArgument", "The key must be at least one character long", 400)
    if len(key.encode()) > MAX_KEY_BYTES:
        raise S3Error("KeyTooLongError", "Your key is too long", 400, Size=str(len(key.encode())),
                      MaxSizeAllowed=str(MAX_KEY_BYTES))
    if "\0" in key:
        raise S3Error("InvalidArgument", "Object key names may not contain the NUL character", 400, Key=key)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _md5_etag(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return f'"{digest.hexdigest()}"'


class KeySpace:
    """The keys of one bucket folder."""

    def __init__(self, bucket_path: Path):
        self.root = bucket_path
        internal = bucket_path / INTERNAL
        self.aside, self.records = internal / "aside", internal / "records"
        self.name_max = os.pathconf(bucket_path, "PC_NAME_MAX")

    # -- where a key is -----------------------------------------------------------------------
    def plain_path(self, key: str) -> Path | None:
        """The ordinary path ``<bucket>/<key>``, or None when no file there could ever hold this key."""
        parts = key.split("/")
        if parts[0] == INTERNAL or any(part in ("", ".", "..") or len(part.encode()) > self.name_max
                                       for part in parts):
            return None
        try:
            return contained(self.root, *parts)
        except OutsideRoot:  # a symbolic link in the bucket leading out of it: such a key is kept aside
            return None

    def aside_path(self, key: str) -> Path:
        return self.aside / _digest(key)

    def find(self, key: str) -> Path | None:
        """The file holding ``key``, or None when the bucket has no such key."""
        plain = self.plain_path(key)
        if plain is not None and plain.is_file():
            return plain
        aside = self.aside_path(key)
        return aside if aside.is_file() else None

    def place_for(self, key: str) -> Path:
        """Where a new body for ``key`` goes: its ordinary path unless a file or folder is in the way."""
        plain = self.plain_path(key)
        if plain is None or plain.is_dir():
            return self.aside_path(key)
        for parent in plain.relative_to(self.root).parents:
            if (self.root / parent).is_file():
                return self.aside_path(key)
        return plain

    # -- writing and removing -----------------------------------------------------------------
    def put(self, key: str, finished: Path, etag: str) -> ObjectInfo:
        """Move the finished body at ``finished`` (in this bucket's temp folder) into place as ``key``.

        The record is written first (its stat matches the renamed file: a rename keeps size and mtime), so a
        key kept aside is never without the record that names it. The caller serialises puts to one bucket.
        """
        target = self.place_for(key)
        stat = finished.stat()
        self._write_record(key, etag, stat)
        target.parent.mkdir(parents=True, exist_ok=True)
        replace_file(finished, target)
        other = self.aside_path(key) if target != self.aside_path(key) else self.plain_path(key)
        if other is not None and other.is_file():  # the key moved between the two places: one copy only
            other.unlink()
        return ObjectInfo(key, stat.st_size, etag, _modified(stat))

    def delete(self, key: str) -> None:
        """Delete the key (a missing key is no error, as on S3); ordinary folders left empty go too."""
        path = self.find(key)
        if path is None:
            return
        path.unlink()
        self._record_path(key).unlink(missing_ok=True)
        if path.parent != self.aside:
            for parent in path.parents:
                if parent == self.root or any(parent.iterdir()):
                    break
                parent.rmdir()

    def is_empty(self) -> bool:
        return not any(name != INTERNAL for name in os.listdir(self.root)) and not (
            self.aside.is_dir() and any(self.aside.iterdir()))

    # -- reading --------------------------------------------------------------------------------
    def info(self, key: str, path: Path) -> ObjectInfo:
        stat = path.stat()
        record = self._read_record(key)
        if record and (record["size"], record["mtime_ns"]) == (stat.st_size, stat.st_mtime_ns):
            etag = record["etag"]
        else:  # written by the runtime, or rewritten since: the ETag of a single-part upload is its MD5
            etag = _md5_etag(path)
            self._write_record(key, etag, stat)
        return ObjectInfo(key, stat.st_size, etag, _modified(stat))

    def keys(self, prefix: str) -> list[str]:
        """Every key starting with ``prefix``, in S3's order (UTF-8 bytes)."""
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        base = self.plain_path(folder) if folder else self.root
        keys = []
        if base is not None and base.is_dir():
            keys += [path.relative_to(self.root).as_posix() for path in object_files(base)]
        if self.aside.is_dir():
            for name in os.listdir(self.aside):
                record = self._read_record_file(self.records / f"{name}.json")
                if record is not None:
                    keys.append(record["key"])
        return sorted((key for key in keys if key.startswith(prefix)), key=str.encode)

    # -- records --------------------------------------------------------------------------------
    def _record_path(self, key: str) -> Path:
        return self.records / f"{_digest(key)}.json"

    def _read_record(self, key: str) -> dict | None:
        record = self._read_record_file(self._record_path(key))
        return record if record is not None and record["key"] == key else None

    @staticmethod
    def _read_record_file(path: Path) -> dict | None:
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None

    def _write_record(self, key: str, etag: str, stat: os.stat_result) -> None:
        self.records.mkdir(parents=True, exist_ok=True)
        path = self._record_path(key)
        partial = path.with_name(f"{path.name}.{threading.get_ident()}")
        partial.write_text(json.dumps({"key": key, "etag": etag, "size": stat.st_size,
                                       "mtime_ns": stat.st_mtime_ns}))
        os.replace(partial, path)


def _modified(stat: os.stat_result) -> datetime:
    return datetime.fromtimestamp(int(stat.st_mtime), timezone.utc)
