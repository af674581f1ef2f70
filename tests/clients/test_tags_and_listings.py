"""AddTags/ListTags/DeleteTags on the resources the server makes, Tags given at creation, and the List and
pipeline-version operations clients expect, through boto3."""
from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from hosting.deploy import deploy

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
DEFINITION = {"Version": "2020-12-01", "Parameters": [{"Name": "Threshold", "Type": "Float", "DefaultValue": 0.5}],
              "Steps": [{"Name": "Check", "Type": "Condition", "Arguments": {
                  "Conditions": [{"Type": "GreaterThanOrEqualTo", "LeftValue": {"Get": "Parameters.Threshold"},
                                  "RightValue": 0.1}], "IfSteps": [], "ElseSteps": []}}]}


def test_tags_on_created_resources(local_server):
    env = deploy(local_server)
    sm = env["sm"]
    endpoint_arn = sm.describe_endpoint(EndpointName="bc-endpoint")["EndpointArn"]
    sm.add_tags(ResourceArn=endpoint_arn, Tags=[{"Key": "team", "Value": "oncology"}, {"Key": "stage", "Value": "dev"}])
    assert sm.list_tags(ResourceArn=endpoint_arn)["Tags"] == [{"Key": "stage", "Value": "dev"},
                                                              {"Key": "team", "Value": "oncology"}]
    sm.delete_tags(ResourceArn=endpoint_arn, TagKeys=["stage"])
    assert sm.list_tags(ResourceArn=endpoint_arn)["Tags"] == [{"Key": "team", "Value": "oncology"}]
    tagged = sm.create_pipeline(PipelineName="Tagged", PipelineDefinition=json.dumps(DEFINITION), RoleArn=ROLE,
                                Tags=[{"Key": "sagemaker:project-name", "Value": "breast-cancer"}])["PipelineArn"]
    assert sm.list_tags(ResourceArn=tagged)["Tags"] == [{"Key": "sagemaker:project-name", "Value": "breast-cancer"}]
    with pytest.raises(ClientError) as unknown:
        sm.list_tags(ResourceArn="arn:aws:sagemaker:us-east-1:000000000000:model/never-made")
    assert unknown.value.response["Error"]["Code"] == "ValidationException"
    sm.delete_endpoint(EndpointName="bc-endpoint")
    with pytest.raises(ClientError):
        sm.list_tags(ResourceArn=endpoint_arn)


def test_list_operations(local_server):
    sm = deploy(local_server)["sm"]
    assert [m["ModelName"] for m in sm.list_models()["Models"]] == ["bc-endpoint-model"]
    assert [c["EndpointConfigName"] for c in sm.list_endpoint_configs(NameContains="bc")["EndpointConfigs"]] == [
        "bc-endpoint-config"]
    assert sm.list_models(NameContains="nothing")["Models"] == []
    assert sm.list_training_jobs(StatusEquals="Completed")["TrainingJobSummaries"] == []
    assert sm.list_transform_jobs()["TransformJobSummaries"] == []


def test_pipeline_versions_and_the_definition_an_execution_ran(local_server):
    sm = local_server.client("sagemaker")
    sm.create_pipeline(PipelineName="Versions", PipelineDefinition=json.dumps(DEFINITION), RoleArn=ROLE)
    first = sm.start_pipeline_execution(PipelineName="Versions")["PipelineExecutionArn"]
    changed = dict(DEFINITION, Parameters=[{"Name": "Threshold", "Type": "Float", "DefaultValue": 0.9}])
    time.sleep(0.01)
    sm.update_pipeline(PipelineName="Versions", PipelineDefinition=json.dumps(changed))
    versions = sm.list_pipeline_versions(PipelineName="Versions", SortOrder="Ascending")["PipelineVersionSummaries"]
    assert [v["PipelineVersionId"] for v in versions] == [1, 2]
    assert versions[0]["LastExecutionPipelineExecutionArn"] == first
    ran = sm.describe_pipeline_definition_for_execution(PipelineExecutionArn=first)["PipelineDefinition"]
    assert json.loads(ran)["Parameters"][0]["DefaultValue"] == 0.5
