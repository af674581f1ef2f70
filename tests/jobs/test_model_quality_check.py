"""QualityCheck steps with CheckType MODEL_QUALITY, from a definition the SDK builds (ModelQualityCheckConfig,
QualityCheckStep) offline, run by the pipeline runner with the real analyzer on AWS's regression fixture."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sagelocal.config import Settings
from sagelocal.engine import definition as definitions
from sagelocal.engine.runner import PipelineRunner
from sagelocal.storage.s3 import LocalS3

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "s3://quality"
# The SDK builds the definition in a child process (it reads region and credentials at import time), offline.
BUILD = """
import json, os, sys
sys.path.insert(0, {scripts!r})
from build_pipeline_json import configure_offline_sdk, silence_sdk
configure_offline_sdk("us-east-1")
silence_sdk()
from sagemaker.core.workflow.parameters import ParameterBoolean, ParameterString
from sagemaker.core.model_monitor.dataset_format import DatasetFormat
from sagemaker.core.workflow.pipeline_context import PipelineSession
from sagemaker.mlops.workflow.check_job_config import CheckJobConfig
from sagemaker.mlops.workflow.pipeline import Pipeline
from sagemaker.mlops.workflow.quality_check_step import ModelQualityCheckConfig, QualityCheckStep

session = PipelineSession(default_bucket="quality")
skip = ParameterBoolean(name="SkipCheck", default_value=True)
register = ParameterBoolean(name="RegisterNewBaseline", default_value=True)
statistics = ParameterString(name="SuppliedStatistics", default_value="")
constraints = ParameterString(name="SuppliedConstraints", default_value="")
step = QualityCheckStep(
    name="ModelQuality",
    quality_check_config=ModelQualityCheckConfig(
        baseline_dataset="{bucket}/data/baseline_dataset.csv", dataset_format=DatasetFormat.csv(header=True),
        output_s3_uri="{bucket}/model-quality", problem_type="Regression", inference_attribute="Prediction",
        ground_truth_attribute="Label"),
    check_job_config=CheckJobConfig(role="arn:aws:iam::000000000000:role/SageMakerRole", instance_count=1,
                                    instance_type="ml.m5.xlarge", sagemaker_session=session),
    skip_check=skip, register_new_baseline=register, model_package_group_name="group",
    supplied_baseline_statistics=statistics, supplied_baseline_constraints=constraints)
pipeline = Pipeline(name="model-quality", parameters=[skip, register, statistics, constraints], steps=[step],
                    sagemaker_session=session)
print(pipeline.definition())
"""


@pytest.fixture(scope="module")
def definition_file(tmp_path_factory):
    code = BUILD.format(scripts=str(ROOT / "scripts"), bucket=BUCKET)
    built = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    path = tmp_path_factory.mktemp("definition") / "pipeline.json"
    path.write_text(built.stdout)
    return path


@pytest.fixture
def settings(tmp_path, fixtures_dir):
    settings = Settings(home=tmp_path)
    s3 = LocalS3(settings.s3_root)
    data = fixtures_dir / "model-monitor-quality-check-step" / "model_quality"
    s3.copy_in(data / "baseline_dataset.csv", f"{BUCKET}/data/baseline_dataset.csv")
    s3.copy_in(data / "statistics.json", f"{BUCKET}/supplied/statistics.json")
    for case in ("good_cases", "bad_cases"):
        s3.copy_in(data / case / "constraints.json", f"{BUCKET}/{case}/constraints.json")
    return settings


def run(settings, definition_file, **given):
    parsed = definitions.load(definition_file)
    runner = PipelineRunner(settings, parsed, parsed.resolve_parameters(given), "model-quality")
    execution = runner.run()
    (step,) = runner.store.list_pipeline_execution_steps(
        {"PipelineExecutionArn": execution["PipelineExecutionArn"]})["PipelineExecutionSteps"]
    return execution, step


def test_skip_check_registers_the_calculated_baseline(settings, definition_file, fixtures_dir):
    (built,) = json.loads(definition_file.read_text())["Steps"]  # what the SDK asks the analyzer for
    assert built["CheckType"] == "MODEL_QUALITY" and built["Arguments"]["Environment"]["problem_type"] == "Regression"
    execution, step = run(settings, definition_file)
    assert execution["PipelineExecutionStatus"] == "Succeeded", step.get("FailureReason")
    check = step["Metadata"]["QualityCheck"]
    assert check["CheckType"] == "MODEL_QUALITY"
    assert check["BaselineUsedForDriftCheckConstraints"] == f"{BUCKET}/model-quality/constraints.json"
    expected = fixtures_dir / "model-monitor-quality-check-step" / "model_quality" / "good_cases" / "constraints.json"
    written = LocalS3(settings.s3_root).read_bytes(f"{BUCKET}/model-quality/constraints.json")
    assert written.decode() == expected.read_text()


def test_check_against_supplied_constraints(settings, definition_file):
    good = {"SuppliedStatistics": f"{BUCKET}/supplied/statistics.json",
            "SuppliedConstraints": f"{BUCKET}/good_cases/constraints.json"}
    execution, step = run(settings, definition_file, SkipCheck="false", RegisterNewBaseline="false", **good)
    assert execution["PipelineExecutionStatus"] == "Succeeded", step.get("FailureReason")
    assert step["Metadata"]["QualityCheck"]["BaselineUsedForDriftCheckConstraints"] == good["SuppliedConstraints"]

    bad = dict(good, SuppliedConstraints=f"{BUCKET}/bad_cases/constraints.json")
    execution, step = run(settings, definition_file, SkipCheck="false", RegisterNewBaseline="false", **bad)
    assert execution["PipelineExecutionStatus"] == "Failed"
    assert "Quality check failed. See violation report at s3://quality/model-quality/" in step["FailureReason"]
    report = json.loads(LocalS3(settings.s3_root).read_bytes(f"{BUCKET}/model-quality/constraint_violations.json"))
    assert [v["metric_name"] for v in report["violations"]] == ["mse"]
