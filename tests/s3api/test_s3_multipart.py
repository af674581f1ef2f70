"""Multipart upload as S3 does it: boto3's upload_file, the low-level calls, S3's rules and errors."""
import hashlib

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from sagelocal.credentials import client_kwargs

MiB = 1024 * 1024


@pytest.fixture
def s3(local_server):
    client = boto3.client("s3", config=Config(retries={"max_attempts": 1}),
                          **client_kwargs(local_server.settings, local_server.url))
    client.create_bucket(Bucket="data")
    return client


def _code(raised) -> str:
    return raised.value.response["Error"]["Code"]


def _multipart_etag(data: bytes, part_size: int) -> str:
    md5s = b"".join(hashlib.md5(data[i:i + part_size]).digest() for i in range(0, len(data), part_size))
    return f'"{hashlib.md5(md5s).hexdigest()}-{-(-len(data) // part_size)}"'


def test_upload_file_of_50_mb_is_multipart_with_s3s_etag(s3, local_server, tmp_path):
    data = hashlib.sha256(b"seed").digest() * (50 * MiB // 32)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    s3.upload_file(str(source), "data", "models/big.bin")  # boto3's defaults: 8 MiB parts, 10 threads
    head = s3.head_object(Bucket="data", Key="models/big.bin")
    assert head["ContentLength"] == len(data) and head["ETag"] == _multipart_etag(data, 8 * MiB)
    assert (local_server.settings.s3_root / "data" / "models" / "big.bin").read_bytes() == data
    assert s3.list_objects_v2(Bucket="data")["Contents"][0]["ETag"] == head["ETag"]
    target = tmp_path / "back.bin"
    s3.download_file("data", "models/big.bin", str(target), Config=TransferConfig(multipart_threshold=64 * MiB))
    assert target.read_bytes() == data
    assert s3.list_multipart_uploads(Bucket="data").get("Uploads", []) == []


def test_parts_listed_copied_and_completed(s3):
    s3.put_object(Bucket="data", Key="source", Body=b"s" * (6 * MiB))
    upload = s3.create_multipart_upload(Bucket="data", Key="joined")["UploadId"]
    first = s3.upload_part_copy(Bucket="data", Key="joined", UploadId=upload, PartNumber=1,
                                CopySource={"Bucket": "data", "Key": "source"},
                                CopySourceRange=f"bytes=0-{5 * MiB - 1}")["CopyPartResult"]["ETag"]
    second = s3.upload_part(Bucket="data", Key="joined", UploadId=upload, PartNumber=2, Body=b"tail")["ETag"]
    parts = s3.list_parts(Bucket="data", Key="joined", UploadId=upload)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, first, 5 * MiB), (2, second, 4)]
    listed = s3.list_multipart_uploads(Bucket="data")["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in listed] == [("joined", upload)]
    etag = s3.complete_multipart_upload(Bucket="data", Key="joined", UploadId=upload, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": first}, {"PartNumber": 2, "ETag": second}]})["ETag"]
    assert etag == _multipart_etag(b"s" * (5 * MiB) + b"tail", 5 * MiB)
    assert s3.get_object(Bucket="data", Key="joined")["Body"].read() == b"s" * (5 * MiB) + b"tail"
    with pytest.raises(ClientError) as gone:
        s3.list_parts(Bucket="data", Key="joined", UploadId=upload)
    assert _code(gone) == "NoSuchUpload"


def test_s3s_rules_for_completing(s3):
    upload = s3.create_multipart_upload(Bucket="data", Key="k")["UploadId"]
    small = [s3.upload_part(Bucket="data", Key="k", UploadId=upload, PartNumber=n, Body=b"%d" % n)["ETag"]
             for n in (1, 2)]

    def complete(parts):
        with pytest.raises(ClientError) as refused:
            s3.complete_multipart_upload(Bucket="data", Key="k", UploadId=upload, MultipartUpload={"Parts": parts})
        return _code(refused)

    assert complete([{"PartNumber": 1, "ETag": small[0]}, {"PartNumber": 2, "ETag": small[1]}]) == "EntityTooSmall"
    assert complete([{"PartNumber": 2, "ETag": small[1]}, {"PartNumber": 1, "ETag": small[0]}]) == "InvalidPartOrder"
    assert complete([{"PartNumber": 1, "ETag": small[1]}]) == "InvalidPart"
    assert complete([{"PartNumber": 3, "ETag": small[0]}]) == "InvalidPart"
    with pytest.raises(ClientError) as bad_number:
        s3.upload_part(Bucket="data", Key="k", UploadId=upload, PartNumber=10001, Body=b"x")
    assert _code(bad_number) == "InvalidArgument"
    s3.abort_multipart_upload(Bucket="data", Key="k", UploadId=upload)
    for call in (lambda: s3.upload_part(Bucket="data", Key="k", UploadId=upload, PartNumber=1, Body=b"x"),
                 lambda: s3.abort_multipart_upload(Bucket="data", Key="k", UploadId=upload),
                 lambda: s3.list_parts(Bucket="data", Key="other", UploadId="no-such-upload-at-all")):
        with pytest.raises(ClientError) as missing:
            call()
        assert _code(missing) == "NoSuchUpload"
    assert s3.list_objects_v2(Bucket="data")["KeyCount"] == 0


def test_list_multipart_uploads_pages_by_key_and_prefix(s3):
    ids = {key: s3.create_multipart_upload(Bucket="data", Key=key)["UploadId"] for key in ("a/1", "a/2", "b/1")}
    rolled = s3.list_multipart_uploads(Bucket="data", Delimiter="/")
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["a/", "b/"] and "Uploads" not in rolled
    first = s3.list_multipart_uploads(Bucket="data", MaxUploads=2)
    assert first["IsTruncated"] and [u["Key"] for u in first["Uploads"]] == ["a/1", "a/2"]
    rest = s3.list_multipart_uploads(Bucket="data", KeyMarker=first["NextKeyMarker"],
                                     UploadIdMarker=first["NextUploadIdMarker"])
    assert [(u["Key"], u["UploadId"]) for u in rest["Uploads"]] == [("b/1", ids["b/1"])]
    assert [u["Key"] for u in s3.list_multipart_uploads(Bucket="data", Prefix="b/")["Uploads"]] == ["b/1"]
