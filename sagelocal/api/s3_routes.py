"""Send S3 requests to the S3 operations, everything else to the rest of the server.

S3 and the sagemaker APIs share one port, and their paths overlap (``POST /`` is both the sagemaker JSON
endpoint and "POST to bucket-less root"; a bucket could be named ``endpoints``). So S3 is recognised by
what cannot collide: the service in the SigV4 credential scope of the Authorization header
(``Credential=KEY/DATE/REGION/s3/aws4_request``). botocore signs every S3 request that way and no other
client does; requests for other services, or unsigned ones, never reach this module.

Addressing is path-style (``/bucket/key``): botocore uses it for an IP endpoint such as
``http://127.0.0.1:PORT`` by default, and for any endpoint with ``Config(s3={"addressing_style": "path"})``.

A request is signed-checked from its headers, then routed, then its body read: object bodies (PutObject,
UploadPart) stream into a temp file of the bucket once the bucket (and upload) are known to exist; every
other body is small and read whole, within :data:`MAX_REQUEST_BYTES`.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from sagelocal.api.auth import AuthError, SignedClaim, check_headers
from sagelocal.api.guard import BodyTimeout
from sagelocal.api.inbound import lower_headers, read_body, signed_url
from sagelocal.errors import BodyTooLarge
from sagelocal.s3api import multipart, operations
from sagelocal.s3api.errors import S3Error
from sagelocal.s3api.keyspace import check_key
from sagelocal.s3api.operations import Call
from sagelocal.s3api.payload import ChunkSigner, IncomingBody
from sagelocal.s3api.spool import BodyWriter, TempFile, receive
from sagelocal.s3api.store import BucketStore
from sagelocal.storage.s3 import LocalS3

_S3_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/,\s]+/s3/aws4_request")
# S3's largest single PUT and largest part (5 GiB); other S3 bodies (the XML of DeleteObjects,
# CompleteMultipartUpload: 10,000 parts) are small.
MAX_OBJECT_BYTES = multipart.MAX_PART_BYTES
MAX_REQUEST_BYTES = 8 * 1024 * 1024
# Query parameters that do not change which operation a request is.
_PLAIN_QUERY = {"x-id", "list-type", "prefix", "delimiter", "max-keys", "continuation-token", "start-after",
                "encoding-type", "fetch-owner", "marker", "key-marker", "upload-id-marker", "max-uploads",
                "max-parts", "part-number-marker", "partNumber"}

# (what the path names, the subresource in the query, method) → operation
_OPERATIONS = {
    ("service", "", "GET"): ("ListBuckets", operations.list_buckets),
    ("bucket", "", "GET"): ("ListObjects", operations.list_objects_v1),
    ("bucket", "", "PUT"): ("CreateBucket", operations.create_bucket),
    ("bucket", "", "HEAD"): ("HeadBucket", operations.head_bucket),
    ("bucket", "", "DELETE"): ("DeleteBucket", operations.delete_bucket),
    ("bucket", "delete", "POST"): ("DeleteObjects", operations.delete_objects),
    ("bucket", "location", "GET"): ("GetBucketLocation", operations.get_bucket_location),
    ("bucket", "uploads", "GET"): ("ListMultipartUploads", multipart.list_multipart_uploads),
    ("object", "", "PUT"): ("PutObject", operations.put_object),
    ("object", "", "GET"): ("GetObject", operations.get_object),
    ("object", "", "HEAD"): ("HeadObject", operations.head_object),
    ("object", "", "DELETE"): ("DeleteObject", operations.delete_object),
    ("object", "uploads", "POST"): ("CreateMultipartUpload", multipart.create_multipart_upload),
    ("object", "uploadId", "PUT"): ("UploadPart", multipart.upload_part),
    ("object", "uploadId", "POST"): ("CompleteMultipartUpload", multipart.complete_multipart_upload),
    ("object", "uploadId", "DELETE"): ("AbortMultipartUpload", multipart.abort_multipart_upload),
    ("object", "uploadId", "GET"): ("ListParts", multipart.list_parts),
}
# Operations that become another when the request says so.
_VARIANTS = {
    "ListObjects": (lambda call: call.query.get("list-type") == "2", ("ListObjectsV2", operations.list_objects_2)),
    "PutObject": (lambda call: "x-amz-copy-source" in call.headers, ("CopyObject", operations.copy_object)),
    "UploadPart": (lambda call: "x-amz-copy-source" in call.headers,
                   ("UploadPartCopy", multipart.upload_part_copy)),
}
_STREAMED = {"PutObject", "UploadPart"}


def is_s3_request(scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return bool(_S3_SCOPE.search(value.decode("latin-1")))
    return False


def _bucket_and_key(request: Request) -> tuple[str, str]:
    raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
    try:
        path = unquote(raw_path, errors="strict")
    except UnicodeDecodeError:  # a key is UTF-8: S3 cannot parse anything else
        raise S3Error("InvalidURI", "Couldn't parse the specified URI.", 400) from None
    bucket, _, key = path.lstrip("/").partition("/")
    return bucket, key


def _route(call: Call, method: str):
    """``(operation name, function)`` for the request; NotImplemented in S3's shape for anything else."""
    subresources = set(call.query) - _PLAIN_QUERY
    level = "object" if call.key else "bucket" if call.bucket else "service"
    found = _OPERATIONS.get((level, ",".join(sorted(subresources)), method))
    if found is None:
        described = f"{method} {'/' + call.bucket if call.bucket else '/'}{'/KEY' if call.key else ''}" + \
            (f" ?{','.join(sorted(subresources))}" if subresources else "")
        raise S3Error("NotImplemented", f"sagelocal's S3 does not implement {described}", 501)
    condition, variant = _VARIANTS.get(found[0], (None, None))
    return variant if condition is not None and condition(call) else found


def _too_large(error: BodyTooLarge) -> S3Error:
    if error.limit == MAX_OBJECT_BYTES:
        return S3Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400,
                       MaxSizeAllowed=str(MAX_OBJECT_BYTES))
    return S3Error("MaxMessageLengthExceeded", "Your request was too big.", 400)


class S3Router:
    """ASGI middleware: S3-signed requests are answered here, the rest go to ``app``."""

    def __init__(self, app, settings, access_key):
        self.app, self.settings, self.access_key = app, settings, access_key
        self.store = BucketStore(LocalS3(settings.s3_root))

    async def __call__(self, scope, receive_message, send):
        if scope["type"] != "http" or not is_s3_request(scope):
            await self.app(scope, receive_message, send)
            return
        request = Request(scope, receive_message)
        try:
            response = await self._answer(request)
        except AuthError as error:
            response = S3Error(error.s3_code, error.s3_message, error.s3_status, **error.s3_fields).response(
                request.method)
        except BodyTooLarge as error:
            response = _too_large(error).response(request.method)
        except BodyTimeout:
            response = S3Error("RequestTimeout", "Your socket connection to the server was not read from or written "
                               "to within the timeout period. Idle connections will be closed.", 400).response(
                request.method)
        except S3Error as error:
            response = error.response(request.method)
        except ClientDisconnect:
            return
        await response(scope, receive_message, send)

    async def _answer(self, request: Request) -> Response:
        headers = lower_headers(request)
        claim = self._authenticate(request, headers)
        bucket, key = _bucket_and_key(request)
        query = dict(parse_qsl(request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        call = Call(self.store, self.settings.region, bucket, key, query, headers)
        name, operation = _route(call, request.method)
        body = IncomingBody(headers, lambda: ChunkSigner(self.access_key.secret_access_key, claim.amz_date,
                                                         claim.region, claim.service, claim.signature))
        if name in _STREAMED:
            writer = await run_in_threadpool(self._ready_for_body, call, name, body)
            call.received = await receive(request, writer)
        else:
            call.body = body.feed(await read_body(request, MAX_REQUEST_BYTES))
            body.finish()
        try:
            return await run_in_threadpool(operation, call)
        finally:
            if call.received is not None:
                call.received.discard()  # an operation that failed leaves its body; one that succeeded moved it

    def _authenticate(self, request: Request, headers: dict[str, str]) -> SignedClaim:
        """The whole signature, from the headers alone: S3 signs its X-Amz-Content-SHA256 header, not the body
        (the body is compared with that header as it streams in: :mod:`sagelocal.s3api.payload`)."""
        claim = check_headers(headers, self.access_key, self.settings.region, "s3")
        payload_hash = headers.get("x-amz-content-sha256")
        if payload_hash is None:
            raise S3Error("InvalidRequest", "Missing required header for this request: x-amz-content-sha256", 400)
        claim.verify(request.method, signed_url(request), headers, self.access_key, payload_hash)
        return claim

    def _ready_for_body(self, call: Call, name: str, body: IncomingBody) -> BodyWriter:
        """Refuse, before reading a byte of it, a body that has nowhere to go; its writer, open, otherwise."""
        check_key(call.key)
        bucket_path = self.store.require_bucket(call.bucket)
        if name == "UploadPart":
            return BodyWriter(multipart.part_destination(call, bucket_path), body)
        return BodyWriter(TempFile(bucket_path, MAX_OBJECT_BYTES), body)
