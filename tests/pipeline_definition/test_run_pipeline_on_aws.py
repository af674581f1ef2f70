"""The AWS face: its boto3 calls, checked offline against botocore's service models with the Stubber."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import ANY, Stubber

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "sagemaker-us-east-1-000000000000", "BreastCancerXGBoost/code"
PIPELINE_ARN = "arn:aws:sagemaker:us-east-1:000000000000:pipeline/breastcancerxgboost"
EXECUTION_ARN = f"{PIPELINE_ARN}/execution/abc123"
ROLE = "arn:aws:iam::000000000000:role/SageMakerExecutionRole"


def _load_script():
    spec = importlib.util.spec_from_file_location("run_pipeline_on_aws", ROOT / "scripts" / "run_pipeline_on_aws.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


deploy = _load_script()


def client(service: str):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def test_scripts_go_to_the_uris_the_definition_names(definition):
    uploads = deploy.script_uploads(definition, ROOT / "steps")
    assert [(path.name, uri) for path, uri in uploads] == [
        ("preprocess.py", f"s3://{PREFIX[0]}/{PREFIX[1]}/preprocess.py"),
        ("evaluate.py", f"s3://{PREFIX[0]}/{PREFIX[1]}/evaluate.py"),
    ]
    s3 = client("s3")
    with Stubber(s3) as stub:
        for path, _ in uploads:
            stub.add_response("put_object", {"ETag": '"x"'},
                              {"Bucket": PREFIX[0], "Key": f"{PREFIX[1]}/{path.name}", "Body": path.read_bytes()})
        deploy.upload_scripts(s3, uploads)
        stub.assert_no_pending_responses()


def test_a_missing_script_is_named(definition, tmp_path):
    with pytest.raises(deploy.DeployError, match=r"PreprocessData runs s3://.*/preprocess.py, but .* does not exist"):
        deploy.script_uploads(definition, tmp_path)


def test_pipeline_is_created_when_absent():
    sagemaker = client("sagemaker")
    with Stubber(sagemaker) as stub:
        stub.add_client_error("describe_pipeline", service_error_code="ResourceNotFound", http_status_code=400,
                              expected_params={"PipelineName": "BreastCancerXGBoost"})
        stub.add_response("create_pipeline", {"PipelineArn": PIPELINE_ARN}, {
            "PipelineName": "BreastCancerXGBoost", "PipelineDefinition": '{"Version": "2020-12-01"}',
            "RoleArn": ROLE, "PipelineDescription": ANY})
        assert deploy.upsert_pipeline(sagemaker, "BreastCancerXGBoost", '{"Version": "2020-12-01"}', ROLE) == (
            PIPELINE_ARN, "created")
        stub.assert_no_pending_responses()


def test_pipeline_is_updated_when_present():
    sagemaker = client("sagemaker")
    with Stubber(sagemaker) as stub:
        stub.add_response("describe_pipeline", {"PipelineArn": PIPELINE_ARN, "PipelineName": "BreastCancerXGBoost"},
                          {"PipelineName": "BreastCancerXGBoost"})
        stub.add_response("update_pipeline", {"PipelineArn": PIPELINE_ARN}, {
            "PipelineName": "BreastCancerXGBoost", "PipelineDefinition": "{}", "RoleArn": ROLE})
        assert deploy.upsert_pipeline(sagemaker, "BreastCancerXGBoost", "{}", ROLE) == (PIPELINE_ARN, "updated")
        stub.assert_no_pending_responses()


def test_execution_starts_with_the_given_parameters(definition):
    parameters = deploy.execution_parameters(definition, ["AucThreshold=0.95", "SkipDataQualityCheck=false"])
    sagemaker = client("sagemaker")
    with Stubber(sagemaker) as stub:
        stub.add_response("start_pipeline_execution", {"PipelineExecutionArn": EXECUTION_ARN}, {
            "PipelineName": "BreastCancerXGBoost", "PipelineParameters": [
                {"Name": "AucThreshold", "Value": "0.95"}, {"Name": "SkipDataQualityCheck", "Value": "false"}]})
        assert deploy.start_execution(sagemaker, "BreastCancerXGBoost", parameters) == EXECUTION_ARN
        stub.assert_no_pending_responses()


def test_wait_reports_each_step_status_change_once():
    sagemaker = client("sagemaker")
    lines, naps = [], []
    with Stubber(sagemaker) as stub:
        for status, steps in (("Executing", [("PreprocessData", "Executing")]),
                              ("Failed", [("PreprocessData", "Succeeded"), ("TrainXGBoost", "Failed")])):
            stub.add_response("describe_pipeline_execution", {"PipelineExecutionStatus": status},
                              {"PipelineExecutionArn": EXECUTION_ARN})
            stub.add_response("list_pipeline_execution_steps", {"PipelineExecutionSteps": [
                {"StepName": name, "StepStatus": step_status,
                 **({"FailureReason": "AlgorithmError: bad csv"} if step_status == "Failed" else {})}
                for name, step_status in steps]}, {"PipelineExecutionArn": EXECUTION_ARN, "SortOrder": "Ascending"})
        status = deploy.wait_for_execution(sagemaker, EXECUTION_ARN, emit=lines.append, sleep=naps.append)
        stub.assert_no_pending_responses()
    assert status == "Failed" and naps == [30.0]
    assert lines == ["  PreprocessData: Executing", "  PreprocessData: Succeeded",
                     "  TrainXGBoost: Failed (AlgorithmError: bad csv)"]


def test_the_role_comes_from_the_definition(definition):
    assert deploy.pipeline_role(definition) == ROLE


def test_unknown_parameter_is_refused(capsys):
    assert deploy.main(["--param", "AucTreshold=0.9", "--endpoint-url", "http://127.0.0.1:1"]) == 2
    assert "unknown pipeline parameter 'AucTreshold'" in capsys.readouterr().err


def test_placeholder_definition_is_refused_for_real_aws(capsys):
    assert deploy.main([]) == 2
    assert "placeholder account 000000000000" in capsys.readouterr().err


def test_a_corrupt_definition_is_one_clear_error(tmp_path, capsys):
    bad = tmp_path / "pipeline.json"
    bad.write_text('{"Steps": [')
    assert deploy.main(["--definition", str(bad)]) == 2
    assert f"{bad} is not valid JSON" in capsys.readouterr().err
