"""The request a Model, Transform or RegisterModel step makes (CreateModel, CreateTransformJob,
CreateModelPackage), checked as SageMaker checks it when the step starts: against botocore's model of the
operation, AWS's constraints first (patterns, lengths, enums), then members and types. A definition whose
arguments do not fit fails that step with AWS's ValidationException text, instead of storing what AWS would
refuse (and DescribeModelPackage then answering a shape boto3 silently drops).
"""
from __future__ import annotations

from functools import lru_cache

import botocore.session
from botocore.validate import ParamValidator

from sagelocal.validation.constraints import constraint_errors, summary


@lru_cache(maxsize=None)
def _input_shape(operation: str):
    return botocore.session.get_session().get_service_model("sagemaker").operation_model(operation).input_shape


def request_problem(operation: str, request: dict) -> str | None:
    """``ValidationException: ...`` naming what in ``request`` SageMaker would refuse, or None."""
    shape = _input_shape(operation)
    failures = constraint_errors(shape, request)
    if failures:
        return f"ValidationException: {summary(failures)}"
    report = ParamValidator().validate(request, shape)
    if report.has_errors():
        return f"ValidationException: {report.generate_report().replace(chr(10), '; ')}"
    return None
