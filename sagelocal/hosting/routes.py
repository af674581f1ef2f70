"""``sagemaker-runtime`` InvokeEndpoint: ``POST /endpoints/{EndpointName}/invocations`` (REST-JSON errors).

A plain Starlette route rather than a FastAPI one: it is the hot path, so it runs on the event loop with no
dependency resolution and no thread hop (scoring one row takes tens of microseconds). The SigV4 check is
the same one every AWS route uses.
"""
from __future__ import annotations

import gc
import json
import re
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sagelocal.api.auth import AuthError, verify_sigv4
from sagelocal.api.protocol import error_response
from sagelocal.errors import ServiceError
from sagelocal.hosting.runtime import MAX_PAYLOAD_BYTES, ModelError, RuntimeValidationError

# Bodies beyond this are not even buffered: the connection is answered and closed.
_DRAIN_LIMIT = 4 * MAX_PAYLOAD_BYTES
_INFERENCE_ID = re.compile(r"^\S[\x20-\x7e]{0,63}$")
_CUSTOM_ATTRIBUTES = re.compile(r"^[\x20-\x7e]{0,1024}$")
_ERROR_TYPE = "application/json"


def install(app, backend, invocations=None) -> None:
    """Add the runtime route to ``app``; ``backend`` is the HostingBackend; ``invocations`` (an
    :class:`~sagelocal.cloudwatch.invocations.InvocationMetrics`) records each answered request's metrics."""

    async def invoke_endpoint(request: Request) -> Response:
        started = time.perf_counter()
        try:
            body = await _read_body(request)
            url = _signed_url(request)
            headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in request.scope["headers"]}
            verify_sigv4("POST", url, headers, body, app.state.access_key)
            if len(body) > MAX_PAYLOAD_BYTES:
                return _too_large()
            return _invoke(backend, request.path_params["name"], headers, body, invocations, started)
        except _TooLarge:
            return _too_large()
        except ModelError as error:
            if invocations is not None:
                invocations.record(request.path_params["name"], error.variant, None, None, error.status)
            response = error_response(error, content_type=_ERROR_TYPE)
            response.body = json.dumps({"message": error.message, **error.fields}).encode()
            response.headers["content-length"] = str(len(response.body))
            return response
        except (ServiceError, AuthError) as error:
            return error_response(error, content_type=_ERROR_TYPE)

    app.router.routes.insert(0, Route("/endpoints/{name}/invocations", invoke_endpoint, methods=["POST"]))
    # Everything loaded at startup (botocore's service models above all) lives as long as the server: freeze
    # it out of the garbage collector's reach, so full collections during load do not walk it again and again.
    app.router.on_startup.append(gc.freeze)


def _invoke(backend, name: str, headers: dict, body: bytes, invocations, started: float) -> Response:
    inference_id = headers.get("x-amzn-sagemaker-inference-id")
    if inference_id is not None and not _INFERENCE_ID.match(inference_id):
        raise RuntimeValidationError("InferenceId must be 1 to 64 printable characters and not start with a space.")
    custom = headers.get("x-amzn-sagemaker-custom-attributes")
    if custom is not None and not _CUSTOM_ATTRIBUTES.match(custom):
        raise RuntimeValidationError("CustomAttributes must be at most 1024 visible US-ASCII characters.")
    if not body:
        raise RuntimeValidationError("1 validation error detected: Value at 'body' failed to satisfy constraint: "
                                     "Member must not be null")
    live = backend.live_endpoint(name)
    model_started = time.perf_counter()
    result = live.invoke(body, headers.get("content-type", "application/octet-stream"), inference_id, custom,
                         headers.get("x-amzn-sagemaker-target-variant"))
    if invocations is not None:
        done = time.perf_counter()
        invocations.record(name, result.variant, done - model_started, model_started - started, 200)
    return Response(result.body, media_type=None, headers={
        "content-type": result.content_type, "x-amzn-invoked-production-variant": result.variant})


class _TooLarge(Exception):
    pass


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > _DRAIN_LIMIT:
        raise _TooLarge()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _DRAIN_LIMIT:
            raise _TooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def _signed_url(request: Request) -> str:
    scope = request.scope
    raw_path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    url = f"http://{request.headers.get('host', '')}{raw_path.decode('latin-1')}"
    return url + (f"?{query.decode('latin-1')}" if query else "")


def _too_large() -> Response:
    # AWS answers 413 with no error type, so botocore reports the error code as "413".
    body = json.dumps({"message": f"HTTP content length exceeded {MAX_PAYLOAD_BYTES} bytes."})
    return Response(body, status_code=413, media_type=_ERROR_TYPE)
