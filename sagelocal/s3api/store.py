"""Buckets and objects as folders and files under the local S3 root (the same files the runtime reads and writes).

A bucket is a folder ``s3_root/<bucket>``; where each key's file is, see :mod:`sagelocal.s3api.keyspace`.
Bodies arrive in a temp file of the bucket (:mod:`sagelocal.s3api.spool`) and are renamed into place whole.
"""
from __future__ import annotations

import shutil
import threading
from datetime import datetime, timezone
from pathlib import Path

from sagelocal.errors import UserError
from sagelocal.s3api.errors import S3Error
from sagelocal.s3api.keyspace import KeySpace, ObjectInfo, check_key
from sagelocal.storage.s3 import INTERNAL, LocalS3


def no_such_key(key: str) -> S3Error:
    return S3Error("NoSuchKey", "The specified key does not exist.", 404, Key=key)


class BucketStore:
    """S3 semantics over :class:`LocalS3`; every method raises :class:`S3Error` as S3 would."""

    def __init__(self, s3: LocalS3):
        self.s3 = s3
        # Placing a body (which of the two places, removing the other copy) is one step per store.
        self._placing = threading.Lock()

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
        """Delete an empty bucket (multipart uploads still in progress are discarded with it)."""
        path = self.require_bucket(bucket)
        if not KeySpace(path).is_empty():
            raise S3Error("BucketNotEmpty", "The bucket you tried to delete is not empty", 409, BucketName=bucket)
        shutil.rmtree(path / INTERNAL, ignore_errors=True)
        path.rmdir()

    def list_buckets(self) -> list[tuple[str, datetime]]:
        root = self.s3.root
        if not root.is_dir():
            return []
        return [(p.name, datetime.fromtimestamp(int(p.stat().st_ctime), timezone.utc))
                for p in sorted(root.iterdir()) if p.is_dir()]

    # -- objects -------------------------------------------------------------------------------
    def keyspace(self, bucket: str) -> KeySpace:
        return KeySpace(self.require_bucket(bucket))

    def find_object(self, bucket: str, key: str) -> tuple[ObjectInfo, Path]:
        """The key's metadata and file; NoSuchKey when the bucket has no such key."""
        check_key(key)
        space = self.keyspace(bucket)
        path = space.find(key)
        if path is None:
            raise no_such_key(key)
        return space.info(key, path), path

    def place(self, bucket: str, key: str, finished: Path, etag: str) -> ObjectInfo:
        """Make the complete body in ``finished`` (a temp file of this bucket) the object ``key``."""
        space = self.keyspace(bucket)
        with self._placing:
            return space.put(key, finished, etag)

    def delete_object(self, bucket: str, key: str) -> None:
        """Delete the key; deleting a missing key succeeds, as on S3."""
        check_key(key)
        space = self.keyspace(bucket)
        with self._placing:
            space.delete(key)

    def iter_keys(self, bucket: str, prefix: str):
        """Every key starting with ``prefix``, in S3's order (UTF-8 binary order)."""
        return iter(self.keyspace(bucket).keys(prefix))

    def info(self, bucket: str, key: str) -> ObjectInfo:
        """The metadata of a key just listed (it may have been deleted since: then NoSuchKey)."""
        return self.find_object(bucket, key)[0]
