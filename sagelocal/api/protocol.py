"""AWS wire details shared by every route: error bodies, timestamps, validation against botocore's models."""
from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache

import botocore.session
from botocore.validate import ParamValidator
from starlette.responses import Response

from sagelocal.validation.constraints import constraint_errors, summary
from sagelocal.errors import ServiceError, ValidationError


@lru_cache(maxsize=None)
def service_model(service: str):
    return botocore.session.get_session().get_service_model(service)


def check_constraints(service: str, operation: str, params: dict, error=ValidationError) -> None:
    """Raise ``error`` (ValidationException) listing every constraint of AWS's model (required, pattern,
    length, range, enum) that ``params`` break. Enough alone where the wire fixes the types (REST headers)."""
    shape = service_model(service).operation_model(operation).input_shape
    if shape is not None:
        failures = constraint_errors(shape, params)
        if failures:
            raise error(summary(failures))


def validate_request(service: str, operation: str, params: dict) -> None:
    """Raise ValidationException when ``params`` do not fit the operation's input shape in botocore:
    first AWS's own constraints, then botocore's type checks."""
    check_constraints(service, operation, params)
    shape = service_model(service).operation_model(operation).input_shape
    if shape is None:
        return
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        raise ValidationError(report.generate_report().replace("\n", "; "))


@lru_cache(maxsize=None)
def _header_members(service: str, operation: str) -> tuple[tuple[str, str], ...]:
    """(member, lower-case header name) of each input member a REST operation carries in a header."""
    shape = service_model(service).operation_model(operation).input_shape
    return tuple((name, member.serialization["name"].lower()) for name, member in shape.members.items()
                 if member.serialization.get("location") == "header")


def rest_params(service: str, operation: str, headers: dict[str, str], **members) -> dict:
    """A REST request's input as botocore built it: ``members`` (path and body; None when absent) plus the
    members it sent as headers (``headers`` with lower-case names), ready for :func:`validate_request`."""
    params = {name: value for name, value in members.items() if value is not None}
    for name, header in _header_members(service, operation):
        value = headers.get(header)
        if value is not None:
            params[name] = value
    return params


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
