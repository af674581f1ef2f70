"""boto3's s3 client works unchanged against the local server, over the files the runtime uses."""
import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sagelocal.credentials import client_kwargs


@pytest.fixture(params=["path", "auto"])
def s3(local_server, request):
    """Path-style addressing, and botocore's default for a custom endpoint."""
    config = Config(retries={"max_attempts": 1}, s3={"addressing_style": request.param})
    return boto3.client("s3", config=config, **client_kwargs(local_server.settings, local_server.url))


def test_bucket_lifecycle(s3, local_server):
    s3.create_bucket(Bucket="models")
    s3.head_bucket(Bucket="models")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["models"]
    assert (local_server.settings.s3_root / "models").is_dir()
    s3.delete_bucket(Bucket="models")
    with pytest.raises(ClientError) as missing:
        s3.head_bucket(Bucket="models")
    assert missing.value.response["Error"]["Code"] == "404"


def test_put_get_head_delete_share_the_runtime_files(s3, local_server):
    s3.create_bucket(Bucket="data")
    body = b"label,f1\n1,0.5\n"
    etag = s3.put_object(Bucket="data", Key="in/train data+1.csv", Body=body)["ETag"]
    assert (local_server.settings.s3_root / "data" / "in" / "train data+1.csv").read_bytes() == body
    got = s3.get_object(Bucket="data", Key="in/train data+1.csv")
    assert got["Body"].read() == body and got["ETag"] == etag and got["ContentLength"] == len(body)
    assert s3.head_object(Bucket="data", Key="in/train data+1.csv")["ContentLength"] == len(body)
    assert s3.get_object(Bucket="data", Key="in/train data+1.csv", Range="bytes=6-7")["Body"].read() == b"f1"
    s3.delete_object(Bucket="data", Key="in/train data+1.csv")
    assert not (local_server.settings.s3_root / "data" / "in").exists()
    s3.delete_object(Bucket="data", Key="never/was")  # S3 deletes missing keys without complaint


def test_errors_have_s3_codes(s3, local_server):
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.get_object(Bucket="absent", Key="k")
    s3.create_bucket(Bucket="present")
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket="present", Key="k")
    with pytest.raises(ClientError) as head:
        s3.head_object(Bucket="present", Key="k")
    assert head.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    # S3 keys are names, not paths: '..' parts are kept literally (aside, inside the bucket), never followed.
    s3.put_object(Bucket="present", Key="a/../../escape", Body=b"x")
    assert s3.get_object(Bucket="present", Key="a/../../escape")["Body"].read() == b"x"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="present")["Contents"]] == ["a/../../escape"]
    assert not list(local_server.settings.home.rglob("escape"))


def test_upload_and_download_file(s3, tmp_path):
    s3.create_bucket(Bucket="files")
    source = tmp_path / "model.tar.gz"
    source.write_bytes(bytes(range(256)) * 4000)
    s3.upload_file(str(source), "files", "models/model.tar.gz")
    target = tmp_path / "copy.tar.gz"
    s3.download_file("files", "models/model.tar.gz", str(target))
    assert target.read_bytes() == source.read_bytes()


def test_list_objects_v2_prefix_delimiter_pages(s3):
    s3.create_bucket(Bucket="listing")
    keys = ["a/1.csv", "a/2.csv", "b/x/1.json", "b/y/2.json", "c.txt", "d e/f.txt"]
    for key in keys:
        s3.put_object(Bucket="listing", Key=key, Body=key.encode())
    everything = s3.list_objects_v2(Bucket="listing")
    assert [o["Key"] for o in everything["Contents"]] == keys and everything["KeyCount"] == 6
    top = s3.list_objects_v2(Bucket="listing", Delimiter="/")
    assert [o["Key"] for o in top["Contents"]] == ["c.txt"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "b/", "d e/"]
    nested = s3.list_objects_v2(Bucket="listing", Prefix="b/", Delimiter="/")
    assert [p["Prefix"] for p in nested["CommonPrefixes"]] == ["b/x/", "b/y/"]
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket="listing", PaginationConfig={"PageSize": 2})
    assert [[o["Key"] for o in page.get("Contents", [])] for page in pages] == [keys[:2], keys[2:4], keys[4:]]
    prefix_pages = s3.get_paginator("list_objects_v2").paginate(Bucket="listing", Delimiter="/",
                                                                PaginationConfig={"PageSize": 1})
    assert [p["Prefix"] for page in prefix_pages for p in page.get("CommonPrefixes", [])] == ["a/", "b/", "d e/"]
    after = s3.list_objects_v2(Bucket="listing", StartAfter="b/y/2.json")
    assert [o["Key"] for o in after["Contents"]] == ["c.txt", "d e/f.txt"]


def test_delete_objects_and_copy(s3):
    s3.create_bucket(Bucket="many")
    for key in ("x/1", "x/2"):
        s3.put_object(Bucket="many", Key=key, Body=b"v")
    s3.copy_object(Bucket="many", Key="y/1", CopySource={"Bucket": "many", "Key": "x/1"})
    assert s3.get_object(Bucket="many", Key="y/1")["Body"].read() == b"v"
    result = s3.delete_objects(Bucket="many", Delete={"Objects": [{"Key": "x/1"}, {"Key": "x/2"}]})
    assert sorted(d["Key"] for d in result["Deleted"]) == ["x/1", "x/2"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="many")["Contents"]] == ["y/1"]


def test_wrong_key_is_refused(local_server):
    kwargs = client_kwargs(local_server.settings, local_server.url) | {"aws_secret_access_key": "wrong"}
    s3 = boto3.client("s3", config=Config(retries={"max_attempts": 1}), **kwargs)
    with pytest.raises(ClientError) as refused:
        s3.list_buckets()
    assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_sagemaker_json_still_served_beside_s3(local_server):
    assert local_server.client("sagemaker").list_endpoints()["Endpoints"] == []


def test_body_changed_after_signing_is_refused(s3):
    s3.create_bucket(Bucket="guarded")

    def tamper(request, **_):
        request.body = b"evil"

    s3.meta.events.register("before-send.s3.PutObject", tamper)
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket="guarded", Key="k", Body=b"good")
    assert refused.value.response["Error"]["Code"] == "XAmzContentSHA256Mismatch"
