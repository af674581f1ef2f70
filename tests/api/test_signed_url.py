"""The URL a request's signature is checked against is the one the client used: its scheme too."""
from starlette.requests import Request

from sagelocal.api.inbound import signed_url


def _request(scheme: str) -> Request:
    return Request({"type": "http", "method": "GET", "scheme": scheme, "path": "/bucket/a b",
                    "raw_path": b"/bucket/a%20b", "query_string": b"versionId=1",
                    "headers": [(b"host", b"127.0.0.1:8443")]})


def test_a_request_over_tls_is_checked_against_its_https_url():
    assert signed_url(_request("https")) == "https://127.0.0.1:8443/bucket/a%20b?versionId=1"


def test_a_plain_request_keeps_its_http_url():
    assert signed_url(_request("http")) == "http://127.0.0.1:8443/bucket/a%20b?versionId=1"
