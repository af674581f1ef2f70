"""``pipeline.json`` is what the documented command writes today, and writing it never touches the network."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = [sys.executable, str(ROOT / "scripts" / "build_pipeline_json.py")]


def test_committed_pipeline_json_is_current(built):
    # The committed file came from another process at another time, so equality also shows the build is stable.
    committed = (ROOT / "pipeline.json").read_bytes()
    assert committed == built.text, "pipeline.json is stale: run `make pipeline-json` and commit the result"


def test_committed_clarify_configurations_are_current(built):
    """The SDK's build-time uploads, written beside the definition, are the committed ones (the deploy uploads
    those)."""
    built_files = sorted(path.relative_to(built.path.parent) for path in (built.path.parent / "clarify").rglob("*.json"))
    assert [str(path) for path in built_files] == ["clarify/model-bias/analysis_config.json",
                                                   "clarify/model-explainability/analysis_config.json"]
    for path in built_files:
        assert (ROOT / path).read_bytes() == (built.path.parent / path).read_bytes(), (
            f"{path} is stale: run `make pipeline-json` and commit the result")


def test_build_makes_no_network_attempt(built):
    assert built.status == 0
    assert built.attempts == []


def test_build_prints_one_summary_line(built):
    lines = built.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("wrote ") and "8 top-level steps" in lines[0]
    assert lines[0].endswith("and 2 build-time files beside it")


def test_flags_set_region_role_bucket_and_names(tmp_path):
    output = tmp_path / "eu.json"
    role = "arn:aws:iam::123456789012:role/Pipelines"
    subprocess.run(BUILD + ["--region", "eu-west-1", "--role", role, "--bucket", "my-ml-bucket",
                            "--pipeline-name", "breast-cancer-p-abc123", "--model-package-group", "bc-models",
                            "--output", str(output)], check=True, capture_output=True, timeout=300)
    text = output.read_text()
    definition = json.loads(text)
    preprocess = definition["Steps"][0]["Arguments"]
    assert preprocess["RoleArn"] == role
    assert preprocess["AppSpecification"]["ImageUri"].startswith("141502667606.dkr.ecr.eu-west-1.amazonaws.com/")
    assert "s3://my-ml-bucket/breast-cancer-p-abc123/code/preprocess.py" in text
    assert "000000000000" not in text and "us-east-1" not in text and "BreastCancerXGBoost" not in text
    data_quality = next(step for step in definition["Steps"] if step["Name"] == "DataQualityBaseline")
    register = definition["Steps"][-1]["Arguments"]["IfSteps"][0]["Arguments"]
    assert data_quality["ModelPackageGroupName"] == register["ModelPackageGroupName"] == "bc-models"
    assert "breast-cancer-xgboost" not in text


def test_an_unknown_data_quality_mode_is_refused(tmp_path):
    result = subprocess.run(BUILD + ["--data-quality", "clarify", "--output", str(tmp_path / "x.json")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "invalid choice: 'clarify'" in result.stderr
    assert not (tmp_path / "x.json").exists()


def test_a_role_name_instead_of_an_arn_is_refused(tmp_path):
    result = subprocess.run(BUILD + ["--role", "SageMakerRole", "--output", str(tmp_path / "x.json")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert "role must be an IAM role ARN" in result.stderr and "'SageMakerRole'" in result.stderr
    assert not (tmp_path / "x.json").exists()
