"""InvokeEndpoint through boto3: the built-in XGBoost contract, AWS's error shapes, data capture records."""
import json

import numpy as np
import pytest
from botocore.exceptions import ClientError

from sagelocal.monitor.capture import capture_files, read_capture_file
from sagelocal.storage import LocalS3
from hosting.deploy import CAPTURE_URI, csv_row, deploy, feature_rows, train_booster


def _capture(server, endpoint):
    root = LocalS3(server.settings.s3_root).path(CAPTURE_URI) / endpoint
    return [record.raw for path in capture_files(root) for record in read_capture_file(path)]


def test_single_and_many_rows_score_like_the_builtin_container(local_server):
    booster = train_booster()
    env = deploy(local_server, booster=booster)
    rows = feature_rows(5)
    expected = booster.inplace_predict(rows.astype(np.float32))
    one = env["runtime"].invoke_endpoint(EndpointName=env["endpoint"], ContentType="text/csv",
                                         Body=csv_row(rows[0]))
    assert one["ContentType"] == "text/csv; charset=utf-8"
    assert one["InvokedProductionVariant"] == "AllTraffic"
    assert float(one["Body"].read()) == pytest.approx(float(expected[0]), abs=1e-7)
    many = env["runtime"].invoke_endpoint(EndpointName=env["endpoint"], ContentType="text/csv",
                                          Body="\n".join(csv_row(r) for r in rows) + "\n")
    values = [float(v) for v in many["Body"].read().decode().splitlines()]  # one prediction per line (1.7-1)
    assert values == pytest.approx([float(v) for v in expected], abs=1e-7)


def test_capture_record_has_aws_format_and_layout(local_server):
    env = deploy(local_server)
    body = csv_row(feature_rows(1)[0])
    answer = env["runtime"].invoke_endpoint(EndpointName=env["endpoint"], ContentType="text/csv", Body=body,
                                            InferenceId="req-0001", CustomAttributes="trace=abc")
    output = answer["Body"].read().decode()
    root = LocalS3(local_server.settings.s3_root).path(CAPTURE_URI)
    files = capture_files(root)
    assert len(files) == 1
    relative = files[0].relative_to(root).parts
    assert relative[:2] == (env["endpoint"], "AllTraffic") and len(relative) == 7
    assert len(relative[2]) == 4 and all(len(p) == 2 for p in relative[3:6])
    minute, second, millis, *rest = relative[6].removesuffix(".jsonl").split("-")
    assert len(minute) == 2 and len(second) == 2 and len(millis) == 3 and len(rest) == 5
    line = files[0].read_text()
    assert line.startswith('{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT",')
    record = json.loads(line)
    assert list(record) == ["captureData", "eventMetadata", "eventVersion"]
    assert record["captureData"]["endpointInput"] == {"observedContentType": "text/csv", "mode": "INPUT",
                                                      "data": body, "encoding": "CSV"}
    assert record["captureData"]["endpointOutput"] == {"observedContentType": "text/csv; charset=utf-8",
                                                       "mode": "OUTPUT", "data": output, "encoding": "CSV"}
    metadata = record["eventMetadata"]
    assert list(metadata) == ["eventId", "inferenceId", "inferenceTime", "customAttributes"]
    assert metadata["inferenceId"] == "req-0001" and metadata["customAttributes"] == "trace=abc"
    assert len(metadata["inferenceTime"]) == 20 and metadata["inferenceTime"].endswith("Z")
    assert record["eventVersion"] == "0"


def test_capture_follows_modes_sampling_and_content_types(local_server):
    capture = {"EnableCapture": True, "InitialSamplingPercentage": 100, "DestinationS3Uri": CAPTURE_URI,
               "CaptureOptions": [{"CaptureMode": "Output"}]}  # no content-type header: base64, as on AWS
    env = deploy(local_server, name="out-only", capture=capture)
    env["runtime"].invoke_endpoint(EndpointName="out-only", ContentType="text/csv", Body=csv_row(feature_rows(1)[0]))
    (record,) = _capture(local_server, "out-only")
    assert list(record["captureData"]) == ["endpointOutput"]
    assert record["captureData"]["endpointOutput"]["encoding"] == "BASE64"
    assert "inferenceId" not in record["eventMetadata"]

    sm = env["sm"]
    sm.create_endpoint_config(EndpointConfigName="unsampled", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "out-only-model", "InitialInstanceCount": 1}],
        DataCaptureConfig=capture | {"InitialSamplingPercentage": 0})
    sm.create_endpoint(EndpointName="never", EndpointConfigName="unsampled")
    sm.get_waiter("endpoint_in_service").wait(EndpointName="never", WaiterConfig={"Delay": 0.2})
    for _ in range(20):
        env["runtime"].invoke_endpoint(EndpointName="never", ContentType="text/csv",
                                       Body=csv_row(feature_rows(1)[0]))
    assert _capture(local_server, "never") == []


@pytest.mark.parametrize("body, status, fragment", [
    ("1,2,abc" + ",0" * 27, 415, "Loading csv data failed"),
    # a 1.7-1 model is in XGBoost's own format: the container checks no feature count, XGBoost refuses more columns
    ("1" + ",2" * 31, 400, "Unable to evaluate payload provided: "),
])
def test_model_errors_have_aws_shape_and_server_keeps_serving(local_server, body, status, fragment):
    env = deploy(local_server)
    runtime = env["runtime"]
    with pytest.raises(runtime.exceptions.ModelError) as raised:
        runtime.invoke_endpoint(EndpointName=env["endpoint"], ContentType="text/csv", Body=body)
    response = raised.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert response["OriginalStatusCode"] == status
    assert fragment in response["OriginalMessage"] and fragment in response["Error"]["Message"]
    assert response["Error"]["Message"].startswith(f"Received {'client'} error ({status}) from primary")
    ok = runtime.invoke_endpoint(EndpointName=env["endpoint"], ContentType="text/csv", Body=csv_row(feature_rows(1)[0]))
    assert 0 <= float(ok["Body"].read()) <= 1
    assert _capture(local_server, env["endpoint"]).__len__() == 1  # failed requests are not captured


def test_unknown_endpoint_and_oversized_payload(local_server):
    env = deploy(local_server)
    runtime = env["runtime"]
    with pytest.raises(runtime.exceptions.ValidationError, match="Endpoint nope of account 000000000000 not found"):
        runtime.invoke_endpoint(EndpointName="nope", ContentType="text/csv", Body="1,2")
    big = ("0," * 3_200_000).encode()  # 6.4 MB
    with pytest.raises(ClientError) as raised:
        runtime.invoke_endpoint(EndpointName=env["endpoint"], ContentType="text/csv", Body=big)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert "HTTP content length exceeded 6291456 bytes" in str(raised.value)
    ok = runtime.invoke_endpoint(EndpointName=env["endpoint"], ContentType="text/csv", Body=csv_row(feature_rows(1)[0]))
    assert ok["Body"].read()


def test_unsigned_invocation_is_refused(local_server):
    import httpx

    deploy(local_server)
    response = httpx.post(local_server.url + "/endpoints/bc-endpoint/invocations", content=b"1,2",
                          headers={"content-type": "text/csv"})
    assert response.status_code == 403
    assert response.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
