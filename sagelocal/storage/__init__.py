"""Local storage that stands in for S3: ``s3://bucket/key`` is ``<root>/bucket/key``."""
from sagelocal.storage.s3 import LocalS3, parse_s3_uri

__all__ = ["LocalS3", "parse_s3_uri"]
