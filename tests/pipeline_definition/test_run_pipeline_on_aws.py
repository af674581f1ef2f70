"""The AWS face: its boto3 calls, checked offline against botocore's service models with the Stubber."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import boto3
import pytest
from botocore.stub import ANY, Stubber

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "sagemaker-us-east-1-000000000000", "BreastCancerXGBoost/code"
PIPELINE_ARN = "arn:aws:sagemaker:us-east-1:000000000000:pipeline/breastcancerxgboost"
EXECUTION_ARN = f"{PIPELINE_ARN}/execution/abc123"
ROLE = "arn:aws:iam::000000000000:role/SageMakerExecutionRole"


sys.path.insert(0, str(ROOT / "scripts"))  # main() imports champion.py from beside the script


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
        deploy.upload_files(s3, uploads)
        stub.assert_no_pending_responses()


def test_a_missing_script_is_named(definition, tmp_path):
    with pytest.raises(deploy.DeployError, match=r"PreprocessData runs s3://.*/preprocess.py, but .* does not exist"):
        deploy.script_uploads(definition, tmp_path)


def test_clarify_configurations_go_to_the_uris_the_checks_name(built):
    """The analysis_config.json files the build wrote beside the definition, each to its ClarifyCheck step's input."""
    uploads = deploy.analysis_config_uploads(built.definition, built.path.parent)
    folder = built.path.parent
    assert [(path.relative_to(folder).as_posix(), uri) for path, uri in uploads] == [
        ("clarify/model-bias/analysis_config.json", f"s3://{PREFIX[0]}/{PREFIX[1]}/clarify/model-bias/analysis_config.json"),
        ("clarify/model-explainability/analysis_config.json",
         f"s3://{PREFIX[0]}/{PREFIX[1]}/clarify/model-explainability/analysis_config.json"),
    ]


def test_a_missing_clarify_configuration_is_named(definition, tmp_path):
    with pytest.raises(deploy.DeployError, match=r"step ModelBiasCheck reads s3://.*/clarify/model-bias/analysis_config"
                                                 r"\.json, but .* does not exist: rebuild the definition"):
        deploy.analysis_config_uploads(definition, tmp_path)


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


LIBRARY_PREFIX = f"{PREFIX[1]}/library"


def test_the_default_definition_needs_no_library(definition):
    assert deploy.library_prefixes(definition) == []


def test_processing_mode_needs_its_script_and_the_library(processing_definition):
    uploads = deploy.script_uploads(processing_definition, ROOT / "steps")
    assert [(path.name, uri) for path, uri in uploads] == [
        ("preprocess.py", f"s3://{PREFIX[0]}/{PREFIX[1]}/preprocess.py"),
        ("evaluate.py", f"s3://{PREFIX[0]}/{PREFIX[1]}/evaluate.py"),
        ("data_quality_baseline.py", f"s3://{PREFIX[0]}/{PREFIX[1]}/data_quality_baseline.py"),
    ]
    assert deploy.library_prefixes(processing_definition) == [f"s3://{PREFIX[0]}/{LIBRARY_PREFIX}"]


def library_files() -> list:
    """The package as a job downloads it: ``<library folder>/sagelocal/...``, no bytecode."""
    return sorted(path for path in (ROOT / "sagelocal").rglob("*") if path.is_file() and "__pycache__" not in path.parts)


def test_the_library_goes_under_the_input_prefix(processing_definition):
    [prefix] = deploy.library_prefixes(processing_definition)
    files = library_files()
    assert ROOT / "sagelocal" / "monitor" / "analyzer.py" in files
    s3 = client("s3")
    with Stubber(s3) as stub:
        for path in files:
            stub.add_response("put_object", {"ETag": '"x"'}, {
                "Bucket": PREFIX[0], "Key": f"{LIBRARY_PREFIX}/{path.relative_to(ROOT).as_posix()}",
                "Body": path.read_bytes()})
        deploy.upload_files(s3, deploy.library_files(prefix))
        stub.assert_no_pending_responses()


class StubbedSession:
    """``boto3.Session`` for main(): hands out the given stubbed clients by service name."""

    def __init__(self, clients: dict):
        self.clients = clients

    def __call__(self, region_name=None):
        return self

    def client(self, service, endpoint_url=None):
        return self.clients[service]


def test_main_uploads_scripts_and_library_then_starts(processing_built, monkeypatch, capsys):
    s3, sagemaker = client("s3"), client("sagemaker")
    scripts = deploy.script_uploads(processing_built.definition, ROOT / "steps") + deploy.analysis_config_uploads(
        processing_built.definition, processing_built.path.parent)
    with Stubber(s3) as s3_stub, Stubber(sagemaker) as sagemaker_stub:
        for path, uri in scripts:
            s3_stub.add_response("put_object", {}, {"Bucket": PREFIX[0], "Key": uri.split("/", 3)[3],
                                                    "Body": path.read_bytes()})
        for path in library_files():
            s3_stub.add_response("put_object", {}, {
                "Bucket": PREFIX[0], "Key": f"{LIBRARY_PREFIX}/{path.relative_to(ROOT).as_posix()}", "Body": ANY})
        sagemaker_stub.add_client_error("describe_pipeline", service_error_code="ResourceNotFound",
                                        http_status_code=400)
        sagemaker_stub.add_response("create_pipeline", {"PipelineArn": PIPELINE_ARN}, {
            "PipelineName": "BreastCancerXGBoost", "PipelineDefinition": processing_built.text.decode(),
            "RoleArn": ROLE, "PipelineDescription": ANY})
        # No approved champion yet: the "none" folder is written and named.
        sagemaker_stub.add_response("list_model_packages", {"ModelPackageSummaryList": []}, {
            "ModelPackageGroupName": "breast-cancer-xgboost", "ModelApprovalStatus": "Approved",
            "SortBy": "CreationTime", "SortOrder": "Descending", "MaxResults": 1})
        s3_stub.add_response("put_object", {}, {"Bucket": PREFIX[0], "Key": "BreastCancerXGBoost/champion/none/"
                                                "champion.json", "Body": b'{"version": null}'})
        sagemaker_stub.add_response("start_pipeline_execution", {"PipelineExecutionArn": EXECUTION_ARN}, {
            "PipelineName": "BreastCancerXGBoost", "PipelineParameters": [
                {"Name": "ChampionUrl", "Value": f"s3://{PREFIX[0]}/BreastCancerXGBoost/champion/none"}]})
        monkeypatch.setattr(boto3, "Session", StubbedSession({"s3": s3, "sagemaker": sagemaker}))
        assert deploy.main(["--definition", str(processing_built.path), "--endpoint-url", "http://127.0.0.1:1"]) == 0
        s3_stub.assert_no_pending_responses()
        sagemaker_stub.assert_no_pending_responses()
    assert f"uploaded the sagelocal package to s3://{PREFIX[0]}/{LIBRARY_PREFIX}" in capsys.readouterr().out


def test_the_approved_champion_is_staged_and_retraining_checks_its_drift_baseline(definition):
    """The latest Approved version's model is copied beside its champion.json and named by ChampionUrl; its
    registered drift baseline makes the execution check the new data (SkipDataQualityCheck false)."""
    import champion

    package_arn = "arn:aws:sagemaker:us-east-1:000000000000:model-package/breast-cancer-xgboost/3"
    folder = f"s3://{PREFIX[0]}/BreastCancerXGBoost/champion/v3"
    sagemaker, s3 = client("sagemaker"), client("s3")
    with Stubber(sagemaker) as sagemaker_stub, Stubber(s3) as s3_stub:
        sagemaker_stub.add_response("list_model_packages", {"ModelPackageSummaryList": [{
            "ModelPackageArn": package_arn, "ModelPackageStatus": "Completed", "CreationTime": "2026-11-28",
            "ModelPackageGroupName": "breast-cancer-xgboost"}]}, {
            "ModelPackageGroupName": "breast-cancer-xgboost", "ModelApprovalStatus": "Approved",
            "SortBy": "CreationTime", "SortOrder": "Descending", "MaxResults": 1})
        container = {"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                     "ModelDataUrl": "s3://models/v3/model.tar.gz"}
        sagemaker_stub.add_response("describe_model_package", {
            "ModelPackageName": "breast-cancer-xgboost", "ModelPackageArn": package_arn, "ModelPackageVersion": 3,
            "CreationTime": "2026-11-28", "ModelPackageStatus": "Completed", "ModelPackageStatusDetails": {
                "ValidationStatuses": [], "ImageScanStatuses": []},
            "InferenceSpecification": {"Containers": [container], "SupportedContentTypes": ["text/csv"],
                                       "SupportedResponseMIMETypes": ["text/csv"]},
            "DriftCheckBaselines": {"ModelDataQuality": {"Statistics": {
                "ContentType": "application/json", "S3Uri": "s3://b/statistics.json"}}}},
            {"ModelPackageName": package_arn})
        key = "BreastCancerXGBoost/champion/v3"
        s3_stub.add_response("copy_object", {}, {"Bucket": PREFIX[0], "Key": f"{key}/model.tar.gz",
                                                 "CopySource": {"Bucket": "models", "Key": "v3/model.tar.gz"}})
        s3_stub.add_response("put_object", {}, {"Bucket": PREFIX[0], "Key": f"{key}/champion.json", "Body": json.dumps(
            {"version": 3, "model_package_arn": package_arn}).encode()})
        parameters, who = champion.execution_parameters(sagemaker, s3, definition)
    assert parameters == [{"Name": "ChampionUrl", "Value": folder}, {"Name": "SkipDataQualityCheck", "Value": "false"}]
    assert who.startswith("champion: breast-cancer-xgboost version 3 (latest Approved)")
