"""boto3's sagemaker client works against the local server: signed, validated, AWS-shaped errors."""
import boto3
import pytest
from botocore.exceptions import ClientError

XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def test_registry_operations_round_trip_through_boto3(local_server):
    sm = local_server.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="breast-cancer-xgboost")
    arn = sm.create_model_package(
        ModelPackageGroupName="breast-cancer-xgboost",
        InferenceSpecification={"Containers": [{"Image": XGBOOST_IMAGE,
                                                "ModelDataUrl": "s3://b/m.tar.gz"}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
    )["ModelPackageArn"]
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    packages = sm.list_model_packages(ModelPackageGroupName="breast-cancer-xgboost",
                                      ModelApprovalStatus="Approved")["ModelPackageSummaryList"]
    assert [p["ModelPackageArn"] for p in packages] == [arn]
    assert packages[0]["CreationTime"].tzinfo is not None  # epoch seconds parsed back into a datetime


def test_backend_errors_become_the_exceptions_botocore_raises_for_aws(local_server):
    sm = local_server.client("sagemaker")
    with pytest.raises(ClientError) as raised:
        sm.describe_model_package(ModelPackageName="arn:aws:sagemaker:us-east-1:000000000000:model-package/x/1")
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "does not exist" in raised.value.response["Error"]["Message"]


def test_unsupported_operation_is_named(local_server):
    with pytest.raises(ClientError, match="ListClusters is not supported"):
        local_server.client("sagemaker").list_clusters()


@pytest.mark.parametrize("credentials, code", [
    ({"aws_access_key_id": "AKIAWRONGKEY", "aws_secret_access_key": "x"}, "UnrecognizedClientException"),
    (None, "InvalidSignatureException"),
])
def test_requests_without_the_servers_credentials_are_refused(local_server, credentials, code):
    from sagelocal.credentials import load_or_create

    key = load_or_create(local_server.settings)
    credentials = credentials or {"aws_access_key_id": key.access_key_id, "aws_secret_access_key": "wrong-secret"}
    sm = boto3.client("sagemaker", endpoint_url=local_server.url, region_name="us-east-1", **credentials)
    with pytest.raises(ClientError) as raised:
        sm.list_model_packages()
    assert raised.value.response["Error"]["Code"] == code


def test_unsigned_requests_are_refused(local_server):
    import httpx

    response = httpx.post(local_server.url + "/", headers={"X-Amz-Target": "SageMaker.ListModelPackages"},
                          content=b"{}")
    assert response.status_code == 403
    assert response.json()["__type"] == "MissingAuthenticationTokenException"
