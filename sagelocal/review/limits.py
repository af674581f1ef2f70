"""The maxima of botocore's model (lengths, ranges, list sizes), which its ParamValidator leaves unchecked."""
from __future__ import annotations

from sagelocal.api.protocol import service_model
from sagelocal.errors import ValidationError


def check_maximums(service: str, operation: str, params: dict) -> None:
    """Raise ValidationException when a value in ``params`` exceeds its shape's ``max``."""
    _walk(service_model(service).operation_model(operation).input_shape, params, operation)


def _walk(shape, value, path: str) -> None:
    if shape is None or value is None:
        return
    limit = shape.metadata.get("max")
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            _walk(member, value.get(name), f"{path}.{name}")
        return
    if shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            _walk(shape.member, item, f"{path}[{index}]")
    if limit is None:
        return
    if shape.type_name in ("integer", "long", "float", "double") and isinstance(value, (int, float)) and value > limit:
        raise ValidationError(f"1 validation error detected: Value {value} at '{path}' failed to satisfy "
                              f"constraint: Member must have value less than or equal to {limit}")
    if shape.type_name in ("string", "list", "blob") and hasattr(value, "__len__") and len(value) > limit:
        raise ValidationError(f"1 validation error detected: Value at '{path}' failed to satisfy constraint: "
                              f"Member must have length less than or equal to {limit}")
