"""Buckets and objects as folders and files under the local S3 root (the same files the runtime reads and writes).

A bucket is a folder ``s3_root/<bucket>``; an object is the file at ``s3_root/<bucket>/<key>``. A file system
cannot hold both ``a`` and ``a/b`` as files, nor a key ending in ``/``; such keys are refused with a clear error.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sagelocal.s3api.errors import S3Error
from sagelocal.errors import UserError
from sagelocal.storage.paths import OutsideRoot, contained
from sagelocal.storage.s3 import LocalS3

_TEMP_SUFFIX = ".part"
MAX_KEY_BYTES = 1024  # S3's limit on a key's UTF-8 length


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    last_modified: datetime


def _etag(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return f'"{digest.hexdigest()}"'


def _info(key: str, path: Path) -> ObjectInfo:
    stat = path.stat()
    return ObjectInfo(key, stat.st_size, _etag(path),
                      datetime.fromtimestamp(int(stat.st_mtime), timezone.utc))


class BucketStore:
    """S3 semantics over :class:`LocalS3`; every method raises :class:`S3Error` as S3 would."""

    def __init__(self, s3: LocalS3):
        self.s3 = s3

    # -- buckets -------------------------------------------------------------------------------
    def bucket_path(self, bucket: str) -> Path:
        try:
            return self.s3.path(f"s3://{bucket}")
        except UserError:
            raise S3Error("InvalidBucketName", "The specified bucket is not valid.", 400, BucketName=bucket) from None

    def require_bucket(self, bucket: str) -> Path:
        path = self.bucket_path(bucket)
        if not path.is_dir():
            raise S3Error("NoSuchBucket", "The specified bucket does not exist", 404, BucketName=bucket)
        return path

    def create_bucket(self, bucket: str) -> bool:
        """Create the bucket; False when it already existed."""
        path = self.bucket_path(bucket)
        if path.is_dir():
            return False
        path.mkdir(parents=True)
        return True

    def delete_bucket(self, bucket: str) -> None:
        path = self.require_bucket(bucket)
        if any(path.iterdir()):
            raise S3Error("BucketNotEmpty", "The bucket you tried to delete is not empty", 409, BucketName=bucket)
        path.rmdir()

    def list_buckets(self) -> list[tuple[str, datetime]]:
        root = self.s3.root
        if not root.is_dir():
            return []
        return [(p.name, datetime.fromtimestamp(int(p.stat().st_ctime), timezone.utc))
                for p in sorted(root.iterdir()) if p.is_dir()]

    # -- objects -------------------------------------------------------------------------------
    def object_path(self, bucket: str, key: str) -> Path:
        bucket_path = self.require_bucket(bucket)
        if len(key.encode()) > MAX_KEY_BYTES:
            raise S3Error("KeyTooLongError", "Your key is too long", 400, Key=key)
        if not key or key.endswith("/") or key.endswith(_TEMP_SUFFIX):
            raise S3Error("InvalidArgument", f"sagelocal cannot store the key {key!r} as a file "
                          "(empty, ending in '/', or ending in '.part')", 400, Key=key)
        longest = max(len(part.encode()) for part in key.split("/"))
        name_max = os.pathconf(bucket_path, "PC_NAME_MAX")
        if longest > name_max:
            raise S3Error("InvalidArgument", f"sagelocal stores each '/'-separated part of a key as a file or folder "
                          f"name, and this file system allows {name_max} bytes; the key has a {longest}-byte part",
                          400, Key=key)
        try:
            return self.s3.path(f"s3://{bucket}/{key}")
        except UserError as error:
            raise S3Error("InvalidArgument", str(error), 400, Key=key) from None

    def head_object(self, bucket: str, key: str) -> ObjectInfo:
        path = self.object_path(bucket, key)
        if not path.is_file():
            raise S3Error("NoSuchKey", "The specified key does not exist.", 404, Key=key)
        return _info(key, path)

    def get_object(self, bucket: str, key: str) -> tuple[ObjectInfo, bytes]:
        info = self.head_object(bucket, key)
        return info, self.object_path(bucket, key).read_bytes()

    def put_object(self, bucket: str, key: str, data: bytes) -> ObjectInfo:
        path = self.object_path(bucket, key)
        for parent in path.relative_to(self.s3.root).parents:
            if (self.s3.root / parent).is_file():
                raise S3Error("InvalidArgument", f"sagelocal cannot store {key!r}: an object named "
                              f"{parent.relative_to(bucket).as_posix()!r} exists where its folder would be", 400)
        if path.is_dir():
            raise S3Error("InvalidArgument", f"sagelocal cannot store {key!r}: other keys use it as a prefix", 400)
        self.s3.write_bytes(f"s3://{bucket}/{key}", data)
        return _info(key, path)

    def copy_object(self, source_bucket: str, source_key: str, bucket: str, key: str) -> ObjectInfo:
        _, data = self.get_object(source_bucket, source_key)
        return self.put_object(bucket, key, data)

    def delete_object(self, bucket: str, key: str) -> None:
        """Delete the key; deleting a missing key succeeds, as on S3. Empty folders left behind are removed."""
        path = self.object_path(bucket, key)
        if path.is_file():
            path.unlink()
            bucket_path = self.bucket_path(bucket)
            for parent in path.parents:
                if parent == bucket_path or any(parent.iterdir()):
                    break
                parent.rmdir()

    def iter_keys(self, bucket: str, prefix: str):
        """Every key starting with ``prefix``, in S3's order (UTF-8 binary order)."""
        bucket_path = self.require_bucket(bucket)
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        try:
            base = contained(bucket_path, folder) if folder else bucket_path
        except OutsideRoot:  # '/etc/', '../x', a NUL: no stored key can start with such a prefix
            return iter(())
        if not base.is_dir():
            return iter(())
        keys = []
        for directory, _, files in os.walk(base):
            relative = Path(directory).relative_to(bucket_path).as_posix()
            for name in files:
                key = name if relative == "." else f"{relative}/{name}"
                if key.startswith(prefix) and not name.endswith(_TEMP_SUFFIX):
                    keys.append(key)
        keys.sort(key=lambda k: k.encode())
        return iter(keys)

    def info(self, bucket: str, key: str) -> ObjectInfo:
        return _info(key, self.bucket_path(bucket) / key)
