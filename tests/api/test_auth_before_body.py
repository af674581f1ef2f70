"""Nobody without the key makes the server read a body: the signature's header-level parts (key, date, scope)
are checked first, bodies are bounded per route and covered by the signature, slow clients are dropped."""
from __future__ import annotations

import hashlib
import socket
import time
from pathlib import Path

import boto3
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from hosting.process import ServerProcess
from sagelocal.credentials import client_kwargs, load_or_create
from servers import start_local_server


def _signed(server, url: str, body: bytes, service: str = "sagemaker", region: str = "us-east-1",
            headers: dict | None = None) -> dict:
    key = load_or_create(server.settings)
    request = AWSRequest("POST", url, data=body, headers=headers or {})
    SigV4Auth(Credentials(key.access_key_id, key.secret_access_key), service, region).add_auth(request)
    return dict(request.headers)


def _list_endpoints(server, service: str = "sagemaker") -> httpx.Response:
    url = server.url + "/"
    headers = {"X-Amz-Target": "SageMaker.ListEndpoints", "Content-Type": "application/x-amz-json-1.1"}
    return httpx.post(url, content=b"{}", headers=_signed(server, url, b"{}", service=service, headers=headers))


def test_a_signature_scoped_to_another_service_is_refused(local_server):
    assert _list_endpoints(local_server).status_code == 200
    refused = _list_endpoints(local_server, service="iam")
    assert refused.status_code == 403
    assert refused.json() == {"__type": "InvalidSignatureException",
                              "message": "Credential should be scoped to correct service: 'sagemaker'. "}


def test_a_signature_scoped_to_another_region_is_refused(local_server):
    kwargs = client_kwargs(local_server.settings, local_server.url) | {"region_name": "eu-west-9"}
    config = Config(retries={"max_attempts": 1})
    with pytest.raises(ClientError) as json_api:
        boto3.client("sagemaker", config=config, **kwargs).list_endpoints()
    assert json_api.value.response["Error"] == {
        "Code": "InvalidSignatureException", "Message": "Credential should be scoped to a valid region, not "
                                                        "'eu-west-9'. "}
    with pytest.raises(ClientError) as s3:
        boto3.client("s3", config=config, **kwargs).list_buckets()
    assert s3.value.response["Error"]["Code"] == "AuthorizationHeaderMalformed"
    assert s3.value.response["Error"]["Region"] == "us-east-1"


def test_a_signed_payload_hash_must_be_the_bodys(local_server):
    url = local_server.url + "/endpoints/any/invocations"
    signed_body, sent_body = b"1,2,3", b"9,9,9"
    headers = _signed(local_server, url, signed_body, headers={
        "Content-Type": "text/csv", "X-Amz-Content-SHA256": hashlib.sha256(signed_body).hexdigest()})
    refused = httpx.post(url, content=sent_body, headers=headers)
    assert refused.status_code == 403 and refused.json()["__type"] == "InvalidSignatureException"
    assert "x-amz-content-sha256" in refused.json()["message"]


def test_a_json_api_body_over_its_limit_is_refused_with_413(local_server):
    url = local_server.url + "/"
    body = b'{"PipelineName": "p", "PipelineDefinition": "' + b"x" * (9 * 1024 * 1024) + b'"}'
    headers = _signed(local_server, url, body, headers={"X-Amz-Target": "SageMaker.CreatePipeline",
                                                         "Content-Type": "application/x-amz-json-1.1"})
    refused = httpx.post(url, content=body, headers=headers)
    assert refused.status_code == 413
    assert refused.json() == {"message": "HTTP content length exceeded 8388608 bytes."}


@pytest.mark.parametrize("service, request_line, answer", [
    ("sagemaker", b"POST / HTTP/1.1", b'"__type":"UnrecognizedClientException"'),
    ("s3", b"GET /data HTTP/1.1", b"<Code>InvalidAccessKeyId</Code>"),
])
def test_non_ascii_in_the_authorization_header_is_refused_not_a_500(local_server, service, request_line, answer):
    authorization = (f"AWS4-HMAC-SHA256 Credential=K\u00c9Y/20240101/us-east-1/{service}/aws4_request, "
                     "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64).encode("latin-1")
    with socket.create_connection(("127.0.0.1", int(local_server.url.rsplit(":", 1)[1])), timeout=10) as sock:
        sock.sendall(request_line + b"\r\nHost: x\r\nX-Amz-Date: 20240101T000000Z\r\nContent-Length: 0\r\n"
                     b"X-Amz-Content-SHA256: UNSIGNED-PAYLOAD\r\nAuthorization: " + authorization + b"\r\n\r\n")
        received = b""
        while answer not in received and (data := sock.recv(65536)):
            received += data
    assert received.startswith(b"HTTP/1.1 403 ") and answer in received


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


UNAUTHENTICATED = {
    "sagemaker json": ("/", "sagemaker"),
    "a2i runtime": ("/human-loops", "sagemaker"),
    "s3 put": ("/bucket/key", "s3"),
}


@pytest.fixture(scope="module")
def server_process(tmp_path_factory):
    server = ServerProcess(tmp_path_factory.mktemp("home")).start()
    yield server
    server.stop()


@pytest.mark.parametrize("route", UNAUTHENTICATED)
def test_an_unauthenticated_200_mb_post_is_refused_unread(server_process, route):
    path, service = UNAUTHENTICATED[route]
    size = 200 * 1024 * 1024
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {size}\r\nX-Amz-Date: 20240101T000000Z\r\n"
            f"X-Amz-Content-SHA256: UNSIGNED-PAYLOAD\r\nAuthorization: AWS4-HMAC-SHA256 Credential=NOTTHEKEY/"
            f"20240101/us-east-1/{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature={'0' * 64}"
            "\r\n\r\n").encode()
    before = _rss_bytes(server_process.process.pid)
    with socket.create_connection(("127.0.0.1", server_process.port), timeout=10) as sock:
        sock.sendall(head + b"x" * 65536)
        answer = sock.recv(65536)  # the refusal comes before the body: the server is not waiting for it
        assert answer.split(b"\r\n", 1)[0] == b"HTTP/1.1 403 Forbidden"
        chunk = b"x" * (1024 * 1024)
        try:
            for _ in range(size // len(chunk)):
                sock.sendall(chunk)
        except OSError:
            pass  # the server closed the connection rather than read the rest
    growth = _rss_bytes(server_process.process.pid) - before
    assert growth < 20 * 1024 * 1024, f"server grew by {growth / 2**20:.0f} MB"


@pytest.fixture
def impatient_server(tmp_path):
    server = start_local_server(tmp_path / "home", read_timeout=1.0)
    yield server
    server.stop()


def _closed_within(sock: socket.socket, seconds: float) -> bytes:
    """Everything the server sends until it closes the connection; fails if it is still open after ``seconds``."""
    sock.settimeout(seconds)
    received = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        data = sock.recv(65536)
        if not data:
            return received
        received += data
    raise AssertionError("the connection is still open")


def test_a_client_that_stops_sending_its_body_is_answered_and_dropped(impatient_server):
    url = impatient_server.url + "/"
    body = b'{"MaxResults": 10, "NameContains": "' + b"x" * 64 + b'"}'
    headers = _signed(impatient_server, url, body, headers={"X-Amz-Target": "SageMaker.ListEndpoints",
                                                            "Content-Type": "application/x-amz-json-1.1"})
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    port = int(impatient_server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode()
                     + body[:1])
        answer = _closed_within(sock, 15)
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_client_that_stops_sending_its_headers_is_dropped(impatient_server):
    port = int(impatient_server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        assert _closed_within(sock, 15) == b""


def test_headers_without_end_are_refused_and_the_connection_dropped(local_server):
    port = int(local_server.url.rsplit(":", 1)[1])
    request = b"GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * (4 * 1024 * 1024) + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(request)
        except OSError:
            pass  # the server closed the connection before reading all of it
        try:
            answer = _closed_within(sock, 15)
        except ConnectionResetError:
            answer = b""  # closed with unread bytes: the refusal may be lost to the reset
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert httpx.get(local_server.url + "/nothing").status_code == 404  # the server goes on serving others


def test_routes_without_a_limit_of_their_own_are_capped_too(local_server):
    # Starlette bounds each form field (1 MB) and their number (1,000), not their total: 18 fields of 512 KiB.
    form = b"&".join(b"f%d=" % index + b"x" * (512 * 1024) for index in range(18))
    refused = httpx.post(local_server.url + "/portal/sign-in", content=form,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    # The cap stops the read inside FastAPI's form parsing, which answers any failure to read a body so.
    assert (refused.status_code, refused.json()) == (400, {"detail": "There was an error parsing the body"})


def test_headers_that_never_end_are_refused_at_16_kib_not_held_until_the_timeout(local_server):
    # A client sending header bytes fast never trips the header timeout: the server must bound what it holds.
    port = int(local_server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        # 20 KiB in one write, so the server has read it all when it answers (else the close is a reset).
        sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: " + b"a" * (20 * 1024))
        answer = _closed_within(sock, 10)  # well within the server's 20 s read timeout
    assert answer.startswith(b"HTTP/1.1 400 ")
