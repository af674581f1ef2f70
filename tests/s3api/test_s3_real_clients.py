"""The AWS CLI and the SageMaker SDK, verbatim apart from the endpoint, against the local server's S3."""
import json
import os
import time

import pytest

from s3api.real_clients import aws, python_client

MiB = 1024 * 1024


@pytest.fixture
def bucket(local_server):
    local_server.client("s3").create_bucket(Bucket="data")
    return "data"


def _ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result


def test_aws_s3_cp_of_20_mb_both_ways(local_server, bucket, tmp_path):
    data = os.urandom(20 * MiB)
    (tmp_path / "big.bin").write_bytes(data)
    _ok(aws(local_server, "s3", "cp", str(tmp_path / "big.bin"), "s3://data/in/big.bin"))
    assert (local_server.settings.s3_root / "data" / "in" / "big.bin").read_bytes() == data
    _ok(aws(local_server, "s3", "cp", "s3://data/in/big.bin", str(tmp_path / "back.bin")))
    assert (tmp_path / "back.bin").read_bytes() == data


def test_aws_s3_sync_both_ways_and_s3api_list_objects(local_server, bucket, tmp_path):
    source = tmp_path / "source"
    for name, size in {"a.csv": 10, "sub/b.json": 9 * MiB, "sub/deeper/c d.txt": 3}.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(os.urandom(size))
        # S3 keeps LastModified to the second: a file written in the second the upload ends would look newer than
        # its copy, and the CLI would rightly copy it again (on AWS too). Dated a minute back, it is not.
        os.utime(source / name, (time.time() - 60, time.time() - 60))
    _ok(aws(local_server, "s3", "sync", str(source), "s3://data/synced"))
    again = _ok(aws(local_server, "s3", "sync", str(source), "s3://data/synced"))
    assert again.stdout.strip() == ""  # nothing changed: nothing copied
    _ok(aws(local_server, "s3", "sync", "s3://data/synced", str(tmp_path / "back")))
    for name in ("a.csv", "sub/b.json", "sub/deeper/c d.txt"):
        assert (tmp_path / "back" / name).read_bytes() == (source / name).read_bytes()
    listed = json.loads(_ok(aws(local_server, "s3api", "list-objects", "--bucket", "data",
                                "--prefix", "synced/")).stdout)
    assert [o["Key"] for o in listed["Contents"]] == ["synced/a.csv", "synced/sub/b.json", "synced/sub/deeper/c d.txt"]


SDK_UPLOADS = """
import sagemaker.core.telemetry.telemetry_logging as telemetry
telemetry._send_telemetry_request = lambda *args, **kwargs: None
from sagemaker.core.helper.session_helper import Session
from sagemaker.core.s3.client import S3Downloader, S3Uploader

session = Session()
print("upload_data", session.upload_data("data.csv", bucket="data", key_prefix="sdk/input"))
print("uploader", S3Uploader.upload("folder", "s3://data/sdk/folder", sagemaker_session=session))
print("files", sorted(session.list_s3_files("data", "sdk/")))
print("listed", S3Downloader.list("s3://data/sdk/folder", sagemaker_session=session))
"""


def test_sagemaker_sdk_upload_data_s3uploader_and_list_s3_files(local_server, bucket, tmp_path):
    (tmp_path / "data.csv").write_bytes(b"1,2\n" * (3 * MiB))  # 12 MiB: a multipart upload
    (tmp_path / "folder" / "inner").mkdir(parents=True)
    (tmp_path / "folder" / "inner" / "model.txt").write_text("weights")
    output = _ok(python_client(local_server, SDK_UPLOADS, cwd=tmp_path)).stdout
    assert "upload_data s3://data/sdk/input/data.csv" in output
    assert "uploader s3://data/sdk/folder" in output
    assert "files ['sdk/folder/inner/model.txt', 'sdk/input/data.csv']" in output
    assert "listed ['s3://data/sdk/folder/inner/model.txt']" in output
    assert (local_server.settings.s3_root / "data" / "sdk" / "input" / "data.csv").read_bytes() == b"1,2\n" * (3 * MiB)


BOTO3_UPLOAD_FILE = """
import boto3
s3 = boto3.client("s3")
s3.upload_file("big.bin", "data", "models/big.bin")
print("ETAG", s3.head_object(Bucket="data", Key="models/big.bin")["ETag"])
"""


def test_boto3_upload_file_of_50_mb_under_the_network_guard(local_server, bucket, tmp_path):
    # The issue's judged client, verbatim: boto3's defaults (8 MiB parts, 10 threads), only AWS_ENDPOINT_URL set.
    data = os.urandom(50 * MiB)
    (tmp_path / "big.bin").write_bytes(data)
    output = _ok(python_client(local_server, BOTO3_UPLOAD_FILE, cwd=tmp_path)).stdout
    assert output.strip().endswith('-7"')  # seven parts: S3's multipart ETag
    assert (local_server.settings.s3_root / "data" / "models" / "big.bin").read_bytes() == data
