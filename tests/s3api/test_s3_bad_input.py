"""Keys and requests local S3 cannot serve get S3's 4xx answers, never a 500, and never reach outside the root."""
import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sagelocal.credentials import client_kwargs


@pytest.fixture
def s3(local_server):
    client = boto3.client("s3", config=Config(retries={"max_attempts": 1}),
                          **client_kwargs(local_server.settings, local_server.url))
    client.create_bucket(Bucket="data")
    return client


def _error(raised) -> tuple[int, str]:
    return raised.value.response["ResponseMetadata"]["HTTPStatusCode"], raised.value.response["Error"]["Code"]


def test_a_nul_in_a_key_is_refused(s3):
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket="data", Key="a\x00b", Body=b"v")
    assert _error(refused) == (400, "InvalidArgument")


def test_a_key_over_1024_bytes_is_too_long_as_on_s3(s3):
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket="data", Key="/".join(["k" * 200] * 6), Body=b"v")
    assert _error(refused) == (400, "KeyTooLongError")


@pytest.mark.parametrize("prefix", ["/etc/", "../", "a/../../", "nul\x00/"])
def test_a_prefix_no_key_can_have_lists_nothing(s3, prefix):
    s3.put_object(Bucket="data", Key="a/b", Body=b"v")
    listing = s3.list_objects_v2(Bucket="data", Prefix=prefix)
    assert listing["KeyCount"] == 0 and "Contents" not in listing


def test_a_body_refused_before_it_was_sent_leaves_the_next_request_intact(s3):
    # botocore sends "Expect: 100-continue" and withholds the body when refused first: the connection is closed,
    # so the next request on it is not read as that body's bytes (this once garbled its method).
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.put_object(Bucket="absent", Key="k", Body=b"x")
    s3.put_object(Bucket="data", Key="k", Body=b"y")
    assert s3.get_object(Bucket="data", Key="k")["Body"].read() == b"y"
