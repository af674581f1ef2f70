"""CreateTransformJob, DescribeTransformJob, ListTransformJobs, StopTransformJob on the real server, with boto3."""
from __future__ import annotations

import json
import time

import botocore.session
import pytest
from botocore.exceptions import ClientError

from transform.model import IMAGE, MODEL_URI, ROLE, step_archive

RESOURCES = {"InstanceType": "ml.m5.large", "InstanceCount": 1}


@pytest.fixture
def sm(local_server):
    s3 = local_server.client("s3")
    for bucket in ("models", "batch-in", "batch-out"):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket="models", Key=MODEL_URI.split("/", 3)[3], Body=step_archive())
    s3.put_object(Bucket="batch-in", Key="rows/part-1.csv", Body=b"a,0.2,9\nb,1.5,9\n")
    client = local_server.client("sagemaker")
    client.create_model(ModelName="step-model", PrimaryContainer={"Image": IMAGE, "ModelDataUrl": MODEL_URI},
                        ExecutionRoleArn=ROLE)
    client.s3 = s3
    return client


def job(name: str, **fields) -> dict:
    return {"TransformJobName": name, "ModelName": "step-model",
            "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                               "S3Uri": "s3://batch-in/rows"}},
                               "ContentType": "text/csv", "SplitType": "Line"},
            "TransformOutput": {"S3OutputPath": f"s3://batch-out/{name}", "AssembleWith": "Line",
                                "Accept": "text/csv"},
            "TransformResources": RESOURCES, **fields}


def wait(sm, name: str, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while (described := sm.describe_transform_job(TransformJobName=name))["TransformJobStatus"] in (
            "InProgress", "Stopping"):
        assert time.monotonic() < deadline, f"{name} still {described['TransformJobStatus']}"
        time.sleep(0.1)
    return described


def test_create_describe_list(sm, local_server):
    request = job("joined", BatchStrategy="MultiRecord", MaxPayloadInMB=6,
                  DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"},
                  DataCaptureConfig={"DestinationS3Uri": "s3://batch-out/capture"}, Tags=[{"Key": "k", "Value": "v"}])
    arn = sm.create_transform_job(**request)["TransformJobArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:000000000000:transform-job/joined"
    described = wait(sm, "joined")
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    # The request comes back as given (its Tags apart), with AWS's fields and times.
    for key, value in request.items():
        if key != "Tags":
            assert described[key] == value, key
    assert described["TransformJobArn"] == arn
    assert described["CreationTime"] <= described["TransformStartTime"] <= described["TransformEndTime"]
    body = sm.s3.get_object(Bucket="batch-out", Key="joined/part-1.csv.out")["Body"].read()
    assert body == b"a,1.0\nb,3.0\n"
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]

    sm.create_transform_job(**job("plain", DataProcessing={"InputFilter": "$[1:]"}))
    assert wait(sm, "plain")["TransformJobStatus"] == "Completed"
    assert sm.s3.get_object(Bucket="batch-out", Key="plain/part-1.csv.out")["Body"].read() == b"1.0\n3.0\n"
    summaries = sm.list_transform_jobs(SortBy="Name", SortOrder="Ascending")["TransformJobSummaries"]
    assert [s["TransformJobName"] for s in summaries] == ["joined", "plain"]
    assert set(summaries[0]) == {"TransformJobName", "TransformJobArn", "CreationTime", "TransformEndTime",
                                 "LastModifiedTime", "TransformJobStatus"}
    assert sm.list_transform_jobs(NameContains="pla")["TransformJobSummaries"][0]["TransformJobName"] == "plain"
    assert sm.list_transform_jobs(StatusEquals="Failed")["TransformJobSummaries"] == []


def test_describe_answers_only_fields_of_botocore_shape(sm, local_server):
    """The raw JSON, not what boto3 parsed: a field botocore does not know would be dropped silently."""
    sm.create_transform_job(**job("raw", DataProcessing={"InputFilter": "$[1:]"}))
    wait(sm, "raw")
    raw = {}
    sm.meta.events.register("after-call.sagemaker.DescribeTransformJob",
                            lambda http_response, **_: raw.update(json.loads(http_response.text)))
    sm.describe_transform_job(TransformJobName="raw")
    model = botocore.session.get_session().get_service_model("sagemaker")
    assert set(raw) <= set(model.shape_for("DescribeTransformJobResponse").members)


def test_failed_job_reports_the_reason(sm):
    sm.create_transform_job(**job("bad-filter", DataProcessing={"InputFilter": "$[7]"}))
    described = wait(sm, "bad-filter")
    assert described["TransformJobStatus"] == "Failed"
    assert described["FailureReason"].startswith("ClientError: s3://batch-in/rows/part-1.csv: InputFilter: "
                                                 "JSONPath '$[7]': index 7 is outside the record's 3 elements")
    assert "Contents" not in sm.s3.list_objects_v2(Bucket="batch-out", Prefix="bad-filter/")


def test_refused_requests(sm):
    with pytest.raises(ClientError) as missing:
        sm.create_transform_job(**job("no-model") | {"ModelName": "nope"})
    assert missing.value.response["Error"]["Code"] == "ValidationException"
    assert 'Could not find model "arn:aws:sagemaker:us-east-1:000000000000:model/nope"' in str(missing.value)
    sm.create_transform_job(**job("twice"))
    with pytest.raises(ClientError, match="a job with this name already exists"):
        sm.create_transform_job(**job("twice"))
    with pytest.raises(ClientError) as unknown:
        sm.describe_transform_job(TransformJobName="never")
    assert unknown.value.response["Error"]["Code"] == "ValidationException"
    wait(sm, "twice")
    with pytest.raises(ClientError, match="only an InProgress job can be stopped"):
        sm.stop_transform_job(TransformJobName="twice")


def test_stop_transform_job(sm):
    rows = b"".join(b"%d.5,1\n" % (i % 2) for i in range(200_000))  # one request per record: long enough to stop
    sm.s3.put_object(Bucket="batch-in", Key="many/rows.csv", Body=rows)
    request = job("stopped", BatchStrategy="SingleRecord")
    request["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] = "s3://batch-in/many"
    sm.create_transform_job(**request)
    sm.stop_transform_job(TransformJobName="stopped")
    assert wait(sm, "stopped")["TransformJobStatus"] == "Stopped"
    assert "Contents" not in sm.s3.list_objects_v2(Bucket="batch-out", Prefix="stopped/")
