"""S3's XML response bodies, written by hand (S3 ``RestXml``: namespace, ISO-8601 timestamps)."""
from __future__ import annotations

import re
from datetime import datetime
from xml.sax.saxutils import escape

from starlette.responses import Response

NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def http_date(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


# Characters XML 1.0 cannot carry even escaped (a key may hold them); shown as U+FFFD so the document parses.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def text(value) -> str:
    """``value`` as XML character data."""
    return _NOT_XML.sub("\ufffd", escape(str(value)))


def element(name: str, value) -> str:
    return f"<{name}>{text(value)}</{name}>"


def document(root: str, inner: str, headers: dict[str, str] | None = None) -> Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{NAMESPACE}">{inner}</{root}>'
    return Response(body, media_type="application/xml", headers=headers)
