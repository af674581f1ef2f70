"""Object bodies stream to disk, checked on the way: the signed SHA-256, aws-chunked framing (signed chunks,
botocore's trailer checksum), Content-MD5; a 200 MB upload does not grow the server."""
import base64
import hashlib
import hmac
import io
import os
from pathlib import Path

import httpx
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum

from hosting.process import ServerProcess
from sagelocal.credentials import load_or_create
from sagelocal.s3api.errors import S3Error
from sagelocal.s3api.payload import ChunkSigner, IncomingBody

MiB = 1024 * 1024


def _peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


@pytest.fixture
def server_process(tmp_path):
    server = ServerProcess(tmp_path / "home").start()
    yield server
    server.stop()


def test_a_200_mb_put_object_keeps_the_servers_memory_small(server_process, tmp_path):
    s3 = server_process.client("s3")
    s3.create_bucket(Bucket="data")
    source = tmp_path / "big.bin"
    with source.open("wb") as handle:
        for _ in range(200):
            handle.write(os.urandom(MiB))
    s3.put_object(Bucket="data", Key="warm-up", Body=b"x")  # first-use allocations are not the body's
    before = _peak_rss(server_process.process.pid)
    with source.open("rb") as body:
        etag = s3.put_object(Bucket="data", Key="big.bin", Body=body)["ETag"]
    growth = _peak_rss(server_process.process.pid) - before
    assert growth < 40 * MiB, f"the server's peak memory grew by {growth / MiB:.0f} MB for a 200 MB body"
    digest = hashlib.md5()
    with source.open("rb") as handle:
        while block := handle.read(MiB):
            digest.update(block)
    assert etag == f'"{digest.hexdigest()}"'
    stored = server_process.settings.s3_root / "data" / "big.bin"
    assert stored.stat().st_size == 200 * MiB
    assert not list((server_process.settings.s3_root / "data" / ".sagelocal-s3" / "tmp").iterdir())


# AWS's published example of a chunk-signed PutObject (S3 API reference, "Signature Calculations for the
# Authorization Header: Transferring Payload in Multiple Chunks"): 65,536 + 1,024 bytes of 'a'.
AWS_EXAMPLE = {"secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "date": "20130524T000000Z",
               "seed": "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
               "chunks": [(65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"),
                          (1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"),
                          (0, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9")]}


def _aws_example_body(signatures) -> bytes:
    return b"".join(b"%x;chunk-signature=%s\r\n%s\r\n" % (size, signature.encode(), b"a" * size)
                    for (size, _), signature in zip(AWS_EXAMPLE["chunks"], signatures))


def _decode_aws_example(raw: bytes, feed_size: int) -> bytes:
    body = IncomingBody({"x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                         "x-amz-decoded-content-length": "66560"},
                        lambda: ChunkSigner(AWS_EXAMPLE["secret"], AWS_EXAMPLE["date"], "us-east-1", "s3",
                                            AWS_EXAMPLE["seed"]))
    data = b"".join(body.feed(raw[i:i + feed_size]) for i in range(0, len(raw), feed_size))
    body.finish()
    return data


@pytest.mark.parametrize("feed_size", [1, 1000, 1 << 20])
def test_awss_own_chunk_signed_example_decodes_however_it_arrives(feed_size):
    raw = _aws_example_body([signature for _, signature in AWS_EXAMPLE["chunks"]])
    assert _decode_aws_example(raw, feed_size) == b"a" * 66560


def test_a_chunk_whose_signature_does_not_chain_is_refused():
    signatures = [signature for _, signature in AWS_EXAMPLE["chunks"]]
    signatures[1] = signatures[1][::-1]
    with pytest.raises(S3Error) as refused:
        _decode_aws_example(_aws_example_body(signatures), 4096)
    assert refused.value.code == "SignatureDoesNotMatch"


class _DeclaredPayload(S3SigV4Auth):
    """botocore's S3 signer, signing the X-Amz-Content-SHA256 the request declares (a streaming mode)."""

    def payload(self, request):
        return self.declared

    def __init__(self, credentials, declared: str):
        super().__init__(credentials, "s3", "us-east-1")
        self.declared = declared


def _signed_put(server, key: str, headers: dict) -> AWSRequest:
    """A PUT's headers signed by botocore's own S3 signer, with the given X-Amz-Content-SHA256."""
    secret = load_or_create(server.settings)
    request = AWSRequest("PUT", f"{server.url}/data/{key}", headers=headers)
    _DeclaredPayload(Credentials(secret.access_key_id, secret.secret_access_key),
                     headers["X-Amz-Content-SHA256"]).add_auth(request)
    return request


def _send(server, key: str, body: bytes, headers: dict) -> httpx.Response:
    request = _signed_put(server, key, headers)
    return httpx.put(request.url, content=body, headers=dict(request.headers))


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def test_botocores_trailer_checksum_body_is_decoded_and_checked(local_server):
    local_server.client("s3").create_bucket(Bucket="data")
    data = os.urandom(300_000)
    headers = {"X-Amz-Content-SHA256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "Content-Encoding": "aws-chunked",
               "X-Amz-Trailer": "x-amz-checksum-crc32", "X-Amz-Decoded-Content-Length": str(len(data))}
    # botocore's own encoder, as it sends a body over HTTPS
    raw = AwsChunkedWrapper(io.BytesIO(data), checksum_cls=Crc32Checksum, checksum_name="x-amz-checksum-crc32").read()
    answer = _send(local_server, "trailed", raw, headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-amz-checksum-crc32"] == raw.rsplit(b"x-amz-checksum-crc32:", 1)[1].split()[0].decode()
    assert local_server.client("s3").get_object(Bucket="data", Key="trailed")["Body"].read() == data
    wrong = raw.replace(b"x-amz-checksum-crc32:", b"x-amz-checksum-crc32:AAAA")
    refused = _send(local_server, "wrong", wrong, headers)
    assert refused.status_code == 400 and b"<Code>BadDigest</Code>" in refused.content


def test_aws_chunked_parts_fill_their_slots_and_one_longer_than_it_declares_spills_into_none(local_server):
    """Parts as botocore sends them over HTTPS (their size in X-Amz-Decoded-Content-Length): part 4 arrives after
    part 5 and first claims to be 5 MiB while sending more; it is refused before it reaches part 5's bytes."""
    s3 = local_server.client("s3")
    s3.create_bucket(Bucket="data")
    upload = s3.create_multipart_upload(Bucket="data", Key="k")["UploadId"]
    parts = [os.urandom(5 * MiB) for _ in range(4)] + [b"tail"]

    def send(number: int, data: bytes, declared: int) -> httpx.Response:
        headers = {"X-Amz-Content-SHA256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "Content-Encoding": "aws-chunked",
                   "X-Amz-Trailer": "x-amz-checksum-crc32", "X-Amz-Decoded-Content-Length": str(declared)}
        raw = AwsChunkedWrapper(io.BytesIO(data), checksum_cls=Crc32Checksum,
                                checksum_name="x-amz-checksum-crc32").read()
        return _send(local_server, f"k?partNumber={number}&uploadId={upload}", raw, headers)

    etags = {number: send(number, parts[number - 1], len(parts[number - 1])).headers["etag"] for number in (1, 2, 3, 5)}
    refused = send(4, parts[3] + b"spill", 5 * MiB)
    assert refused.status_code == 400 and b"<Code>IncompleteBody</Code>" in refused.content
    etags[4] = send(4, parts[3], 5 * MiB).headers["etag"]
    s3.complete_multipart_upload(Bucket="data", Key="k", UploadId=upload, MultipartUpload={
        "Parts": [{"PartNumber": number, "ETag": etags[number]} for number in range(1, 6)]})
    assert s3.get_object(Bucket="data", Key="k")["Body"].read() == b"".join(parts)


def test_a_chunk_signed_put_object_is_verified_chunk_by_chunk(local_server):
    local_server.client("s3").create_bucket(Bucket="data")
    secret = load_or_create(local_server.settings).secret_access_key
    chunks = [os.urandom(64 * 1024), os.urandom(1000), b""]
    headers = {"X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "Content-Encoding": "aws-chunked",
               "X-Amz-Decoded-Content-Length": str(sum(map(len, chunks)))}

    def body(request, tamper: bool) -> bytes:
        """The chunks as the S3 API reference says to sign them, each chaining the previous signature."""
        previous = request.headers["Authorization"].rsplit("Signature=", 1)[1]
        when = request.context["timestamp"]
        key = ("AWS4" + secret).encode()
        for part in (when[:8], "us-east-1", "s3", "aws4_request"):
            key = _hmac(key, part)
        parts = []
        for chunk in chunks:
            text = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", when, f"{when[:8]}/us-east-1/s3/aws4_request", previous,
                              hashlib.sha256(b"").hexdigest(), hashlib.sha256(chunk).hexdigest()])
            previous = _hmac(key, text).hex()
            sent = chunk[::-1] if tamper and chunk else chunk
            parts.append(b"%x;chunk-signature=%s\r\n%s\r\n" % (len(chunk), previous.encode(), sent))
        return b"".join(parts)

    for key, tamper, status in (("signed", False, 200), ("tampered", True, 403)):
        request = _signed_put(local_server, key, headers)  # the headers' signature seeds the chunks' chain
        answer = httpx.put(request.url, content=body(request, tamper), headers=dict(request.headers))
        assert answer.status_code == status, answer.text
    assert local_server.client("s3").get_object(Bucket="data", Key="signed")["Body"].read() == b"".join(chunks)
    assert local_server.client("s3").list_objects_v2(Bucket="data")["KeyCount"] == 1


def test_a_content_md5_that_is_not_the_bodys_is_refused(local_server):
    s3 = local_server.client("s3")
    s3.create_bucket(Bucket="data")
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket="data", Key="k", Body=b"body", ContentMD5=wrong)
    assert refused.value.response["Error"]["Code"] == "BadDigest"
    assert s3.list_objects_v2(Bucket="data")["KeyCount"] == 0
