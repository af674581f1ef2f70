"""``sagemaker-a2i-runtime`` over REST-JSON, at the paths of botocore's model (apiVersion 2019-11-07).

Every route needs a SigV4 signature (the app's ``signed`` dependency, which leaves the body in
``request.state.body``). Requests are validated against botocore's model (types, and the patterns,
lengths and ranges AWS checks) before they reach :class:`~sagelocal.review.loops.HumanLoops`.
"""
from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from sagelocal.api.protocol import error_response, json_response, validate_request
from sagelocal.clock import as_utc_datetime
from sagelocal.errors import ServiceError, ValidationError

SERVICE = "sagemaker-a2i-runtime"
_CONTENT_TYPE = "application/json"


def build_router(backend, signed_request) -> APIRouter:
    """The five runtime operations on ``backend.loops``."""
    loops = backend.loops
    router = APIRouter(dependencies=[Depends(signed_request)])

    async def call(operation: str, params: dict, method):
        try:
            validate_request(SERVICE, operation, params)
            return json_response(await run_in_threadpool(method), content_type=_CONTENT_TYPE)
        except ServiceError as error:
            return error_response(error, content_type=_CONTENT_TYPE)

    async def call_with_body(request: Request, operation: str, method):
        """``operation`` on the request's JSON body: ``method(params)``."""
        try:
            params = _json_body(request.state.body)
        except ServiceError as error:
            return error_response(error, content_type=_CONTENT_TYPE)
        return await call(operation, params, lambda: method(params))

    @router.post("/human-loops")
    async def start_human_loop(request: Request):
        return await call_with_body(request, "StartHumanLoop", loops.start_human_loop)

    @router.post("/human-loops/stop")
    async def stop_human_loop(request: Request):
        return await call_with_body(request, "StopHumanLoop",
                                    lambda params: loops.stop_human_loop(params["HumanLoopName"]))

    @router.get("/human-loops")
    async def list_human_loops(request: Request):
        query = dict(request.query_params)
        try:
            params = _typed_list_params(query)
        except ServiceError as error:
            return error_response(error, content_type=_CONTENT_TYPE)
        return await call("ListHumanLoops", params, lambda: loops.list_human_loops(query))

    @router.get("/human-loops/{name}")
    async def describe_human_loop(name: str):
        return await call("DescribeHumanLoop", {"HumanLoopName": name}, lambda: loops.describe_human_loop(name))

    @router.delete("/human-loops/{name}")
    async def delete_human_loop(name: str):
        return await call("DeleteHumanLoop", {"HumanLoopName": name}, lambda: loops.delete_human_loop(name))

    return router


def _json_body(body: bytes) -> dict:
    try:
        params = json.loads(body or b"{}")
    except ValueError:
        raise ValidationError("The request body is not valid JSON") from None
    if not isinstance(params, dict):
        raise ValidationError("The request body must be a JSON object")
    return params


def _typed_list_params(query: dict) -> dict:
    """Query-string values converted to the model's types, so botocore's validator can check them."""
    params = dict(query)
    if "MaxResults" in params:
        try:
            params["MaxResults"] = int(params["MaxResults"])
        except ValueError:
            raise ValidationError("MaxResults must be an integer") from None
    for name in ("CreationTimeAfter", "CreationTimeBefore"):
        if name in params:
            try:
                params[name] = as_utc_datetime(params[name])
            except ValueError:
                raise ValidationError(f"{name} must be an ISO 8601 timestamp") from None
    return params
