"""AWS's query protocol (STS, and CloudWatch for older clients): a form-encoded ``Action=...&Version=...`` body,
answered in XML. Only the errors and the few answers sagelocal gives are written here.
"""
from __future__ import annotations

import uuid
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from starlette.responses import Response

from sagelocal.errors import ServiceError


def parse(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def is_query(headers: dict, body: bytes) -> bool:
    return headers.get("content-type", "").startswith("application/x-www-form-urlencoded") and b"Action=" in body


def response(action: str, namespace: str, fields: dict[str, str]) -> Response:
    """``<ActionResponse><ActionResult>fields</ActionResult><ResponseMetadata/></ActionResponse>``."""
    members = "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in fields.items())
    text = (f'<{action}Response xmlns="{namespace}"><{action}Result>{members}</{action}Result>'
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{action}Response>")
    return Response(text, media_type="text/xml")


def error_response(error: ServiceError) -> Response:
    kind = "Sender" if error.status < 500 else "Receiver"
    text = (f"<ErrorResponse><Error><Type>{kind}</Type><Code>{escape(error.code)}</Code>"
            f"<Message>{escape(error.message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")
    return Response(text, status_code=error.status, media_type="text/xml")
