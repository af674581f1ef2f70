"""The pipeline operations through boto3 against the local server, executions run by the offline runner."""
import json
import time

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
SCRIPT = """import pathlib, sys
(pathlib.Path(sys.argv[2]) / 'greeting.txt').write_text(sys.argv[1])
"""


def definition(bucket: str = "pipes") -> str:
    """One processing step that writes its argument (a pipeline parameter) to an output."""
    step = {
        "Name": "Greet", "Type": "Processing",
        "Arguments": {
            "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                                                      "VolumeSizeInGB": 30}},
            "AppSpecification": {
                "ImageUri": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
                "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/greet.py"],
                "ContainerArguments": [{"Get": "Parameters.Greeting"}, "/opt/ml/processing/out"]},
            "RoleArn": ROLE,
            "ProcessingInputs": [{"InputName": "code", "S3Input": {
                "S3Uri": f"s3://{bucket}/code/greet.py", "LocalPath": "/opt/ml/processing/input/code",
                "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
            "ProcessingOutputConfig": {"Outputs": [{"OutputName": "out", "S3Output": {
                "S3Uri": {"Std:Join": {"On": "/", "Values": [f"s3://{bucket}/runs",
                                                             {"Get": "Execution.PipelineExecutionId"}]}},
                "LocalPath": "/opt/ml/processing/out", "S3UploadMode": "EndOfJob"}}]},
            "StoppingCondition": {"MaxRuntimeInSeconds": 60}}}
    return json.dumps({"Version": "2020-12-01", "Metadata": {}, "Steps": [step],
                       "Parameters": [{"Name": "Greeting", "Type": "String", "DefaultValue": "hello"}]})


def wait_for(sagemaker, arn: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        described = sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)
        if described["PipelineExecutionStatus"] != "Executing" or time.monotonic() > deadline:
            return described
        time.sleep(0.2)


@pytest.fixture
def clients(local_server):
    s3, sagemaker = local_server.client("s3"), local_server.client("sagemaker")
    s3.create_bucket(Bucket="pipes")
    s3.put_object(Bucket="pipes", Key="code/greet.py", Body=SCRIPT.encode())
    return s3, sagemaker


def test_create_describe_update_list_delete(clients):
    _, sagemaker = clients
    arn = sagemaker.create_pipeline(PipelineName="Greeter", PipelineDefinition=definition(), RoleArn=ROLE,
                                    PipelineDescription="first")["PipelineArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:000000000000:pipeline/greeter"
    with pytest.raises(ClientError) as again:
        sagemaker.create_pipeline(PipelineName="Greeter", PipelineDefinition=definition(), RoleArn=ROLE)
    assert again.value.response["Error"]["Code"] == "ValidationException"
    assert "already exists" in again.value.response["Error"]["Message"]
    sagemaker.update_pipeline(PipelineName="Greeter", PipelineDescription="second")
    described = sagemaker.describe_pipeline(PipelineName=arn)
    assert (described["PipelineName"], described["PipelineDescription"]) == ("Greeter", "second")
    assert json.loads(described["PipelineDefinition"]) == json.loads(definition())
    sagemaker.create_pipeline(PipelineName="Other", PipelineDefinition=definition(), RoleArn=ROLE)
    listed = sagemaker.list_pipelines(PipelineNamePrefix="Gr")["PipelineSummaries"]
    assert [p["PipelineName"] for p in listed] == ["Greeter"]
    assert sagemaker.delete_pipeline(PipelineName="Greeter", ClientRequestToken="t" * 32)["PipelineArn"] == arn
    with pytest.raises(sagemaker.exceptions.ResourceNotFound):
        sagemaker.describe_pipeline(PipelineName="Greeter")


def test_broken_definition_is_refused(clients):
    _, sagemaker = clients
    with pytest.raises(ClientError) as refused:
        sagemaker.create_pipeline(PipelineName="Broken", PipelineDefinition='{"Steps": []}', RoleArn=ROLE)
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_execution_runs_with_parameters_and_reports_steps(clients):
    s3, sagemaker = clients
    sagemaker.create_pipeline(PipelineName="Greeter", PipelineDefinition=definition(), RoleArn=ROLE)
    arn = sagemaker.start_pipeline_execution(
        PipelineName="Greeter", PipelineParameters=[{"Name": "Greeting", "Value": "bonjour"}])["PipelineExecutionArn"]
    described = wait_for(sagemaker, arn)
    assert described["PipelineExecutionStatus"] == "Succeeded", described.get("FailureReason")
    steps = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
    assert [(s["StepName"], s["StepStatus"]) for s in steps] == [("Greet", "Succeeded")]
    execution_id = arn.rsplit("/", 1)[-1]
    body = s3.get_object(Bucket="pipes", Key=f"runs/{execution_id}/greeting.txt")["Body"].read()
    assert body == b"bonjour"
    summaries = sagemaker.list_pipeline_executions(PipelineName="Greeter")["PipelineExecutionSummaries"]
    assert [s["PipelineExecutionArn"] for s in summaries] == [arn]
    assert sagemaker.describe_pipeline(PipelineName="Greeter")["LastRunTime"] == summaries[0]["StartTime"]


def test_unknown_parameter_and_pipeline_are_refused(clients):
    _, sagemaker = clients
    sagemaker.create_pipeline(PipelineName="Greeter", PipelineDefinition=definition(), RoleArn=ROLE)
    with pytest.raises(ClientError) as unknown:
        sagemaker.start_pipeline_execution(PipelineName="Greeter",
                                           PipelineParameters=[{"Name": "Nope", "Value": "x"}])
    assert unknown.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(sagemaker.exceptions.ResourceNotFound):
        sagemaker.start_pipeline_execution(PipelineName="Missing")


def test_definition_from_s3_location(clients):
    s3, sagemaker = clients
    s3.put_object(Bucket="pipes", Key="definitions/greeter.json", Body=definition().encode())
    sagemaker.create_pipeline(PipelineName="FromS3", RoleArn=ROLE, PipelineDefinitionS3Location={
        "Bucket": "pipes", "ObjectKey": "definitions/greeter.json"})
    assert json.loads(sagemaker.describe_pipeline(PipelineName="FromS3")["PipelineDefinition"])["Steps"]
