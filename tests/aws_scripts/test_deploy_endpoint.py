"""deploy_endpoint.py: every call checked against botocore's sagemaker model under Stubber."""
from datetime import datetime

from botocore.stub import ANY

import deploy_endpoint

PACKAGE = "arn:aws:sagemaker:us-east-1:111122223333:model-package/breast-cancer-xgboost/3"
ROLE = "arn:aws:iam::111122223333:role/SageMakerRole"
CONFIG_ARN = "arn:aws:sagemaker:us-east-1:111122223333:endpoint-config/x"
ENDPOINT_ARN = "arn:aws:sagemaker:us-east-1:111122223333:endpoint/breast-cancer-xgboost"


def described(status: str) -> dict:
    now = datetime(2026, 1, 1)
    return {"EndpointName": "breast-cancer-xgboost", "EndpointArn": ENDPOINT_ARN, "EndpointConfigName": "c",
            "EndpointStatus": status, "CreationTime": now, "LastModifiedTime": now}


def test_deploys_latest_approved_package_with_capture(stubbed_clients, capsys):
    stubbed_clients.client("sagemaker")  # creates the stubbed client the script is handed
    stub = stubbed_clients["sagemaker"]
    stub.add_response("list_model_packages", {"ModelPackageSummaryList": [{
        "ModelPackageArn": PACKAGE, "ModelPackageGroupName": "breast-cancer-xgboost", "ModelPackageVersion": 3,
        "CreationTime": datetime(2026, 1, 1), "ModelPackageStatus": "Completed", "ModelApprovalStatus": "Approved"}]},
        {"ModelPackageGroupName": "breast-cancer-xgboost", "ModelApprovalStatus": "Approved",
         "SortBy": "CreationTime", "SortOrder": "Descending", "MaxResults": 1})
    stub.add_response("create_model", {"ModelArn": "arn:aws:sagemaker:us-east-1:111122223333:model/m"},
                      {"ModelName": ANY, "ExecutionRoleArn": ROLE, "PrimaryContainer": {"ModelPackageName": PACKAGE}})
    stub.add_response("create_endpoint_config", {"EndpointConfigArn": CONFIG_ARN}, {
        "EndpointConfigName": ANY,
        "DataCaptureConfig": {"EnableCapture": True, "InitialSamplingPercentage": 100,
                              "DestinationS3Uri": "s3://bucket/datacapture",
                              "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
                              "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]}},
        "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": ANY, "InitialInstanceCount": 1,
                                "InstanceType": "ml.m5.large", "InitialVariantWeight": 1.0}]})
    stub.add_client_error("describe_endpoint", "ValidationException", "Could not find endpoint",
                          expected_params={"EndpointName": "breast-cancer-xgboost"})
    stub.add_response("create_endpoint", {"EndpointArn": ENDPOINT_ARN},
                      {"EndpointName": "breast-cancer-xgboost", "EndpointConfigName": ANY})
    stub.add_response("describe_endpoint", described("Creating"), {"EndpointName": "breast-cancer-xgboost"})
    stub.add_response("describe_endpoint", described("InService"), {"EndpointName": "breast-cancer-xgboost"})
    code = deploy_endpoint.main(["--role", ROLE, "--capture-uri", "s3://bucket/datacapture", "--poll-seconds", "0"])
    assert code == 0
    assert "endpoint breast-cancer-xgboost: InService" in capsys.readouterr().out


def test_existing_endpoint_is_updated(stubs):
    sagemaker = stubs.client("sagemaker")
    stubs["sagemaker"].add_response("describe_endpoint", described("InService"), {"EndpointName": "e"})
    stubs["sagemaker"].add_response("update_endpoint", {"EndpointArn": ENDPOINT_ARN},
                                    {"EndpointName": "e", "EndpointConfigName": "new"})
    assert deploy_endpoint.create_or_update_endpoint(sagemaker, "e", "new") == ENDPOINT_ARN


def test_no_approved_package_is_a_clear_error(stubbed_clients, capsys):
    stubbed_clients.client("sagemaker")
    stubbed_clients["sagemaker"].add_response("list_model_packages", {"ModelPackageSummaryList": []})
    assert deploy_endpoint.main(["--role", ROLE, "--capture-uri", "s3://b/c"]) == 2
    assert "no Approved model package" in capsys.readouterr().err


def test_failed_endpoint_fails_the_script(stubs):
    sagemaker = stubs.client("sagemaker")
    stubs["sagemaker"].add_response("describe_endpoint", described("Failed"), {"EndpointName": "e"})
    assert deploy_endpoint.wait_in_service(sagemaker, "e", 0)["EndpointStatus"] == "Failed"
