"""A bare uvicorn server (the same HTTP parser as ``sagelocal serve``) that reads and discards every body and
answers boto3's multipart calls just enough to go on: the reference for what an upload costs before any S3
work (signature, hashes, disk). Usage: ``python benchmarks/upload_sink.py PORT``.
"""
from __future__ import annotations

import sys

import uvicorn

_XML = b'<?xml version="1.0" encoding="UTF-8"?>'
_CREATED = _XML + (b"<InitiateMultipartUploadResult><Bucket>bench</Bucket><Key>sink</Key>"
                   b"<UploadId>sink-upload-0000000</UploadId></InitiateMultipartUploadResult>")
_COMPLETED = _XML + (b'<CompleteMultipartUploadResult><Bucket>bench</Bucket><Key>sink</Key><ETag>"sink"</ETag>'
                     b"</CompleteMultipartUploadResult>")


async def app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    body = b""
    if scope["query_string"].startswith(b"uploads"):
        body = _CREATED
    elif scope["method"] == "POST":
        body = _COMPLETED
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode()), (b"etag", b'"sink"')]})
    await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), http="httptools", log_level="warning")
