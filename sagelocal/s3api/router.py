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

from sagelocal.api.auth import AuthError, verify_sigv4
from sagelocal.s3api import operations
from sagelocal.s3api.errors import S3Error
from sagelocal.s3api.listing import list_objects_v2
from sagelocal.s3api.store import BucketStore
from sagelocal.storage.s3 import LocalS3

_S3_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/,\s]+/s3/aws4_request")
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


def _signed_url(request: Request) -> str:
    raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
    query = request.scope.get("query_string", b"").decode("latin-1")
    return f"{request.url.scheme}://{request.headers.get('host', '')}{raw_path}" + (f"?{query}" if query else "")


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
            raw = await request.body()
            headers = {name.lower(): value for name, value in request.headers.items()}
            verify_sigv4(request.method, _signed_url(request), headers, raw, self.access_key)
            response = await run_in_threadpool(self._operate, request, headers, raw)
        except AuthError as error:
            response = S3Error(error.code if error.code != "InvalidSignatureException" else "SignatureDoesNotMatch",
                               error.message, 403).response(request.method)
        except S3Error as error:
            response = error.response(request.method)
        await response(scope, receive, send)

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
