"""The PipelineSession the definition is built with: it never calls AWS, and keeps what the SDK uploads at build time.

The SDK's ClarifyCheckStep writes its ``analysis_config.json`` and uploads it to S3 while the step is constructed,
so building the definition would need credentials and a network. Here those uploads are kept in ``uploads``
(S3 URI -> bytes) instead, at the URIs the SDK computes, which are the URIs the definition names. The build then
writes them beside ``pipeline.json`` and the deploy scripts upload them to exactly those URIs, as they upload the
step scripts (the pattern of ../shared/reference/sagemaker-sdk-v3.md §3.1, "keep code= local and subclass
PipelineSession so that it never touches S3"). Given a real PipelineSession instead, the SDK uploads as usual.
"""
from __future__ import annotations

from pathlib import Path

from sagemaker.core.workflow.pipeline_context import PipelineSession


class BuildTimeUploadSession(PipelineSession):
    """A PipelineSession whose S3 uploads are kept in memory, and whose default bucket is never looked up."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.uploads: dict[str, bytes] = {}

    def default_bucket(self) -> str:
        # The session's own would send HeadBucket (and CreateBucket) even when the name is given.
        return self._default_bucket_name_override

    def upload_data(self, path, bucket=None, key_prefix="data", callback=None, extra_args=None):
        """Keep the file; the URI is the one ``Session.upload_data`` returns for one file."""
        source = Path(path)
        if source.is_dir():
            raise ValueError(f"a build-time upload of the folder {source} is not supported: upload files")
        uri = f"s3://{bucket or self.default_bucket()}/{key_prefix}/{source.name}"
        self.uploads[uri] = source.read_bytes()
        return uri

    def upload_string_as_file_body(self, body, bucket, key, kms_key=None):
        uri = f"s3://{bucket}/{key}"
        self.uploads[uri] = body.encode("utf-8")
        return uri
