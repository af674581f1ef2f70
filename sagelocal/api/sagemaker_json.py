"""AWS's JSON protocol: ``POST /`` with ``X-Amz-Target: <prefix>.<Operation>`` (``SageMaker.CreateEndpoint``,
``Logs_20140328.GetLogEvents``).

Operations are found by name on the backends: CreateEndpoint is ``backend.create_endpoint(request)``.
Only names in botocore's model of the service are served, and every request is validated against it first.
"""
from __future__ import annotations

import json
import re

from sagelocal.api.protocol import error_response, json_response, service_model, validate_request
from sagelocal.errors import ServiceError, ValidationError


def _snake(operation: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", operation).lower()


class DuplicateOperation(TypeError):
    """Two backends define the method of one operation: which one serves it would be an accident of order."""


class JsonApi:
    """Dispatch one service's requests to the one backend that implements each operation.

    ``after_call(operation, request, response)``, when given, sees every successful call (tags given at
    creation are recorded that way).
    """

    def __init__(self, service: str, backends: list, after_call=None):
        model = service_model(service)
        self.service = service
        self.target_prefix = model.metadata["targetPrefix"] + "."
        self.content_type = f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}"
        self.after_call = after_call
        self.operations = {}
        for operation in model.operation_names:
            claims = [backend for backend in backends if hasattr(backend, _snake(operation))]
            if len(claims) > 1:
                raise DuplicateOperation(f"{service} {operation} is claimed by more than one backend: "
                                         + ", ".join(type(backend).__name__ for backend in claims))
            if claims:
                self.operations[operation] = getattr(claims[0], _snake(operation))

    def call(self, operation: str, request: dict) -> dict:
        """Validate ``request`` against the operation's input shape and run it; errors are ServiceErrors."""
        method = self.operations.get(operation)
        if method is None:
            raise ServiceError(f"Operation {operation} is not supported by sagelocal", code="UnknownOperationException")
        if not isinstance(request, dict):
            raise ValidationError("The request body must be a JSON object")
        validate_request(self.service, operation, request)
        response = method(request)
        if self.after_call is not None:
            self.after_call(operation, request, response)
        return response

    def handle(self, target: str, body: bytes):
        try:
            if not target.startswith(self.target_prefix):
                raise ServiceError(f"Missing or bad X-Amz-Target: {target!r}", code="UnknownOperationException")
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                raise ValidationError("The request body is not valid JSON") from None
            response = self.call(target[len(self.target_prefix):], request)
            return json_response(response, content_type=self.content_type)
        except ServiceError as error:
            return error_response(error, content_type=self.content_type)


class SageMakerJsonApi(JsonApi):
    """The ``sagemaker`` service (``X-Amz-Target: SageMaker.<Operation>``)."""

    def __init__(self, backends: list, after_call=None):
        super().__init__("sagemaker", backends, after_call)
