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

from sagelocal.config import Settings
from sagelocal.registry import RegistryBackend
from sagelocal.storage.s3 import LocalS3

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = ROOT / "pipeline.json"

pytestmark = [
    pytest.mark.skipif(not DEFINITION.is_file(), reason="pipeline.json has not been generated yet"),
    pytest.mark.skipif(importlib.util.find_spec("sagelocal.monitor.analyzer") is None,
                       reason="the QualityCheck step needs sagelocal.monitor.analyzer (issue 3), not landed yet"),
]


def stage_inputs(home: Path) -> None:
    """What the demo does first: the input CSV and the step scripts at the URIs the definition names."""
    definition = json.loads(DEFINITION.read_text())
    data_uri = next(p["DefaultValue"] for p in definition["Parameters"] if p["Name"] == "InputDataUrl")
    made = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_input_data.py"), "--s3-root",
                           str(home / "s3"), data_uri], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    s3 = LocalS3(home / "s3")
    for step in definition["Steps"]:
        for item in step["Arguments"].get("ProcessingInputs", []):
            if item["InputName"] == "code":
                uri = item["S3Input"]["S3Uri"]
                s3.copy_in(ROOT / "steps" / uri.rsplit("/", 1)[-1], uri)


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
    assert set(steps) == {"PreprocessData", "TrainXGBoost", "EvaluateModel", "DataQualityBaseline",
                          "CheckAucThreshold", "RegisterModel"}
    assert all(s["StepStatus"] == "Succeeded" for s in steps.values())
    assert "[+] RegisterModel" in result.stderr, "plain progress lines when no terminal is attached"

    execution_id = report["Execution"]["PipelineExecutionArn"].rsplit("/", 1)[-1]
    s3 = LocalS3(home / "s3")
    prefix = f"s3://sagemaker-us-east-1-000000000000/BreastCancerXGBoost/{execution_id}"
    assert len(s3.read_bytes(f"{prefix}/train/train.csv").decode().splitlines()) == 455
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


def test_a_high_threshold_fails_the_execution_with_the_auc(tmp_path):
    home = tmp_path / "home"
    stage_inputs(home)
    result = sagelocal(home, "pipeline", "run", str(DEFINITION), "--param", "AucThreshold=0.9999")
    assert result.returncode == 1
    assert "is below the threshold 0.9999" in result.stderr
