"""Batch transform jobs against expectations worked out by hand: the model answers 1.0 when the first feature is
below 1 and 3.0 otherwise (tests/transform/model.py), so every output below is written out literally."""
from __future__ import annotations

import gzip
import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from sagelocal.config import Settings
from sagelocal.hosting import HostingBackend
from sagelocal.jobs.batch_capture import captured_objects
from sagelocal.jobs.container import JobFailed
from sagelocal.jobs.dataprocessing import DataProcessing
from sagelocal.jobs.store import JobStore
from sagelocal.jobs.transform import run_transform_job
from sagelocal.registry import RegistryBackend
from sagelocal.storage.s3 import LocalS3
from transform.model import IMAGE, MODEL_URI, ROLE, step_archive

ROWS = b"0.2,9\n1.5,9\n"
ID_ROWS = b"a,0.2,9\nb,1.5,9\n"


@pytest.fixture
def home(tmp_path):
    settings = Settings(home=tmp_path / "home")
    s3 = LocalS3(settings.s3_root)
    s3.write_bytes(MODEL_URI, step_archive())
    HostingBackend(settings, RegistryBackend(settings)).create_model(
        {"ModelName": "step-model", "PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": MODEL_URI},
         "ExecutionRoleArn": ROLE})
    return settings, s3


def request(input_uri="s3://input/batch", output_uri="s3://output/batch", **fields) -> dict:
    transform_input = {"DataSource": {"S3DataSource": {"S3DataType": fields.pop("data_type", "S3Prefix"),
                                                       "S3Uri": input_uri}},
                       "ContentType": "text/csv", "SplitType": fields.pop("split", "Line"),
                       **({"CompressionType": fields.pop("compression")} if "compression" in fields else {})}
    output = {"S3OutputPath": output_uri, "AssembleWith": fields.pop("assemble", "Line"),
              **({"Accept": fields.pop("accept")} if "accept" in fields else {})}
    return {"ModelName": "step-model", "TransformInput": transform_input, "TransformOutput": output,
            "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}, **fields}


def run(home, data: bytes, name="job-1", key="s3://input/batch/rows.csv", **fields) -> bytes:
    settings, s3 = home
    s3.write_bytes(key, data)
    description = run_transform_job(settings, name, request(**fields))
    assert description["TransformJobStatus"] == "Completed"
    return s3.read_bytes("s3://output/batch/rows.csv.out")


@pytest.mark.parametrize("fields,expected", [
    ({}, b"1.0\n3.0\n"),
    ({"assemble": "None"}, b"1.0\n3.0"),  # the container's batch answer as it is: no newline after the last
    ({"BatchStrategy": "SingleRecord", "assemble": "None"}, b"1.03.0"),  # two answers back to back
    ({"BatchStrategy": "SingleRecord"}, b"1.0\n3.0\n"),
    ({"split": "None"}, b"1.0\n3.0\n"),  # the whole object in one request
    ({"accept": "text/csv"}, b"1.0\n3.0\n"),
])
def test_split_strategy_and_assembly(home, fields, expected):
    assert run(home, ROWS, **fields) == expected


@pytest.mark.parametrize("processing,expected", [
    ({"InputFilter": "$[1:]"}, b"1.0\n3.0\n"),  # the id column is not sent to the model
    ({"InputFilter": "$[1:]", "JoinSource": "Input"}, b"a,0.2,9,1.0\nb,1.5,9,3.0\n"),  # the whole input, joined
    ({"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"}, b"a,1.0\nb,3.0\n"),
    ({"InputFilter": "$[1,2]", "JoinSource": "Input", "OutputFilter": "$[0:2]"}, b"a,0.2\nb,1.5\n"),
    ({"InputFilter": "$[-2:]", "JoinSource": "Input", "OutputFilter": "$[3]"}, b"1.0\n3.0\n"),
])
def test_data_processing_on_csv(home, processing, expected):
    assert run(home, ID_ROWS, DataProcessing=processing) == expected


def test_join_on_the_whole_object_without_split(home):
    """SplitType None: the object is one record; the model's one line is joined to it."""
    assert run(home, b"a,1.5,0", split="None", DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input"}) \
        == b"a,1.5,0,3.0\n"


@pytest.mark.parametrize("processing,record,prediction,expected", [
    ({"JoinSource": "Input"}, b'{"id":"a","features":[0.2,9]}', b'{"score":1.0}',
     b'{"id":"a","features":[0.2,9],"SageMakerOutput":{"score":1.0}}'),
    ({"JoinSource": "Input", "OutputFilter": "$['id','SageMakerOutput']"}, b'{"id":"a","x":1}', b'{"score":3.0}',
     b'{"id":"a","SageMakerOutput":{"score":3.0}}'),
    ({"JoinSource": "Input", "OutputFilter": "$.SageMakerOutput.score"}, b'{"id":"a"}', b'{"score":3.0}', b"3.0"),
    ({"JoinSource": "Input"}, b'[1,2]', b'{"score":3.0}', b'[1,2,{"score":3.0}]'),
])
def test_data_processing_on_json_records(processing, record, prediction, expected):
    steps = DataProcessing.from_request({"DataProcessing": processing}, "application/jsonlines", "application/json")
    assert steps.written(record, prediction, None) == expected


def test_input_filter_on_json_records():
    steps = DataProcessing.from_request({"DataProcessing": {"InputFilter": "$.features"}}, "application/jsonlines",
                                        None)
    assert steps.model_input(b'{"id":"a","features":[0.2,9]}') == b"[0.2,9]"


@pytest.mark.parametrize("processing,reason", [
    ({"InputFilter": "$[5]"}, "InputFilter: JSONPath '$[5]': index 5 is outside the record's 3 elements"),
    ({"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,9]"},
     "OutputFilter: JSONPath '$[0,9]': index 9 is outside the record's 4 elements"),
    ({"InputFilter": "$..x"}, "unsupported expression at '..x'"),
    ({"InputFilter": "$[1:][0]"}, "nothing may follow a selection of several children"),
])
def test_bad_filters_fail_the_job_with_the_reason(home, processing, reason):
    with pytest.raises(JobFailed, match=re.escape(reason)):
        run(home, ID_ROWS, DataProcessing=processing)
    assert not home[1].exists("s3://output/batch/rows.csv.out")  # nothing partial is uploaded


def test_output_keys_follow_the_input_keys_below_the_prefix(home):
    settings, s3 = home
    for key in ("input/batch/a.csv", "input/batch/sub/b.csv", "input/batchy/c.csv", "input/other/d.csv"):
        s3.write_bytes(f"s3://{key}", ROWS)
    run_transform_job(settings, "folder-prefix", request("s3://input/batch", "s3://output/folder"))
    run_transform_job(settings, "one-object", request("s3://input/batch/sub/b.csv", "s3://output/single"))
    run_transform_job(settings, "key-prefix", request("s3://input/bat", "s3://output/keys"))
    assert s3.list("s3://output/folder") == ["s3://output/folder/a.csv.out", "s3://output/folder/sub/b.csv.out"]
    assert s3.list("s3://output/single") == ["s3://output/single/b.csv.out"]
    # A prefix that ends inside a name takes every key starting with it, kept below the prefix's folder.
    assert s3.list("s3://output/keys") == ["s3://output/keys/batch/a.csv.out", "s3://output/keys/batch/sub/b.csv.out",
                                        "s3://output/keys/batchy/c.csv.out"]


def test_manifest_file_input(home):
    settings, s3 = home
    s3.write_bytes("s3://input/m/x/one.csv", ROWS)
    s3.write_bytes("s3://input/m/two.csv", b"1.5,0\n")
    s3.write_bytes("s3://input/list.manifest", json.dumps([{"prefix": "s3://input/m/"}, "x/one.csv", "two.csv"]).encode())
    run_transform_job(settings, "manifest", request("s3://input/list.manifest", data_type="ManifestFile"))
    assert s3.read_bytes("s3://output/batch/x/one.csv.out") == b"1.0\n3.0\n"
    assert s3.read_bytes("s3://output/batch/two.csv.out") == b"3.0\n"


def test_gzip_input(home):
    assert run(home, gzip.compress(ROWS), compression="Gzip") == b"1.0\n3.0\n"


def test_max_payload_cuts_requests_at_whole_records(home):
    settings, s3 = home
    rows = b"".join(b"%d.5,%s\n" % (i % 2, b"7" * 1000) for i in range(3000))  # ~3 MB, 1-MB requests
    s3.write_bytes("s3://input/big/rows.csv", rows)
    run_transform_job(settings, "big", request("s3://input/big", "s3://output/big", MaxPayloadInMB=1))
    assert s3.read_bytes("s3://output/big/rows.csv.out") == b"1.0\n3.0\n" * 1500
    s3.write_bytes("s3://input/huge/rows.csv", b"0.5," + b"7" * (1024 * 1024) + b"\n")
    with pytest.raises(JobFailed, match=r"ClientError: a record is larger than MaxPayloadInMB \(1 MB\)"):
        run_transform_job(settings, "huge", request("s3://input/huge", "s3://output/huge", MaxPayloadInMB=1))
    assert JobStore(settings).describe("Transform", "huge")["TransformJobStatus"] == "Failed"


def test_batch_data_capture_manifests_and_inference_ids(home):
    settings, s3 = home
    s3.write_bytes("s3://input/batch/rows.csv", ROWS)
    run_transform_job(settings, "captured", request(DataCaptureConfig={
        "DestinationS3Uri": "s3://capture/batch", "GenerateInferenceId": True}))
    lines = s3.read_bytes("s3://output/batch/rows.csv.out").decode().splitlines()
    for line, prediction in zip(lines, ("1.0", "3.0")):
        value, inference_id, inference_time = line.split(",")
        assert value == prediction and re.fullmatch(r"[0-9a-f-]{36}", inference_id)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", inference_time)
    manifests = s3.list("s3://capture/batch")
    assert [re.sub(r"/\d{4}/\d\d/\d\d/\d\d/[0-9a-f-]{36}\.json$", "/<hour>/<id>.json", m) for m in manifests] == [
        "s3://capture/batch/input/<hour>/<id>.json", "s3://capture/batch/output/<hour>/<id>.json"]
    assert json.loads(s3.read_bytes(manifests[0])) == [{"prefix": "s3://input/batch/"}, "rows.csv"]
    assert json.loads(s3.read_bytes(manifests[1])) == [{"prefix": "s3://output/batch/"}, "rows.csv.out"]
    now = datetime.now(timezone.utc)
    assert captured_objects(s3, "s3://capture/batch", "output", now - timedelta(hours=1), now + timedelta(hours=1)) \
        == ["s3://output/batch/rows.csv.out"]


def test_unknown_model_and_unsupported_split_fail_with_reasons(home):
    settings, s3 = home
    s3.write_bytes("s3://input/batch/rows.csv", ROWS)
    with pytest.raises(JobFailed, match=r'ClientError: Could not find model "arn:aws:sagemaker:.*:model/nope"'):
        run_transform_job(settings, "no-model", request() | {"ModelName": "nope"})
    with pytest.raises(JobFailed, match="SplitType RecordIO is not supported offline"):
        run_transform_job(settings, "recordio", request(split="RecordIO"))
