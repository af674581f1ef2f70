"""The model registry keeps groups and versions the way SageMaker's model-registry API reports them."""
import pytest

from sagelocal.config import Settings
from sagelocal.errors import ValidationError
from sagelocal.registry import RegistryBackend

SPEC = {
    "Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                    "ModelDataUrl": "s3://bucket/model.tar.gz"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}


@pytest.fixture
def registry(tmp_path):
    return RegistryBackend(Settings(home=tmp_path))


def test_versions_count_up_within_a_group_that_is_created_on_first_register(registry):
    first = registry.create_model_package({"ModelPackageGroupName": "breast-cancer-xgboost",
                                           "InferenceSpecification": SPEC})
    second = registry.create_model_package({"ModelPackageGroupName": "breast-cancer-xgboost",
                                            "InferenceSpecification": SPEC, "ModelApprovalStatus": "Approved"})
    assert first["ModelPackageArn"].endswith(":model-package/breast-cancer-xgboost/1")
    assert second["ModelPackageArn"].endswith(":model-package/breast-cancer-xgboost/2")
    described = registry.describe_model_package({"ModelPackageName": first["ModelPackageArn"]})
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    assert described["InferenceSpecification"] == SPEC
    approved = registry.list_model_packages({"ModelPackageGroupName": "breast-cancer-xgboost",
                                             "ModelApprovalStatus": "Approved"})
    assert [p["ModelPackageVersion"] for p in approved["ModelPackageSummaryList"]] == [2]


def test_approval_is_updated_and_survives_a_new_backend_on_the_same_file(registry, tmp_path):
    arn = registry.create_model_package({"ModelPackageGroupName": "g", "InferenceSpecification": SPEC})[
        "ModelPackageArn"]
    registry.update_model_package({"ModelPackageArn": arn, "ModelApprovalStatus": "Approved",
                                   "ApprovalDescription": "looks good"})
    reopened = RegistryBackend(Settings(home=tmp_path))
    described = reopened.describe_model_package({"ModelPackageName": arn})
    assert (described["ModelApprovalStatus"], described["ApprovalDescription"]) == ("Approved", "looks good")


def test_bad_requests_are_validation_errors_that_name_the_field(registry):
    with pytest.raises(ValidationError, match="ModelPackageGroupName"):
        registry.create_model_package({})
    with pytest.raises(ValidationError, match="modelApprovalStatus"):
        registry.create_model_package({"ModelPackageGroupName": "g", "ModelApprovalStatus": "Maybe"})
    with pytest.raises(ValidationError, match="does not exist"):
        registry.describe_model_package({"ModelPackageName": "arn:aws:sagemaker:us-east-1:0:model-package/x/9"})


def test_listing_paginates(registry):
    for _ in range(5):
        registry.create_model_package({"ModelPackageGroupName": "g", "InferenceSpecification": SPEC})
    seen, token = [], None
    while True:
        page = registry.list_model_packages({"ModelPackageGroupName": "g", "MaxResults": 2,
                                             **({"NextToken": token} if token else {})})
        seen += [p["ModelPackageVersion"] for p in page["ModelPackageSummaryList"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [1, 2, 3, 4, 5]
