"""Models, endpoint configs and endpoints through boto3: shapes, updates, AWS's errors."""
import threading

import pytest
from botocore.exceptions import ClientError, WaiterError

from hosting.deploy import CAPTURE_URI, MODEL_URI, csv_row, deploy, feature_rows


def _error(raised):
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def test_describe_shapes_and_capture_summary(local_server):
    env = deploy(local_server)
    sm = env["sm"]
    endpoint = sm.describe_endpoint(EndpointName="bc-endpoint")
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointArn"] == "arn:aws:sagemaker:us-east-1:000000000000:endpoint/bc-endpoint"
    assert endpoint["DataCaptureConfig"] == {"EnableCapture": True, "CaptureStatus": "Started",
                                             "CurrentSamplingPercentage": 100, "DestinationS3Uri": CAPTURE_URI}
    assert endpoint["ProductionVariants"][0]["VariantName"] == "AllTraffic"
    model = sm.describe_model(ModelName="bc-endpoint-model")
    assert model["PrimaryContainer"] == {"ModelPackageName": env["package"]}
    config = sm.describe_endpoint_config(EndpointConfigName="bc-endpoint-config")
    assert config["DataCaptureConfig"]["DestinationS3Uri"] == CAPTURE_URI
    assert [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]] == ["bc-endpoint"]


def test_missing_resources_are_validation_exceptions_as_on_aws(local_server):
    sm = local_server.client("sagemaker")
    for call, kwargs, message in (
        (sm.describe_endpoint, {"EndpointName": "nope"}, 'Could not find endpoint "arn:aws:sagemaker:us-east-1:'
                                                         '000000000000:endpoint/nope".'),
        (sm.delete_endpoint, {"EndpointName": "nope"}, "Could not find endpoint"),
        (sm.describe_model, {"ModelName": "nope"}, "Could not find model"),
        (sm.describe_endpoint_config, {"EndpointConfigName": "nope"}, "Could not find endpoint configuration"),
        (sm.create_endpoint, {"EndpointName": "e", "EndpointConfigName": "nope"},
         "Could not find endpoint configuration"),
    ):
        with pytest.raises(ClientError) as raised:
            call(**kwargs)
        code, text = _error(raised)
        assert code == "ValidationException" and message in text


def test_duplicates_and_models_without_artifacts_are_refused(local_server):
    env = deploy(local_server)
    sm = env["sm"]
    with pytest.raises(ClientError) as raised:
        sm.create_endpoint(EndpointName="bc-endpoint", EndpointConfigName="bc-endpoint-config")
    assert _error(raised) == ("ValidationException", 'Cannot create already existing endpoint '
                              '"arn:aws:sagemaker:us-east-1:000000000000:endpoint/bc-endpoint".')
    with pytest.raises(ClientError) as raised:
        sm.create_model(ModelName="no-artifact", PrimaryContainer={"Image": "xgb:1"})
    assert "ModelDataUrl" in _error(raised)[1]


def test_update_endpoint_switches_config_and_keeps_serving(local_server):
    env = deploy(local_server)
    sm, runtime = env["sm"], env["runtime"]
    sm.create_endpoint_config(EndpointConfigName="no-capture", ProductionVariants=[
        {"VariantName": "Blue", "ModelName": "bc-endpoint-model", "InitialInstanceCount": 1}])
    sm.update_endpoint(EndpointName="bc-endpoint", EndpointConfigName="no-capture")
    sm.get_waiter("endpoint_in_service").wait(EndpointName="bc-endpoint", WaiterConfig={"Delay": 0.2})
    described = sm.describe_endpoint(EndpointName="bc-endpoint")
    assert described["EndpointConfigName"] == "no-capture" and "DataCaptureConfig" not in described
    answer = runtime.invoke_endpoint(EndpointName="bc-endpoint", ContentType="text/csv",
                                     Body=csv_row(feature_rows(1)[0]))
    assert answer["InvokedProductionVariant"] == "Blue"
    sm.delete_endpoint(EndpointName="bc-endpoint")
    with pytest.raises(runtime.exceptions.ValidationError):
        runtime.invoke_endpoint(EndpointName="bc-endpoint", ContentType="text/csv", Body="1")


def test_an_endpoint_whose_model_cannot_load_fails_with_a_reason(local_server):
    sm = local_server.client("sagemaker")
    sm.create_model(ModelName="ghost", PrimaryContainer={"Image": "xgb:1", "ModelDataUrl": MODEL_URI + ".missing"},
                    ExecutionRoleArn="arn:aws:iam::000000000000:role/r")
    sm.create_endpoint_config(EndpointConfigName="ghost", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "ghost", "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="ghost", EndpointConfigName="ghost")
    with pytest.raises(WaiterError, match="Failed"):
        sm.get_waiter("endpoint_in_service").wait(EndpointName="ghost", WaiterConfig={"Delay": 0.2})
    described = sm.describe_endpoint(EndpointName="ghost")
    assert described["EndpointStatus"] == "Failed" and "does not exist" in described["FailureReason"]


def test_the_server_runs_the_monitoring_scheduler(local_server):
    assert any(t.name == "monitoring-scheduler" and t.is_alive() for t in threading.enumerate())
