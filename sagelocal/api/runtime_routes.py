"""``sagemaker-runtime`` InvokeEndpoint: ``POST /endpoints/{EndpointName}/invocations`` (REST-JSON errors).

A plain Starlette route rather than a FastAPI one: it is the hot path, so it runs on the event loop with no
dependency resolution and no thread hop (scoring one row takes tens of microseconds). Authentication and
the bounded body read are the ones every signed JSON route uses (:func:`~sagelocal.api.inbound.signed_body`).
"""
from __future__ import annotations

import json
import time

from starlette.requests import Request
from starlette.responses import Response

from sagelocal.api.inbound import lower_headers, signed_body, too_large
from sagelocal.api.protocol import check_constraints, error_response, rest_params
from sagelocal.errors import BodyTooLarge, ServiceError
from sagelocal.hosting.runtime import MAX_PAYLOAD_BYTES, ModelError, RuntimeValidationError

SERVICE = "sagemaker-runtime"
_ERROR_TYPE = "application/json"


def invoke_endpoint_handler(backend, invocations=None):
    """The InvokeEndpoint handler over ``backend`` (the HostingBackend); ``invocations`` (an
    :class:`~sagelocal.cloudwatch.invocations.InvocationMetrics`) records each answered request's metrics."""

    async def invoke_endpoint(request: Request) -> Response:
        started = time.perf_counter()
        headers = lower_headers(request)
        try:
            body = await signed_body(request, SERVICE, MAX_PAYLOAD_BYTES, headers)
            return _invoke(backend, request.path_params["name"], headers, body, invocations, started)
        except BodyTooLarge as error:
            return too_large(error)
        except ModelError as error:
            if invocations is not None:
                invocations.record(request.path_params["name"], error.variant, None, None, error.status)
            response = error_response(error, content_type=_ERROR_TYPE)
            response.body = json.dumps({"message": error.message, **error.fields}).encode()
            response.headers["content-length"] = str(len(response.body))
            return response
        except ServiceError as error:
            return error_response(error, content_type=_ERROR_TYPE)

    return invoke_endpoint


def _invoke(backend, name: str, headers: dict, body: bytes, invocations, started: float) -> Response:
    # The endpoint name, InferenceId, CustomAttributes...: AWS's patterns and lengths, from botocore's model.
    # Path and headers are strings and the body bytes by construction: only AWS's constraints need checking.
    check_constraints(SERVICE, "InvokeEndpoint", rest_params(SERVICE, "InvokeEndpoint", headers, EndpointName=name,
                                                             Body=body or None), RuntimeValidationError)
    live = backend.live_endpoint(name)
    model_started = time.perf_counter()
    result = live.invoke(body, headers.get("content-type", "application/octet-stream"),
                         headers.get("x-amzn-sagemaker-inference-id"), headers.get("x-amzn-sagemaker-custom-attributes"),
                         headers.get("x-amzn-sagemaker-target-variant"), headers.get("accept"))
    if invocations is not None:
        done = time.perf_counter()
        invocations.record(name, result.variant, done - model_started, model_started - started, 200)
    return Response(result.body, status_code=result.status, media_type=None, headers={
        "content-type": result.content_type, "x-amzn-invoked-production-variant": result.variant})
