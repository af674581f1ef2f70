"""Smithy RPC v2 CBOR, the protocol botocore speaks to CloudWatch first: ``POST
/service/<ServiceName>/operation/<Operation>`` with a CBOR body, answered in CBOR with the
``smithy-protocol: rpc-v2-cbor`` header. Timestamps travel as CBOR tag 1 (epoch seconds).
"""
from __future__ import annotations

import re
from datetime import timezone

import cbor2
from starlette.responses import Response

from sagelocal.errors import ServiceError, ValidationError

PATH = re.compile(r"^/service/(?P<service>[A-Za-z0-9_]+)/operation/(?P<operation>[A-Za-z0-9_]+)$")
_HEADERS = {"smithy-protocol": "rpc-v2-cbor"}
_MEDIA_TYPE = "application/cbor"


def decode(body: bytes) -> dict:
    if not body:
        return {}
    try:
        request = cbor2.loads(body)
    except (cbor2.CBORDecodeError, ValueError, EOFError):
        raise ValidationError("The request body is not valid CBOR") from None
    if not isinstance(request, dict):
        raise ValidationError("The request body must be a CBOR map")
    return request


def response(body: dict) -> Response:
    content = cbor2.dumps(body, datetime_as_timestamp=True, timezone=timezone.utc)
    return Response(content, media_type=_MEDIA_TYPE, headers=_HEADERS)


def error_response(error: ServiceError) -> Response:
    content = cbor2.dumps({"__type": error.code, "message": error.message})
    return Response(content, status_code=error.status, media_type=_MEDIA_TYPE, headers=_HEADERS)
