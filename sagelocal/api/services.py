"""The AWS services other than ``sagemaker`` and S3 that share the server's port: CloudWatch Logs (``logs``),
CloudWatch metrics (``monitoring``) and STS, each recognised, like S3, by the service in the SigV4 credential
scope, which botocore always signs and which cannot collide with a path.

A request signed for any other service that sagelocal does not serve is answered with AWS's error for an
unknown operation, in the protocol the client spoke (JSON, CBOR or query), so every client raises a ClientError
naming the operation instead of failing to parse an answer.
"""
from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sagelocal.api import query, rpc_v2_cbor
from sagelocal.api.auth import AuthError
from sagelocal.api.inbound import JSON_API_MAX_BODY, authenticated_body, lower_headers, too_large
from sagelocal.api.protocol import error_response
from sagelocal.api.sagemaker_json import JsonApi
from sagelocal.errors import BodyTooLarge, ServiceError

_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/,\s]+/(?P<service>[^/,\s]+)/aws4_request")
# Signed for these, a request belongs to the rest of the server (sagemaker-runtime and A2I sign as sagemaker).
_ELSEWHERE = ("s3", "sagemaker")
_STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"


def signing_service(scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            match = _SCOPE.search(value.decode("latin-1"))
            return match["service"] if match else None
    return None


def _is_sagemaker_call(scope) -> bool:
    return any(name == b"x-amz-target" and value.startswith(b"SageMaker.") for name, value in scope["headers"])


def _unknown(what: str) -> ServiceError:
    return ServiceError(f"{what} is not supported by sagelocal", code="UnknownOperationException")


def _error_in_protocol(error: ServiceError, path: str, headers: dict, body: bytes) -> Response:
    """``error`` in the protocol the request used."""
    if "smithy-protocol" in headers or rpc_v2_cbor.PATH.match(path):
        return rpc_v2_cbor.error_response(error)
    if query.is_query(headers, body):
        if error.code == "UnknownOperationException":
            error = ServiceError(error.message, code="InvalidAction")
        return query.error_response(error)
    content_type = "application/x-amz-json-1.1" if "x-amz-target" in headers else "application/json"
    return error_response(error, content_type=content_type)


class CloudWatchApi:
    """CloudWatch metrics in the protocols botocore may pick for it: RPC v2 CBOR (botocore's first choice) or
    JSON 1.0 (``X-Amz-Target: GraniteServiceVersion20100801.<Operation>``)."""

    def __init__(self, backend):
        self.json = JsonApi("cloudwatch", [backend])

    def __call__(self, path: str, headers: dict, body: bytes) -> Response:
        cbor = rpc_v2_cbor.PATH.match(path)
        if cbor:
            try:
                return rpc_v2_cbor.response(self.json.call(cbor["operation"], rpc_v2_cbor.decode(body)))
            except ServiceError as error:
                return rpc_v2_cbor.error_response(error)
        if "x-amz-target" in headers:
            return self.json.handle(headers["x-amz-target"], body)
        action = query.parse(body).get("Action", "?")
        return query.error_response(ServiceError(
            f"CloudWatch {action} in the query protocol is not supported by sagelocal: it answers CloudWatch in the "
            "smithy-rpc-v2-cbor and JSON protocols (botocore's first choices)", code="InvalidAction"))


class StsApi:
    """STS GetCallerIdentity: the server's one identity, in the home's account."""

    def __init__(self, settings, access_key):
        self.identity = {"UserId": access_key.access_key_id,
                         "Account": settings.account_id,
                         "Arn": f"arn:aws:iam::{settings.account_id}:user/sagelocal"}

    def __call__(self, path: str, headers: dict, body: bytes) -> Response:
        form = query.parse(body)
        action = form.get("Action", "")
        if action != "GetCallerIdentity":
            return query.error_response(ServiceError(
                f"Could not find operation {action} for version {form.get('Version', '')}", code="InvalidAction"))
        return query.response("GetCallerIdentity", _STS_NAMESPACE, self.identity)


class LogsApi:
    def __init__(self, backend):
        self.json = JsonApi("logs", [backend])

    def __call__(self, path: str, headers: dict, body: bytes) -> Response:
        return self.json.handle(headers.get("x-amz-target", ""), body)


class ServicesRouter:
    """ASGI middleware: ``handlers`` maps a signing service name to ``handler(path, headers, body) -> Response``."""

    def __init__(self, app, handlers: dict):
        self.app, self.handlers = app, handlers

    async def __call__(self, scope, receive, send):
        service = signing_service(scope) if scope["type"] == "http" else None
        if service is None or service in _ELSEWHERE or _is_sagemaker_call(scope):
            # A sagemaker call signed for another service is the sagemaker route's to refuse (403, wrong scope).
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        headers = lower_headers(request)
        body = b""
        try:
            # Authenticated from the headers before the body is read, the body bounded, as every signed route.
            body = await authenticated_body(request, service, JSON_API_MAX_BODY, headers)
            handler = self.handlers.get(service)
            if handler is None:
                raise _unknown(f"The {service} service")
            if request.method != "POST":
                raise _unknown(f"{request.method} {scope['path']} on {service}")
            response = await run_in_threadpool(handler, scope["path"], headers, body)
        except BodyTooLarge as error:
            response = too_large(error)
        except (AuthError, ServiceError) as error:
            response = _error_in_protocol(error, scope["path"], headers, body)
        await response(scope, receive, send)


def handlers(settings, access_key, logs, cloudwatch) -> dict:
    """What :class:`ServicesRouter` serves: CloudWatch Logs over ``logs`` (the LogsBackend), CloudWatch metrics
    over ``cloudwatch`` (the CloudWatchBackend) and STS, by their signing service."""
    return {"logs": LogsApi(logs), "sts": StsApi(settings, access_key), "monitoring": CloudWatchApi(cloudwatch)}
