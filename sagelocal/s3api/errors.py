"""S3's error shape: ``<Error><Code/><Message/>...</Error>`` with the HTTP status S3 uses."""
from __future__ import annotations

from starlette.responses import Response

from sagelocal.s3api.xml import element, text


class S3Error(Exception):
    """An S3 error; ``fields`` become extra elements (``Key``, ``BucketName``) as S3 adds them."""

    def __init__(self, code: str, message: str, status: int = 400, **fields: str):
        super().__init__(message)
        self.code, self.message, self.status, self.fields = code, message, status, fields

    def response(self, method: str) -> Response:
        if method == "HEAD":  # S3 answers HEAD errors with the status alone
            return Response(status_code=self.status)
        extra = "".join(element(name, value) for name, value in self.fields.items())
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{self.code}</Code>'
                f"<Message>{text(self.message)}</Message>{extra}</Error>")
        return Response(body, status_code=self.status, media_type="application/xml")
