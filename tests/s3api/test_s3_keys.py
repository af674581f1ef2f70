"""Keys as S3 allows them (any UTF-8 up to 1,024 bytes), ordinary keys still at ``s3/<bucket>/<key>``."""
import boto3
import pytest
from botocore.config import Config

from sagelocal.credentials import client_kwargs

LONG_PART = "p" * 300  # longer than any file name (255 bytes)


@pytest.fixture
def s3(local_server):
    client = boto3.client("s3", config=Config(retries={"max_attempts": 1}),
                          **client_kwargs(local_server.settings, local_server.url))
    client.create_bucket(Bucket="data")
    return client


def _keys(s3, **options):
    return [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket="data", **options)
            for o in page.get("Contents", [])]


@pytest.mark.parametrize("key", [LONG_PART, f"in/{LONG_PART}/x.csv", "/".join(["é" * 120] * 4),
                                 "folder/", "a//b", "./x", "a/../b", ".sagelocal-s3/tmp/x", "model.part"])
def test_any_key_s3_allows_is_stored_read_listed_and_deleted(s3, key):
    body = key.encode() * 3
    etag = s3.put_object(Bucket="data", Key=key, Body=body)["ETag"]
    got = s3.get_object(Bucket="data", Key=key)
    assert got["Body"].read() == body and got["ETag"] == etag
    assert s3.head_object(Bucket="data", Key=key)["ContentLength"] == len(body)
    assert _keys(s3) == [key]
    assert _keys(s3, Prefix=key[:2]) == [key]
    s3.delete_object(Bucket="data", Key=key)
    assert _keys(s3) == []


def test_ordinary_keys_keep_their_path_and_the_rest_list_in_s3_order(s3, local_server):
    keys = ["in/a.csv", f"in/{LONG_PART}", "in/", "in/b/c.csv", "in/b", "z"]
    for key in keys:
        s3.put_object(Bucket="data", Key=key, Body=b"v")
    bucket = local_server.settings.s3_root / "data"
    assert (bucket / "in" / "a.csv").read_bytes() == b"v" and (bucket / "in" / "b" / "c.csv").is_file()
    assert (bucket / "z").is_file()
    assert _keys(s3) == sorted(keys, key=str.encode)
    top = s3.list_objects_v2(Bucket="data", Prefix="in/", Delimiter="/")
    assert [o["Key"] for o in top["Contents"]] == ["in/", "in/a.csv", "in/b", f"in/{LONG_PART}"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["in/b/"]
    pages = s3.get_paginator("list_objects").paginate(Bucket="data", PaginationConfig={"PageSize": 2})
    assert [o["Key"] for page in pages for o in page["Contents"]] == sorted(keys, key=str.encode)


def test_a_key_kept_aside_moves_back_to_its_path_when_it_can(s3, local_server):
    s3.put_object(Bucket="data", Key="a/b", Body=b"inner")
    s3.put_object(Bucket="data", Key="a", Body=b"first")  # a folder is where this file would be
    s3.delete_object(Bucket="data", Key="a/b")
    s3.put_object(Bucket="data", Key="a", Body=b"second")
    assert (local_server.settings.s3_root / "data" / "a").read_bytes() == b"second"
    assert _keys(s3) == ["a"] and s3.get_object(Bucket="data", Key="a")["Body"].read() == b"second"


def test_a_bucket_with_only_keys_kept_aside_is_not_empty(s3):
    s3.put_object(Bucket="data", Key=LONG_PART, Body=b"v")
    with pytest.raises(s3.exceptions.ClientError) as refused:
        s3.delete_bucket(Bucket="data")
    assert refused.value.response["Error"]["Code"] == "BucketNotEmpty"
    s3.delete_object(Bucket="data", Key=LONG_PART)
    s3.delete_bucket(Bucket="data")
