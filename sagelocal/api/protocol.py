"""AWS wire details shared by every route: error bodies, timestamps, validation against botocore's models."""
from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache

import botocore.session
from botocore.validate import ParamValidator
from starlette.responses import Response

from sagelocal.errors import ServiceError, ValidationError


@lru_cache(maxsize=None)
def service_model(service: str):
    return botocore.session.get_session().get_service_model(service)


def validate_request(service: str, operation: str, params: dict) -> None:
    """Raise ValidationException when ``params`` do not fit the operation's input shape in botocore."""
    shape = service_model(service).operation_model(operation).input_shape
    if shape is None:
        return
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        raise ValidationError(report.generate_report().replace("\n", "; "))


def _default(value):
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def json_response(body: dict, status: int = 200, content_type: str = "application/x-amz-json-1.1") -> Response:
    """A JSON response with AWS's conventions: timestamps as epoch seconds."""
    return Response(json.dumps(body, default=_default, separators=(",", ":")), status_code=status,
                    media_type=content_type)


def error_response(error: ServiceError, content_type: str = "application/x-amz-json-1.1") -> Response:
    """An error botocore parses into the same exception AWS raises (JSON and REST-JSON protocols)."""
    body = {"__type": error.code, "message": error.message}
    response = json_response(body, status=error.status, content_type=content_type)
    response.headers["x-amzn-ErrorType"] = error.code
    return response
