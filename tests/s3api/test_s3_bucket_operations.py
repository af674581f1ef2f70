"""ListObjects (v1), DeleteObjects (Quiet, per-key errors), HeadBucket, GetBucketLocation as S3 answers them."""
from urllib.parse import unquote_plus

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sagelocal.credentials import client_kwargs

KEYS = ["a/1.csv", "a/2.csv", "b/x/1.json", "c d.txt", "é.txt"]


@pytest.fixture
def s3(local_server):
    client = boto3.client("s3", config=Config(retries={"max_attempts": 1}),
                          **client_kwargs(local_server.settings, local_server.url))
    client.create_bucket(Bucket="data")
    for key in KEYS:
        client.put_object(Bucket="data", Key=key, Body=key.encode())
    return client


def test_list_objects_v1_markers_delimiter_and_encoding(s3):
    everything = s3.list_objects(Bucket="data")
    assert [o["Key"] for o in everything["Contents"]] == KEYS and not everything["IsTruncated"]
    first = s3.list_objects(Bucket="data", MaxKeys=2)
    assert [o["Key"] for o in first["Contents"]] == KEYS[:2] and first["IsTruncated"] and "NextMarker" not in first
    after = s3.list_objects(Bucket="data", Marker="a/2.csv")
    assert after["Marker"] == "a/2.csv" and [o["Key"] for o in after["Contents"]] == KEYS[2:]
    top = s3.list_objects(Bucket="data", Delimiter="/", MaxKeys=2)
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "b/"] and top["NextMarker"] == "b/"
    rest = s3.list_objects(Bucket="data", Delimiter="/", Marker=top["NextMarker"])
    assert [o["Key"] for o in rest["Contents"]] == ["c d.txt", "é.txt"]
    pages = s3.get_paginator("list_objects").paginate(Bucket="data", Delimiter="/", PaginationConfig={"PageSize": 1})
    shown = [(o.get("Key") or o.get("Prefix")) for page in pages for o in page.get("Contents", []) + page.get(
        "CommonPrefixes", [])]
    assert shown == ["a/", "b/", "c d.txt", "é.txt"]
    # botocore asks for url encoding on its own and decodes it; asked for explicitly, the keys stay encoded
    encoded = s3.list_objects(Bucket="data", Prefix="c", EncodingType="url")
    assert encoded["EncodingType"] == "url" and [unquote_plus(o["Key"]) for o in encoded["Contents"]] == ["c d.txt"]


def test_delete_objects_quiet_and_per_key_errors(s3):
    too_long = "k" * 1025
    result = s3.delete_objects(Bucket="data", Delete={"Objects": [{"Key": "a/1.csv"}, {"Key": too_long},
                                                                  {"Key": "never-was"}]})
    assert sorted(d["Key"] for d in result["Deleted"]) == ["a/1.csv", "never-was"]
    assert [(e["Key"], e["Code"]) for e in result["Errors"]] == [(too_long, "KeyTooLongError")]
    quiet = s3.delete_objects(Bucket="data", Delete={"Objects": [{"Key": "a/2.csv"}], "Quiet": True})
    assert "Deleted" not in quiet and "Errors" not in quiet
    assert [o["Key"] for o in s3.list_objects(Bucket="data")["Contents"]] == KEYS[2:]


def test_head_bucket_and_location(s3):
    assert s3.head_bucket(Bucket="data")["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    assert s3.get_bucket_location(Bucket="data")["LocationConstraint"] is None  # us-east-1, as AWS answers it
    with pytest.raises(ClientError) as missing:
        s3.get_bucket_location(Bucket="absent")
    assert missing.value.response["Error"]["Code"] == "NoSuchBucket"
