"""Send S3 requests to the S3 operations, everything else to the rest of the server.

S3 and the sagemaker APIs share one port, and their paths overlap (``POST /`` is both the sagemaker JSON
endpoint and "POST to bucket-less root"; a bucket could be named ``endpoints``). So S3 is recognised by
what cannot collide: the service in the SigV4 credential scope of the Authorization header
(``Credential=KEY/DATE/REGION/s3/aws4_request``). botocore signs every S3 request that way and no other
client does; requests for other services, or unsigned ones, never reach this module.

Addressing is path-style (``/bucket/key``): botocore uses it for an IP endpoint such as
``http://127.0.0.1:PORT`` by default, and for any endpoint with ``Config(s3={"addressing_style": "path"})``.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sagelocal.api.auth import AuthError, check_headers
from sagelocal.api.guard import BodyTimeout
from sagelocal.api.inbound import BodyTooLarge, lower_headers, read_body, signed_url
from sagelocal.s3api import operations
from sagelocal.s3api.errors import S3Error
from sagelocal.s3api.listing import list_objects_v2
from sagelocal.s3api.store import BucketStore
from sagelocal.storage.s3 import LocalS3

_S3_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/,\s]+/s3/aws4_request")
# S3's largest single PUT (5 GiB); other S3 bodies (DeleteObjects' XML) are small.
MAX_OBJECT_BYTES = 5 * 1024 ** 3
MAX_REQUEST_BYTES = 8 * 1024 * 1024
# Query parameters that do not change which operation a request is.
_PLAIN_QUERY = {"x-id", "list-type", "prefix", "delimiter", "max-keys", "continuation-token", "start-after",
                "encoding-type", "fetch-owner"}


def is_s3_request(scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return bool(_S3_SCOPE.search(value.decode("latin-1")))
    return False


def _bucket_and_key(request: Request) -> tuple[str, str]:
    raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
    bucket, _, key = unquote(raw_path).lstrip("/").partition("/")
    return bucket, key


def _body_limit(request: Request) -> int:
    _, key = _bucket_and_key(request)
    return MAX_OBJECT_BYTES if request.method == "PUT" and key else MAX_REQUEST_BYTES


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

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not is_s3_request(scope):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            headers = lower_headers(request)
            self._authenticate(request, headers)
            raw = await read_body(request, _body_limit(request))
            response = await run_in_threadpool(self._operate, request, headers, raw)
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
        await response(scope, receive, send)

    def _authenticate(self, request: Request, headers: dict[str, str]) -> None:
        """The whole signature, from the headers alone: S3 signs its X-Amz-Content-SHA256 header, not the body
        (the body is compared with that header where it is used: :func:`~sagelocal.s3api.payload.request_body`)."""
        claim = check_headers(headers, self.access_key, self.settings.region, "s3")
        payload_hash = headers.get("x-amz-content-sha256")
        if payload_hash is None:
            raise S3Error("InvalidRequest", "Missing required header for this request: x-amz-content-sha256", 400)
        claim.verify(request.method, signed_url(request), headers, self.access_key, payload_hash)

    def _operate(self, request: Request, headers: dict, raw: bytes) -> Response:
        store, region, method = self.store, self.settings.region, request.method
        query = dict(parse_qsl(request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        bucket, key = _bucket_and_key(request)
        subresources = set(query) - _PLAIN_QUERY
        if not bucket:
            if method == "GET" and not subresources:
                return operations.list_buckets(store)
        elif not key:
            if subresources == {"delete"} and method == "POST":
                return operations.delete_objects(store, bucket, headers, raw)
            if subresources == {"location"} and method == "GET":
                return operations.get_bucket_location(store, bucket, region)
            if not subresources:
                if method == "GET" and query.get("list-type") == "2":
                    return list_objects_v2(store, bucket, query)
                if method == "PUT":
                    return operations.create_bucket(store, bucket, region)
                if method == "HEAD":
                    return operations.head_bucket(store, bucket, region)
                if method == "DELETE":
                    return operations.delete_bucket(store, bucket)
        elif not subresources:
            if method == "PUT" and "x-amz-copy-source" in headers:
                return operations.copy_object(store, bucket, key, headers["x-amz-copy-source"])
            if method == "PUT":
                return operations.put_object(store, bucket, key, headers, raw)
            if method == "GET":
                return operations.get_object(store, bucket, key, headers.get("range"))
            if method == "HEAD":
                return operations.head_object(store, bucket, key)
            if method == "DELETE":
                return operations.delete_object(store, bucket, key)
        described = f"{method} {'/' + bucket if bucket else '/'}{'/KEY' if key else ''}" + \
            (f" ?{','.join(sorted(subresources))}" if subresources else "")
        raise S3Error("NotImplemented", f"sagelocal's S3 does not implement {described}", 501)
