"""The XGBoost container's single-model server, per image version, through boto3's sagemaker-runtime against the
local server: one prediction per line, Accept negotiation, libsvm and RecordIO-protobuf requests, the empty body,
the feature-count check of pickled models; and a multi-row request's capture read back by the monitor row by row."""
from __future__ import annotations

import io
import json
import pickle
import tarfile

import numpy as np
import pytest
from botocore.exceptions import ClientError

from hosting.deploy import CAPTURE_URI, FEATURES, csv_row, feature_rows, train_booster
from sagelocal.monitor.capture import capture_files
from sagelocal.jobs.xgb_container.recordio import write_record
from sagelocal.monitor.capture import capture_rows, read_capture_file
from sagelocal.storage import LocalS3

REGISTRY = "683313688378.dkr.ecr.us-east-1.amazonaws.com"


def archive(raw: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


def deploy_version(server, version: str, booster, name: str) -> dict:
    """Deploy ``booster`` on the sagemaker-xgboost image of ``version``, saved as that version's training wrote it."""
    raw = pickle.dumps(booster) if version in ("0.90-2", "1.0-1", "1.2-2") else bytes(booster.save_raw("ubj"))
    s3 = server.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key=f"{name}/model.tar.gz", Body=archive(raw))
    sm = server.client("sagemaker")
    sm.create_model(ModelName=name, ExecutionRoleArn="arn:aws:iam::000000000000:role/sagemaker",
                    PrimaryContainer={"Image": f"{REGISTRY}/sagemaker-xgboost:{version}",
                                      "ModelDataUrl": f"s3://models/{name}/model.tar.gz"})
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}],
        DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 100, "DestinationS3Uri": CAPTURE_URI,
                           "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
                           "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]}})
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    return {"runtime": server.client("sagemaker-runtime"), "endpoint": name}


@pytest.fixture(scope="module")
def booster():
    return train_booster()


def invoke(env, body, content_type="text/csv", **extra):
    answer = env["runtime"].invoke_endpoint(EndpointName=env["endpoint"], ContentType=content_type, Body=body, **extra)
    return answer["ContentType"], answer["Body"].read().decode()


def test_a_multi_row_request_is_monitored_row_for_row(local_server, booster):
    env = deploy_version(local_server, "1.7-1", booster, "rows")
    rows = feature_rows(2)
    _, answer = invoke(env, "\n".join(csv_row(r) for r in rows))
    assert answer.splitlines() == [str(v) for v in booster.inplace_predict(rows.astype(np.float32)).tolist()]
    root = LocalS3(local_server.settings.s3_root).path(CAPTURE_URI) / "rows"
    records = [record for path in capture_files(root) for record in read_capture_file(path)]
    table = capture_rows(records)  # what the monitoring execution reads
    assert len(table) == 2 and all(len(row) == 1 + FEATURES for row in table)
    assert [float(row[0]) for row in table] == pytest.approx(booster.inplace_predict(rows.astype(np.float32)))


@pytest.mark.parametrize("accept,content_type,decode", [
    ("text/csv", "text/csv; charset=utf-8", lambda text: [float(v) for v in text.splitlines()]),
    ("application/json", "application/json",
     lambda text: [p["score"] for p in json.loads(text)["predictions"]]),
    ("application/jsonlines", "application/jsonlines",
     lambda text: [json.loads(line)["score"] for line in text.splitlines()]),
])
def test_accept_picks_the_response_format_from_1_2(local_server, booster, accept, content_type, decode):
    env = deploy_version(local_server, "1.2-2", booster, f"accept-{accept.split('/')[1]}")
    rows = feature_rows(3)
    answered_type, text = invoke(env, "\n".join(csv_row(r) for r in rows), Accept=accept)
    assert answered_type == content_type
    assert decode(text) == pytest.approx(booster.inplace_predict(rows.astype(np.float32)).tolist())


def test_an_accept_the_container_cannot_write_is_its_406(local_server, booster):
    env = deploy_version(local_server, "3.0-5", booster, "accept-406")
    with pytest.raises(ClientError) as failed:
        invoke(env, csv_row(feature_rows(1)[0]), Accept="text/html")
    error = failed.value.response
    assert error["Error"]["Code"] == "ModelError" and error["OriginalStatusCode"] == 406
    assert error["OriginalMessage"] == ("Accept type text/html is not supported. Please use supported accept types: "
                                        "['application/json', 'application/jsonlines', "
                                        "'application/x-recordio-protobuf', 'text/csv'].")


def test_up_to_1_0_the_answer_is_one_csv_line_whatever_the_accept(local_server, booster):
    env = deploy_version(local_server, "1.0-1", booster, "old-csv")
    rows = feature_rows(2)
    answered_type, text = invoke(env, "\n".join(csv_row(r) for r in rows), Accept="application/json")
    assert answered_type == "text/csv; charset=utf-8"
    assert [float(v) for v in text.split(",")] == pytest.approx(booster.inplace_predict(rows.astype(np.float32)))
    # ...and the monitor still reads that capture row by row.
    root = LocalS3(local_server.settings.s3_root).path(CAPTURE_URI) / "old-csv"
    table = capture_rows([r for path in capture_files(root) for r in read_capture_file(path)])
    assert [len(row) for row in table] == [1 + FEATURES, 1 + FEATURES]


def test_libsvm_and_recordio_protobuf_requests(local_server, booster):
    env = deploy_version(local_server, "1.7-1", booster, "formats")
    rows = feature_rows(2)
    expected = booster.inplace_predict(rows.astype(np.float32)).tolist()
    libsvm = "\n".join("0 " + " ".join(f"{i}:{v}" for i, v in enumerate(row)) for row in rows)
    _, text = invoke(env, libsvm, content_type="text/libsvm")
    assert [float(v) for v in text.splitlines()] == pytest.approx(expected, abs=1e-6)
    recordio = b"".join(write_record(row) for row in rows)
    _, text = invoke(env, recordio, content_type="application/x-recordio-protobuf")
    assert [float(v) for v in text.splitlines()] == pytest.approx(expected, abs=1e-6)


def test_an_unsupported_content_type_is_the_container_s_415(local_server, booster):
    env = deploy_version(local_server, "1.7-1", booster, "ctype-415")
    with pytest.raises(ClientError) as failed:
        invoke(env, b"{}", content_type="application/json")
    assert failed.value.response["OriginalStatusCode"] == 415
    assert failed.value.response["OriginalMessage"].startswith("application/json is not an accepted ContentType")


@pytest.mark.parametrize("version,width,fragment", [
    # pickled models (up to 1.2) are checked by the container: the model's count, or one fewer
    ("1.0-1", 3, "Feature size of csv inference data 3 is not consistent with feature size of trained model 30."),
    # XGBoost's own format (1.3 on) is not: XGBoost itself refuses the payload
    ("1.7-1", 32, "Unable to evaluate payload provided: "),
])
def test_the_feature_count_check_of_each_version(local_server, booster, version, width, fragment):
    env = deploy_version(local_server, version, booster, f"width-{version.replace('.', '-')}")
    with pytest.raises(ClientError) as failed:
        invoke(env, ",".join(["1"] * width))
    assert failed.value.response["OriginalStatusCode"] == 400
    assert fragment in failed.value.response["OriginalMessage"]
    row = feature_rows(1)[0]
    _, text = invoke(env, csv_row(row[:-1]))  # one column fewer than the model: the last one missing
    padded = np.append(row[:-1], np.nan).astype(np.float32)[None, :]
    assert float(text) == pytest.approx(float(booster.inplace_predict(padded)[0]), abs=1e-6)


def test_an_empty_body_is_the_container_s_204_behind_aws_s_own_check(local_server, booster):
    # The container answers an empty body with 204 (what a batch transform of an empty record meets)...
    from sagelocal.jobs.serving import XGBoostServer

    reply = XGBoostServer(booster, "1.7-1").invoke("text/csv", b"")
    assert (reply.status, reply.body) == (204, b"")
    # ...but InvokeEndpoint never hands it one: AWS's model requires the body.
    env = deploy_version(local_server, "1.7-1", booster, "empty")
    with pytest.raises(ClientError, match="Value at 'body' failed to satisfy constraint: Member must not be null"):
        env["runtime"].invoke_endpoint(EndpointName="empty", ContentType="text/csv", Body=b"")
