"""S3's REST-XML API on the local server, over the same files the runtime uses (``settings.s3_root``)."""
from sagelocal.s3api.router import S3Router

__all__ = ["S3Router"]
