"""The monitoring template's three ClarifyCheck steps, built by the SageMaker SDK (template_checks.py), run offline:
the Clarify jobs, the shadow endpoint on the CreateModel step's model, SkipCheck / RegisterNewBaseline, the group's
approved DriftCheckBaselines, supplied baselines, and violations."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from clarify.models import model_archive, training_rows
from clarify.template_checks import BUCKET, GROUP, MODEL_URI, TRAIN_URI
from sagelocal.config import Settings
from sagelocal.engine import definition as definitions
from sagelocal.engine.runner import PipelineRunner
from sagelocal.registry import RegistryBackend
from sagelocal.storage.s3 import LocalS3

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ("DataBiasCheck", "ModelBiasCheck", "ModelExplainabilityCheck")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A home with the SDK's uploads, the training data and the model in local S3, and the definition."""
    home = tmp_path_factory.mktemp("home")
    settings = Settings(home=home)
    definition = home / "definition.json"
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "clarify" / "template_checks.py"),
                           str(settings.s3_root), str(definition)], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    s3 = LocalS3(settings.s3_root)
    x, y = training_rows(300, 6)
    x[:, 3] = np.round(np.abs(x[:, 3]), 3)  # the facet f3 is continuous, with 0.5 its threshold
    rows = np.column_stack([y, x])
    s3.write_bytes(TRAIN_URI, "\n".join(",".join(f"{v:g}" for v in row) for row in rows).encode() + b"\n")
    s3.write_bytes(MODEL_URI, model_archive(home, x, y).read_bytes())
    return settings, definitions.load(definition)


def run(settings, parsed, **given):
    runner = PipelineRunner(settings, parsed, parsed.resolve_parameters(given), "ClarifyTemplate")
    execution = runner.run()
    listed = runner.store.list_pipeline_execution_steps({"PipelineExecutionArn": execution["PipelineExecutionArn"]})
    return execution, {step["StepName"]: step for step in listed["PipelineExecutionSteps"]}, runner


def test_the_template_checks_baseline_register_and_then_check_against_the_approved_baselines(built):
    settings, parsed = built
    s3 = LocalS3(settings.s3_root)
    execution, steps, runner = run(settings, parsed)  # SkipChecks and RegisterNewBaselines default to true
    assert execution["PipelineExecutionStatus"] == "Succeeded", steps
    first = {name: runner.properties[name] for name in CHECKS}
    for name, kind in zip(CHECKS, ("DataBias", "ModelBias", "ModelExplainability")):
        calculated = f"s3://{BUCKET}/{runner.execution_id}/{kind}/analysis.json"
        assert first[name]["CalculatedBaselineConstraints"] == calculated
        assert first[name]["BaselineUsedForDriftCheckConstraints"] == calculated
        assert s3.exists(f"s3://{BUCKET}/{runner.execution_id}/{kind}/report.html")
    analysis = json.loads(s3.read_bytes(first["ModelBiasCheck"]["CalculatedBaselineConstraints"]))
    [group] = analysis["post_training_bias_metrics"]["facets"]["f3"]
    assert group["value_or_threshold"].startswith("(0.5, ") and {m["name"] for m in group["metrics"]} >= {
        "DPPL", "DI", "DCA", "DCR", "RD", "DAR", "DRR", "AD", "TE", "FT"}
    explained = json.loads(s3.read_bytes(first["ModelExplainabilityCheck"]["CalculatedBaselineConstraints"]))
    assert list(explained["explanations"]["kernel_shap"]["label0"]["global_shap_values"]) == [
        f"f{i}" for i in range(6)]
    assert s3.exists(f"s3://{BUCKET}/{runner.execution_id}/ModelExplainability/explanations_shap/out.csv")

    registry = RegistryBackend(settings)
    [package] = registry.list_model_packages({"ModelPackageGroupName": GROUP})["ModelPackageSummaryList"]
    baselines = registry.describe_model_package({"ModelPackageName": package["ModelPackageArn"]})["DriftCheckBaselines"]
    assert baselines["Bias"]["PostTrainingConstraints"]["S3Uri"] == first["ModelBiasCheck"][
        "CalculatedBaselineConstraints"]
    registry.update_model_package({"ModelPackageArn": package["ModelPackageArn"], "ModelApprovalStatus": "Approved"})

    execution, steps, runner = run(settings, parsed, SkipChecks="false", RegisterNewBaselines="false")
    assert execution["PipelineExecutionStatus"] == "Succeeded", steps
    for name in CHECKS:  # same data, same model: no violation, and the approved baseline stays in use
        properties = runner.properties[name]
        assert properties["BaselineUsedForDriftCheckConstraints"] == first[name]["CalculatedBaselineConstraints"]
        assert not properties["Violations"]
        report = json.loads(s3.read_bytes(properties["ViolationReport"]))
        assert report == {"version": "1.0", "violations": []}


def test_a_metric_beyond_the_supplied_baseline_fails_the_check(built):
    settings, parsed = built
    s3 = LocalS3(settings.s3_root)
    execution, _, runner = run(settings, parsed)
    calculated = runner.properties["ModelBiasCheck"]["CalculatedBaselineConstraints"]
    strict = json.loads(s3.read_bytes(calculated))
    for group in strict["post_training_bias_metrics"]["facets"]["f3"]:
        for metric in group["metrics"]:
            metric["value"] = 0.0 if metric["name"] == "DPPL" else metric["value"]
    s3.write_bytes(f"s3://{BUCKET}/strict/analysis.json", json.dumps(strict).encode())

    execution, steps, runner = run(settings, parsed, SkipChecks="false",
                                   ModelBiasSuppliedBaselineConstraints=f"s3://{BUCKET}/strict/analysis.json",
                                   DataBiasSuppliedBaselineConstraints=runner.properties["DataBiasCheck"][
                                       "CalculatedBaselineConstraints"],
                                   ModelExplainabilitySuppliedBaselineConstraints=runner.properties[
                                       "ModelExplainabilityCheck"]["CalculatedBaselineConstraints"])
    assert execution["PipelineExecutionStatus"] == "Failed"
    assert steps["ModelBiasCheck"]["StepStatus"] == "Failed"
    assert "Clarify check failed. See violation report at" in steps["ModelBiasCheck"]["FailureReason"]
    assert steps["DataBiasCheck"]["StepStatus"] == "Succeeded"
    violations = json.loads(s3.read_bytes(
        f"s3://{BUCKET}/{runner.execution_id}/ModelBias/constraint_violations.json"))["violations"]
    assert [(v["facet"], v["metric_name"], v["constraint_check_type"]) for v in violations] == [
        ("f3", "DPPL", "bias_drift_check")]
    assert violations[0]["description"].endswith("does not meet the constraint requirement")
