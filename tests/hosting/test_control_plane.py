"""Models, endpoint configs and endpoints through boto3: shapes, updates, AWS's errors."""
import threading

import pytest
from botocore.exceptions import ClientError, WaiterError

from hosting.deploy import CAPTURE_URI, MODEL_URI, csv_row, deploy, feature_rows

XGBOOST = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = "arn:aws:iam::000000000000:role/r"


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
        sm.create_model(ModelName="no-artifact", PrimaryContainer={"Image": XGBOOST})
    assert "ModelDataUrl" in _error(raised)[1]


@pytest.mark.parametrize("image, reason", [
    ("xgb:1", "runnable hosting images: SageMaker's <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag] "
              "for sagemaker-xgboost, xgboost"),
    ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3", "for sagemaker-xgboost"),
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
     "SageMaker's sagemaker-xgboost images in us-east-1 are in account 683313688378, not 123456789012"),
])
def test_a_model_the_server_cannot_serve_is_refused_at_create_model(local_server, image, reason):
    """AWS takes any image at CreateModel; the local server serves only SageMaker's XGBoost images, and says so
    there rather than at CreateEndpoint. Nothing is recorded."""
    sm = local_server.client("sagemaker")
    with pytest.raises(ClientError) as raised:
        sm.create_model(ModelName="other", PrimaryContainer={"Image": image, "ModelDataUrl": MODEL_URI},
                        ExecutionRoleArn=ROLE)
    code, message = _error(raised)
    assert code == "ValidationException" and message.startswith(f"image {image} cannot run offline")
    assert reason in message
    assert sm.list_models()["Models"] == []


def test_a_model_package_whose_image_cannot_be_served_is_refused_at_create_model(local_server):
    sm = local_server.client("sagemaker")
    image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/xgboost:1"
    package = sm.create_model_package(
        ModelPackageGroupName="elsewhere", InferenceSpecification={
            "Containers": [{"Image": image, "ModelDataUrl": MODEL_URI}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]})["ModelPackageArn"]
    with pytest.raises(ClientError) as raised:
        sm.create_model(ModelName="elsewhere", PrimaryContainer={"ModelPackageName": package}, ExecutionRoleArn=ROLE)
    assert _error(raised) == ("ValidationException", f"image {image} cannot run offline: SageMaker's xgboost images "
                                                     "in eu-west-1 are in account 685385470294, not 123456789012")


def test_sagemakers_legacy_xgboost_image_is_accepted_at_create_model(local_server):
    sm = local_server.client("sagemaker")
    sm.create_model(ModelName="legacy", ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": "685385470294.dkr.ecr.eu-west-1.amazonaws.com/xgboost:1", "ModelDataUrl": MODEL_URI})
    assert [m["ModelName"] for m in sm.list_models()["Models"]] == ["legacy"]


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
    sm.create_model(ModelName="ghost", PrimaryContainer={"Image": XGBOOST, "ModelDataUrl": MODEL_URI + ".missing"},
                    ExecutionRoleArn=ROLE)
    sm.create_endpoint_config(EndpointConfigName="ghost", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "ghost", "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="ghost", EndpointConfigName="ghost")
    with pytest.raises(WaiterError, match="Failed"):
        sm.get_waiter("endpoint_in_service").wait(EndpointName="ghost", WaiterConfig={"Delay": 0.2})
    described = sm.describe_endpoint(EndpointName="ghost")
    assert described["EndpointStatus"] == "Failed" and "does not exist" in described["FailureReason"]


def test_the_server_runs_the_monitoring_scheduler(local_server):
    assert any(t.name == "monitoring-scheduler" and t.is_alive() for t in threading.enumerate())
