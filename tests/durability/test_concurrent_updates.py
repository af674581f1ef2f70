"""Concurrent updates through boto3 against a real server: none undoes another (each read-modify-write is one
transaction that writes only the fields its request sets)."""
from botocore.exceptions import ClientError
from durability.races import all_at_once

from pipeline_registry.test_pipeline_operations import ROLE, definition

SPEC = {"Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                        "ModelDataUrl": "s3://models/model.tar.gz"}],
        "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}


def test_an_approval_racing_description_updates_is_never_lost(local_server):
    sagemaker = local_server.client("sagemaker")
    for round_ in range(5):
        arn = sagemaker.create_model_package(ModelPackageGroupName="races", InferenceSpecification=SPEC)[
            "ModelPackageArn"]
        calls = [lambda i=i: sagemaker.update_model_package(ModelPackageArn=arn, ApprovalDescription=f"note {i}")
                 for i in range(19)]
        calls.insert(10, lambda: sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved"))
        results = all_at_once(calls)
        assert all(isinstance(r, dict) and r["ModelPackageArn"] == arn for r in results), results
        described = sagemaker.describe_model_package(ModelPackageName=arn)
        assert described["ModelApprovalStatus"] == "Approved", f"round {round_}: the approval was undone"
        assert described["ApprovalDescription"].startswith("note ")


def test_concurrent_pipeline_updates_keep_every_field_and_number_each_version_once(local_server):
    sagemaker = local_server.client("sagemaker")
    sagemaker.create_pipeline(PipelineName="Racing", PipelineDefinition=definition(), RoleArn=ROLE)
    other_role = "arn:aws:iam::000000000000:role/Other"
    calls = [lambda i=i: sagemaker.update_pipeline(PipelineName="Racing", PipelineDescription=f"description {i}")
             for i in range(9)]
    calls.insert(4, lambda: sagemaker.update_pipeline(PipelineName="Racing", RoleArn=other_role))
    results = all_at_once(calls)
    assert sorted(r["PipelineVersionId"] for r in results) == list(range(2, 12)), results
    described = sagemaker.describe_pipeline(PipelineName="Racing")
    assert described["RoleArn"] == other_role and described["PipelineDescription"].startswith("description ")


def test_concurrent_creates_of_one_pipeline_give_one_pipeline_and_aws_errors(local_server):
    sagemaker = local_server.client("sagemaker")
    results = all_at_once([lambda: sagemaker.create_pipeline(PipelineName="Once", PipelineDefinition=definition(),
                                                             RoleArn=ROLE) for _ in range(8)])
    created = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, ClientError)]
    assert len(created) == 1 and len(refused) == 7, results
    assert {r.response["Error"]["Code"] for r in refused} == {"ValidationException"}
