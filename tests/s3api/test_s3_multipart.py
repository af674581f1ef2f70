"""Multipart upload as S3 does it: boto3's upload_file, the low-level calls, S3's rules and errors."""
import fcntl
import hashlib
import os

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


# -- where the parts are kept: one data file, each part in its slot, so Complete need not copy -----------------
def _upload_folder(local_server, upload_id: str):
    return local_server.settings.s3_root / "data" / ".sagelocal-s3" / "uploads" / upload_id


def _upload(s3, upload_id: str, number: int, body: bytes) -> dict:
    return {"PartNumber": number, "ETag": s3.upload_part(Bucket="data", Key="k", UploadId=upload_id,
                                                         PartNumber=number, Body=body)["ETag"]}


def _complete(s3, upload_id: str, parts: list[dict]) -> str:
    return s3.complete_multipart_upload(Bucket="data", Key="k", UploadId=upload_id,
                                        MultipartUpload={"Parts": parts})["ETag"]


def test_parts_of_one_size_become_the_object_without_a_copy(s3, local_server):
    """Parts of 5 MiB then a smaller last one, uploaded last-first: Complete renames the upload's data file."""
    upload = s3.create_multipart_upload(Bucket="data", Key="k")["UploadId"]
    bodies = [bytes([65 + n]) * (5 * MiB) for n in range(3)] + [b"tail"]
    parts = sorted((_upload(s3, upload, n, bodies[n - 1]) for n in (2, 4, 3, 1)), key=lambda p: p["PartNumber"])
    data_file = _upload_folder(local_server, upload) / "data"
    inode = data_file.stat().st_ino
    assert _complete(s3, upload, parts) == _multipart_etag(b"".join(bodies), 5 * MiB)
    assert (local_server.settings.s3_root / "data" / "k").stat().st_ino == inode
    assert s3.get_object(Bucket="data", Key="k")["Body"].read() == b"".join(bodies)
    assert not _upload_folder(local_server, upload).exists()


def test_a_part_uploaded_again_replaces_the_first_and_only_its_etag_completes(s3):
    upload = s3.create_multipart_upload(Bucket="data", Key="k")["UploadId"]
    first = _upload(s3, upload, 1, b"a" * (5 * MiB))
    second = _upload(s3, upload, 2, b"b" * (5 * MiB))
    again = _upload(s3, upload, 1, b"c" * (5 * MiB))
    last = _upload(s3, upload, 3, b"tail")
    with pytest.raises(ClientError) as stale:
        _complete(s3, upload, [first, second, last])
    assert _code(stale) == "InvalidPart"
    _complete(s3, upload, [again, second, last])
    assert s3.get_object(Bucket="data", Key="k")["Body"].read() == b"c" * (5 * MiB) + b"b" * (5 * MiB) + b"tail"


def test_parts_not_in_one_run_of_slots_are_copied_into_the_object(s3):
    """A gap in the numbers, a part larger than the first, a part copied from an object: all still join right."""
    s3.put_object(Bucket="data", Key="source", Body=b"s" * (5 * MiB))
    upload = s3.create_multipart_upload(Bucket="data", Key="k")["UploadId"]
    one = _upload(s3, upload, 1, b"a" * (5 * MiB))
    three = _upload(s3, upload, 3, b"b" * (6 * MiB))  # larger than the slots: a file of its own
    copied = s3.upload_part_copy(Bucket="data", Key="k", UploadId=upload, PartNumber=4,
                                 CopySource={"Bucket": "data", "Key": "source"})["CopyPartResult"]["ETag"]
    five = _upload(s3, upload, 5, b"c" * 10)
    parts = [one, three, {"PartNumber": 4, "ETag": copied}, five]
    expected = b"a" * (5 * MiB) + b"b" * (6 * MiB) + b"s" * (5 * MiB) + b"c" * 10
    md5s = b"".join(hashlib.md5(piece).digest() for piece in (b"a" * (5 * MiB), b"b" * (6 * MiB),
                                                                b"s" * (5 * MiB), b"c" * 10))
    assert _complete(s3, upload, parts) == f'"{hashlib.md5(md5s).hexdigest()}-4"'
    assert s3.get_object(Bucket="data", Key="k")["Body"].read() == expected


def test_complete_while_a_part_is_being_written_copies_and_leaves_the_writer_its_file(s3, local_server):
    """A slot writer holds a shared lock on the data file; Complete must then not rename the file under it."""
    upload = s3.create_multipart_upload(Bucket="data", Key="k")["UploadId"]
    parts = [_upload(s3, upload, 1, b"a" * (5 * MiB)), _upload(s3, upload, 2, b"tail")]
    data_file = _upload_folder(local_server, upload) / "data"
    with data_file.open("r+b") as writer:
        fcntl.flock(writer, fcntl.LOCK_SH)  # what an UploadPart writing part 3 into its slot holds
        _complete(s3, upload, parts)
        assert (local_server.settings.s3_root / "data" / "k").stat().st_ino != os.fstat(writer.fileno()).st_ino
    assert s3.get_object(Bucket="data", Key="k")["Body"].read() == b"a" * (5 * MiB) + b"tail"
