"""The project's real pipeline.json, run offline end to end by the command a user types."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import xgboost

from pipeline_build import guarded_build
from sagelocal.config import Settings
from sagelocal.registry import RegistryBackend
from sagelocal.storage.s3 import LocalS3

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = ROOT / "pipeline.json"



def _load_deploy_script():
    spec = importlib.util.spec_from_file_location("run_pipeline_on_aws", ROOT / "scripts" / "run_pipeline_on_aws.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


deploy = _load_deploy_script()


class LocalS3Client:
    """The one S3 call of the deploy script's uploads, into local S3, so staging runs the script's own code."""

    def __init__(self, s3: LocalS3):
        self.s3 = s3

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> None:
        self.s3.write_bytes(f"s3://{Bucket}/{Key}", Body)


def stage_inputs(home: Path, definition_path: Path = DEFINITION) -> None:
    """What the demo does first: the input CSV, and what run_pipeline_on_aws.py uploads (the step scripts, the
    Clarify checks' configurations, and the sagelocal package where a step has a library input) at the URIs the definition names, and the champion
    folder it stages when no version is approved yet."""
    definition = json.loads(definition_path.read_text())
    defaults = {p["Name"]: p.get("DefaultValue") for p in definition["Parameters"]}
    data_uri = defaults["InputDataUrl"]
    LocalS3(home / "s3").write_bytes(f"{defaults['ChampionUrl']}/champion.json", b'{"version": null}')
    made = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_input_data.py"), "--s3-root",
                           str(home / "s3"), data_uri], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    uploads = deploy.script_uploads(definition, ROOT / "steps")
    uploads += deploy.analysis_config_uploads(definition, definition_path.parent)
    uploads += [upload for prefix in deploy.library_prefixes(definition) for upload in deploy.library_files(prefix)]
    deploy.upload_files(LocalS3Client(LocalS3(home / "s3")), uploads)


def sagelocal(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SAGELOCAL_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "sagelocal", *args], env=env, capture_output=True, text=True,
                          timeout=300, cwd=home)


def test_pipeline_json_runs_offline_and_registers_the_model(tmp_path):
    home = tmp_path / "home"
    stage_inputs(home)
    result = sagelocal(home, "pipeline", "run", str(DEFINITION), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    steps = {s["StepName"]: s for s in report["Steps"]}
    assert set(steps) == {"PreprocessData", "TrainXGBoost", "EvaluateModel", "DataQualityBaseline", "CreateModel",
                          "ModelBiasCheck", "ModelExplainabilityCheck", "CheckChallenger", "RegisterModel"}
    assert all(s["StepStatus"] == "Succeeded" for s in steps.values())
    assert "[+] RegisterModel" in result.stderr, "plain progress lines when no terminal is attached"

    execution_id = report["Execution"]["PipelineExecutionArn"].rsplit("/", 1)[-1]
    s3 = LocalS3(home / "s3")
    prefix = f"s3://sagemaker-us-east-1-000000000000/BreastCancerXGBoost/{execution_id}"
    assert len(s3.read_bytes(f"{prefix}/train/train.csv").decode().splitlines()) == 284
    training_job = steps["TrainXGBoost"]["Metadata"]["TrainingJob"]["Arn"].rsplit("/", 1)[-1]
    model_uri = s3.list(f"{prefix}/model/")[0]
    assert model_uri.lower() == f"{prefix}/model/{training_job}/output/model.tar.gz".lower()
    with tarfile.open(s3.path(model_uri)) as tar:
        tar.extract("xgboost-model", tmp_path, filter="data")
    xgboost.Booster().load_model(str(tmp_path / "xgboost-model"))

    evaluation = json.loads(s3.read_bytes(f"{prefix}/evaluation/evaluation.json"))
    assert evaluation["binary_classification_metrics"]["auc"]["value"] >= 0.9
    package = RegistryBackend(Settings(home=home)).describe_model_package(
        {"ModelPackageName": steps["RegisterModel"]["Metadata"]["RegisterModel"]["Arn"]})
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == model_uri
    statistics = package["ModelMetrics"]["ModelDataQuality"]["Statistics"]["S3Uri"]
    assert statistics == f"{prefix}/data-quality/statistics.json" and s3.exists(statistics)
    assert package["DriftCheckBaselines"]["ModelDataQuality"]["Constraints"]["S3Uri"] == \
        f"{prefix}/data-quality/constraints.json"

    described = sagelocal(home, "pipeline", "describe", execution_id)
    assert described.returncode == 0 and "DataQualityBaseline.CalculatedBaselineStatistics" in described.stdout
    _check_the_clarify_analyses(s3, prefix, package)


def _check_the_clarify_analyses(s3: LocalS3, prefix: str, package: dict) -> None:
    """The bias check compared large with small tumours on the gold rows; the explainability check ranked the 30
    features and saved each gold row's local values; the package carries both analyses."""
    bias_uri, explained_uri = f"{prefix}/model-bias/analysis.json", f"{prefix}/model-explainability/analysis.json"
    assert package["ModelMetrics"]["Bias"]["PostTrainingReport"]["S3Uri"] == bias_uri
    assert package["ModelMetrics"]["Explainability"]["Report"]["S3Uri"] == explained_uri
    assert package["DriftCheckBaselines"]["Bias"]["PostTrainingConstraints"]["S3Uri"] == bias_uri
    [large] = json.loads(s3.read_bytes(bias_uri))["post_training_bias_metrics"]["facets"]["mean radius"]
    assert large["value_or_threshold"].startswith("(14.0, ")
    assert {"RD", "DCA", "DCR", "AD", "TE"} <= {metric["name"] for metric in large["metrics"]}
    kernel_shap = json.loads(s3.read_bytes(explained_uri))["explanations"]["kernel_shap"]["label0"]
    assert len(kernel_shap["global_shap_values"]) == 30 and "mean radius" in kernel_shap["global_shap_values"]
    local = s3.read_bytes(f"{prefix}/model-explainability/explanations_shap/out.csv").decode().splitlines()
    assert len(local) == 1 + 114  # a header, then each gold row


def test_a_high_threshold_fails_the_execution_with_the_auc(tmp_path):
    home = tmp_path / "home"
    stage_inputs(home)
    result = sagelocal(home, "pipeline", "run", str(DEFINITION), "--param", "AucThreshold=0.9999")
    assert result.returncode == 1
    assert "is below the threshold 0.9999" in result.stderr


@pytest.fixture(scope="module")
def processing_definition(tmp_path_factory) -> Path:
    """``build_pipeline_json.py --data-quality processing``, built under the socket guard."""
    built = guarded_build(tmp_path_factory.mktemp("processing"), "--data-quality", "processing")
    assert built.status == 0 and built.attempts == []
    return built.path


def test_processing_mode_registers_the_library_baseline(tmp_path, processing_definition):
    home = tmp_path / "home"
    stage_inputs(home, processing_definition)
    assert (home / "s3" / "sagemaker-us-east-1-000000000000" / "BreastCancerXGBoost" / "code" / "library"
            / "sagelocal" / "monitor" / "analyzer.py").is_file()
    result = sagelocal(home, "pipeline", "run", str(processing_definition), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    steps = {s["StepName"]: s for s in report["Steps"]}
    assert all(s["StepStatus"] == "Succeeded" for s in steps.values()) and "RegisterModel" in steps
    assert "ProcessingJob" in steps["DataQualityBaseline"]["Metadata"]

    execution_id = report["Execution"]["PipelineExecutionArn"].rsplit("/", 1)[-1]
    prefix = f"s3://sagemaker-us-east-1-000000000000/BreastCancerXGBoost/{execution_id}/data-quality"
    package = RegistryBackend(Settings(home=home)).describe_model_package(
        {"ModelPackageName": steps["RegisterModel"]["Metadata"]["RegisterModel"]["Arn"]})
    data_quality = package["ModelMetrics"]["ModelDataQuality"]
    assert data_quality["Statistics"]["S3Uri"] == f"{prefix}/statistics.json"
    assert data_quality["Constraints"]["S3Uri"] == f"{prefix}/constraints.json"
    assert package["DriftCheckBaselines"]["ModelDataQuality"] == data_quality

    s3 = LocalS3(home / "s3")
    statistics = json.loads(s3.read_bytes(data_quality["Statistics"]["S3Uri"]))
    assert statistics["dataset"]["item_count"] == 284
    assert [feature["name"] for feature in statistics["features"]] == [f"_c{i}" for i in range(31)]
    constraints = json.loads(s3.read_bytes(data_quality["Constraints"]["S3Uri"]))
    assert [feature["name"] for feature in constraints["features"]] == [f"_c{i}" for i in range(31)]
    # The files are what the job wrote, running the library it downloaded from the library input.
    [job_root] = [path.parent for path in (home / "jobs").glob("*/ml/processing/data-quality")]
    for name in ("statistics.json", "constraints.json"):
        assert s3.read_bytes(f"{prefix}/{name}") == (job_root / "data-quality" / name).read_bytes()
    assert (job_root / "input" / "library" / "sagelocal" / "monitor" / "analyzer.py").is_file()
    assert (job_root.parent / "output" / "message").is_file(), "the analyzer's message stays in the job's folder"
