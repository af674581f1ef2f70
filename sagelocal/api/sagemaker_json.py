"""The ``sagemaker`` service's JSON protocol: ``POST /`` with ``X-Amz-Target: SageMaker.<Operation>``.

Operations are found by name on the backends: CreateEndpoint is ``backend.create_endpoint(request)``.
Only names in botocore's sagemaker model are served, and every request is validated against it first.
"""
from __future__ import annotations

import json
import re

from sagelocal.api.protocol import error_response, json_response, service_model, validate_request
from sagelocal.errors import ServiceError, ValidationError

_TARGET_PREFIX = "SageMaker."


def _snake(operation: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", operation).lower()


class SageMakerJsonApi:
    """Dispatch JSON-protocol requests to the first backend that implements the operation."""

    def __init__(self, backends: list):
        names = service_model("sagemaker").operation_names
        self.operations = {}
        for operation in names:
            for backend in backends:
                method = getattr(backend, _snake(operation), None)
                if method is not None:
                    self.operations[operation] = method
                    break

    def handle(self, target: str, body: bytes):
        try:
            if not target.startswith(_TARGET_PREFIX):
                raise ServiceError(f"Missing or bad X-Amz-Target: {target!r}", code="UnknownOperationException")
            operation = target[len(_TARGET_PREFIX):]
            method = self.operations.get(operation)
            if method is None:
                raise ServiceError(f"Operation {operation} is not supported by sagelocal",
                                   code="UnknownOperationException")
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                raise ValidationError("The request body is not valid JSON") from None
            if not isinstance(request, dict):
                raise ValidationError("The request body must be a JSON object")
            validate_request("sagemaker", operation, request)
            return json_response(method(request))
        except ServiceError as error:
            return error_response(error)
