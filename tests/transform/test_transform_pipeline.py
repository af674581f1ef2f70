"""A definition the SageMaker SDK wrote (ModelStep create, TransformStep, ModelStep register with every metric
kind), run by the engine; what it made is read back with boto3 from the real server, in botocore's shapes."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest

from sagelocal.engine import definition as definitions
from sagelocal.engine.runner import PipelineRunner
from transform.model import MODEL_URI, step_archive

TESTS = Path(__file__).resolve().parents[1]
GUARDED = """import runpy, sys
sys.path.insert(0, {tests!r})
import netguard
netguard.install()
sys.argv = [{script!r}, sys.argv[1]]
runpy.run_path({script!r}, run_name="__main__")
assert not netguard.ATTEMPTS, netguard.ATTEMPTS
"""


@pytest.fixture(scope="module")
def sdk_definition(tmp_path_factory) -> dict:
    output = tmp_path_factory.mktemp("sdk") / "pipeline.json"
    script = str(TESTS / "transform" / "sdk_definition.py")
    done = subprocess.run([sys.executable, "-c", GUARDED.format(tests=str(TESTS), script=script), str(output)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(output.read_text())


def unknown_members(value, shape, path="") -> list[str]:
    """Paths in ``value`` that botocore's ``shape`` does not have (boto3 would drop them without a word)."""
    if shape.type_name == "structure":
        found = []
        for key, item in value.items():
            if key not in shape.members:
                found.append(f"{path}.{key}")
            else:
                found += unknown_members(item, shape.members[key], f"{path}.{key}")
        return found
    if shape.type_name == "list":
        return [p for i, item in enumerate(value) for p in unknown_members(item, shape.member, f"{path}[{i}]")]
    if shape.type_name == "map":
        return [p for k, item in value.items() for p in unknown_members(item, shape.value, f"{path}.{k}")]
    return []


def raw_response(client, operation: str, **request) -> dict:
    """The JSON the server sent, before boto3 parsed it."""
    raw = {}

    def keep(http_response, **_):
        raw.update(json.loads(http_response.text))

    client.meta.events.register(f"after-call.sagemaker.{operation}", keep)
    getattr(client, botocore.xform_name(operation))(**request)
    client.meta.events.unregister(f"after-call.sagemaker.{operation}", keep)
    return raw


def test_sdk_steps_are_the_types_the_runner_runs(sdk_definition):
    assert [(s["Name"], s["Type"]) for s in sdk_definition["Steps"]] == [
        ("CreateModel", "Model"), ("Transform", "Transform"), ("RegisterModel", "RegisterModel")]
    definitions.parse(sdk_definition)  # nothing refused


def test_model_transform_and_register_run_and_read_back(sdk_definition, local_server):
    s3 = local_server.client("s3")
    for bucket in ("models", "pipeline-data"):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket="models", Key=MODEL_URI.split("/", 3)[3], Body=step_archive())
    s3.put_object(Bucket="pipeline-data", Key="batch/input/rows.csv", Body=b"a,0.2,9\nb,1.5,9\n")

    parsed = definitions.parse(sdk_definition)
    runner = PipelineRunner(local_server.settings, parsed, parsed.resolve_parameters({}), "TransformPipeline")
    execution = runner.run()
    assert execution["PipelineExecutionStatus"] == "Succeeded", execution.get("FailureReason")

    sm = local_server.client("sagemaker")
    model_name = runner.properties["CreateModel"]["ModelName"]
    assert model_name.startswith(f"pipelines-{runner.execution_id}-CreateModel-")
    assert sm.describe_model(ModelName=model_name)["PrimaryContainer"]["ModelDataUrl"] == MODEL_URI

    transform = runner.properties["Transform"]
    assert transform["ModelName"] == model_name
    described = sm.describe_transform_job(TransformJobName=transform["TransformJobName"])
    assert described["TransformJobStatus"] == "Completed"
    output = s3.get_object(Bucket="pipeline-data", Key="batch/output/rows.csv.out")["Body"].read()
    assert output == b"a,1.0\nb,3.0\n"
    captured = s3.list_objects_v2(Bucket="pipeline-data", Prefix="batch/capture/")["Contents"]
    assert sorted(o["Key"].split("/")[2] for o in captured) == ["input", "output"]

    steps = {s["StepName"]: s for s in sm.list_pipeline_execution_steps(
        PipelineExecutionArn=execution["PipelineExecutionArn"])["PipelineExecutionSteps"]}
    assert steps["CreateModel"]["Metadata"]["Model"]["Arn"].endswith(f":model/{model_name.lower()}")
    assert steps["Transform"]["Metadata"]["TransformJob"]["Arn"] == described["TransformJobArn"]

    arn = runner.properties["RegisterModel"]["ModelPackageArn"]
    package = raw_response(sm, "DescribeModelPackage", ModelPackageName=arn)
    registered = sdk_definition["Steps"][2]["Arguments"]
    assert package["ModelMetrics"] == registered["ModelMetrics"]
    assert package["DriftCheckBaselines"] == registered["DriftCheckBaselines"]
    assert set(package["ModelMetrics"]) == {"ModelQuality", "ModelDataQuality", "Bias", "Explainability"}
    assert set(package["DriftCheckBaselines"]) == {"ModelQuality", "ModelDataQuality", "Bias", "Explainability"}
    shape = botocore.session.get_session().get_service_model("sagemaker").shape_for("DescribeModelPackageOutput")
    assert unknown_members(package, shape) == []


def test_register_model_arguments_outside_botocore_shape_fail_the_step(tmp_path):
    """AWS refuses a CreateModelPackage whose metrics do not fit its model; nothing is registered."""
    from sagelocal.config import Settings
    from sagelocal.registry import RegistryBackend

    settings = Settings(home=tmp_path / "home")
    source = {"ContentType": "application/json", "S3Uri": "s3://pipeline-data/metrics/m.json"}
    step = {"Name": "Register", "Type": "RegisterModel", "Arguments": {
        "ModelPackageGroupName": "typo", "ModelApprovalStatus": "Approved",
        "InferenceSpecification": {"Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/"
                                                            "sagemaker-xgboost:1.7-1", "ModelDataUrl": MODEL_URI}],
                                   "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
        "ModelMetrics": {"ModelQuality": {"Statistic": source}}}}
    parsed = definitions.parse({"Version": "2020-12-01", "Steps": [step]})
    execution = PipelineRunner(settings, parsed, {}, "typo-pipeline").run()
    assert execution["PipelineExecutionStatus"] == "Failed"
    assert 'Step Register failed: ValidationException: Unknown parameter in ' \
           'ModelMetrics.ModelQuality: "Statistic", must be one of: Statistics, Constraints' \
           in execution["FailureReason"]
    assert RegistryBackend(settings).list_model_packages({})["ModelPackageSummaryList"] == []
