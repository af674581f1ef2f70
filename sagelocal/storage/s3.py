"""Map ``s3://bucket/key`` URIs to files under one local root, refusing keys that would leave it."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from sagelocal.errors import UserError
from sagelocal.storage.paths import OutsideRoot, contained

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")


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
        path = self.path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
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
        return sorted(self.uri(p) for p in base.rglob("*") if p.is_file() and not p.name.endswith(".part"))
