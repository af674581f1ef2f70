"""The QualityCheck step's job semantics, with the real analyzer (issue 3) on AWS's own fixture data."""
from __future__ import annotations


import pytest

from sagelocal.config import Settings
from sagelocal.jobs.container import JobFailed
from sagelocal.jobs.quality_check import run_quality_check
from sagelocal.storage.s3 import LocalS3

IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"


def step(skip_check, register_new, fail_on_violation=True, supplied=(None, None)):
    return {
        "CheckType": "DATA_QUALITY", "ModelPackageGroupName": "group", "SkipCheck": skip_check,
        "RegisterNewBaseline": register_new, "FailOnViolation": fail_on_violation,
        "SuppliedBaselineStatistics": supplied[0], "SuppliedBaselineConstraints": supplied[1],
        "Arguments": {
            "ProcessingInputs": [{"InputName": "baseline_dataset_input", "S3Input": {
                "S3Uri": "s3://data/dataset", "LocalPath": "/opt/ml/processing/input/baseline_dataset_input",
                "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
            "ProcessingOutputConfig": {"Outputs": [{"OutputName": "quality_check_output", "S3Output": {
                "S3Uri": "s3://data/out", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
            "AppSpecification": {"ImageUri": IMAGE},
            "StoppingCondition": {"MaxRuntimeInSeconds": 300},
            "Environment": {"output_path": "/opt/ml/processing/output", "publish_cloudwatch_metrics": "Disabled",
                            "dataset_format": '{"csv": {"header": false, "output_columns_position": "START"}}',
                            "dataset_source": "/opt/ml/processing/input/baseline_dataset_input"},
        },
    }


@pytest.fixture
def settings(tmp_path, fixtures_dir):
    settings = Settings(home=tmp_path)
    s3 = LocalS3(settings.s3_root)
    data = fixtures_dir / "model-monitor-quality-check-step" / "data_quality"
    s3.copy_in(data / "baseline_dataset.csv", "s3://data/dataset/baseline_dataset.csv")
    s3.copy_in(data / "statistics.json", "s3://data/supplied/statistics.json")
    for case in ("good_cases", "bad_cases"):
        s3.copy_in(data / case / "constraints.json", f"s3://data/{case}/constraints.json")
    return settings


GOOD = ("s3://data/supplied/statistics.json", "s3://data/good_cases/constraints.json")
BAD = ("s3://data/supplied/statistics.json", "s3://data/bad_cases/constraints.json")


def test_skip_check_computes_and_registers_a_new_baseline(settings):
    result = run_quality_check(settings, "qc-1", step(True, True), previous=None)
    assert result["CalculatedBaselineStatistics"] == "s3://data/out/statistics.json"
    assert result["BaselineUsedForDriftCheckConstraints"] == "s3://data/out/constraints.json"
    assert LocalS3(settings.s3_root).exists("s3://data/out/constraints.json")
    assert len(result["CheckJobConfig"]["ProcessingJobArns"]) == 1 and not result["Violations"]


def test_check_against_a_supplied_baseline_keeps_it_for_drift_checks(settings):
    result = run_quality_check(settings, "qc-2", step(False, False, supplied=GOOD), previous=None)
    assert not result["Violations"]
    assert (result["BaselineUsedForDriftCheckStatistics"], result["BaselineUsedForDriftCheckConstraints"]) == GOOD


def test_violations_fail_the_step_only_with_fail_on_violation(settings):
    with pytest.raises(JobFailed, match="Quality check failed. See violation report at s3://data/out/"):
        run_quality_check(settings, "qc-3", step(False, False, supplied=BAD), previous=None)
    result = run_quality_check(settings, "qc-4", step(False, True, fail_on_violation=False), previous=BAD)
    assert result["Violations"] and result["BaselineUsedForDriftCheckStatistics"] == "s3://data/out/statistics.json"


def test_checking_without_any_baseline_is_an_error(settings):
    with pytest.raises(JobFailed, match="no baseline to check against"):
        run_quality_check(settings, "qc-5", step(False, False), previous=None)
