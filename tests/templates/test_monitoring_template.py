"""The monitoring template's pipeline, built with the SDK v3 as its seed code shapes it, runs every step with
``sagelocal pipeline run``: the checks first skipped with new baselines registered (as the seed code's first run
does), then, once that version is approved, checked against the baselines it carries. DescribeModelPackage shows
each version's ModelMetrics (what this run calculated) and DriftCheckBaselines (what the checks compared against),
in botocore's shapes, every URI a file in local S3."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest

from hosting.process import ServerProcess
from sagelocal.credentials import client_kwargs
from templates.build_template import TEMPLATE, place_template
from transform.test_transform_pipeline import raw_response, unknown_members

ROOT = Path(__file__).resolve().parents[2]
BUILDER = Path(__file__).with_name("monitoring_template.py")
GUARDED = """import runpy, sys
sys.path.insert(0, {tests!r})
import netguard
netguard.install()
sys.argv = [{script!r}, *sys.argv[1:]]
runpy.run_path({script!r}, run_name="__main__")
assert not netguard.ATTEMPTS, netguard.ATTEMPTS
"""
sys.path.insert(0, str(BUILDER.parent))
from monitoring_template import BUCKET, CHECKS, PROJECT  # noqa: E402  (the builder's own constants)

STEPS = ("PreprocessAbaloneData", "DataQualityCheckStep", "DataBiasCheckStep", "TrainAbaloneModel",
         "AbaloneCreateModel", "AbaloneTransform", "ModelQualityCheckStep", "ModelBiasCheckStep",
         "ModelExplainabilityCheckStep", "EvaluateAbaloneModel", "CheckMSEAbaloneEvaluation", "RegisterAbaloneModel")
METRICS = {"ModelQuality": {"Statistics", "Constraints"}, "ModelDataQuality": {"Statistics", "Constraints"},
           "Bias": {"PreTrainingReport", "PostTrainingReport"}, "Explainability": {"Report"}}
BASELINES = {"ModelQuality": {"Statistics", "Constraints"}, "ModelDataQuality": {"Statistics", "Constraints"},
             "Bias": {"ConfigFile", "PreTrainingConstraints", "PostTrainingConstraints"},
             "Explainability": {"Constraints", "ConfigFile"}}


def seed_script(name: str) -> str:
    """The S3 URI where the build template's fixture holds the seed code's script ``name``."""
    [path] = (TEMPLATE / "s3").rglob(name)
    return f"s3://{path.relative_to(TEMPLATE / 's3')}"


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """A home with the seed scripts and the abalone data, and the definition the SDK built against its server."""
    home = place_template(tmp_path_factory.mktemp("monitoring") / "home")
    server = ServerProcess(home).start()
    try:
        server.client("s3").create_bucket(Bucket=BUCKET)
        access = client_kwargs(server.settings, server.url)
        env = {**os.environ, "AWS_ENDPOINT_URL": server.url, "AWS_ACCESS_KEY_ID": access["aws_access_key_id"],
               "AWS_SECRET_ACCESS_KEY": access["aws_secret_access_key"]}
        done = subprocess.run([sys.executable, "-c", GUARDED.format(tests=str(ROOT / "tests"), script=str(BUILDER)),
                               str(home / "definition.json"), seed_script("preprocess.py"),
                               seed_script("evaluate.py")], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
    finally:
        server.stop()
    return home


def run_pipeline(home: Path, *params: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "sagelocal", "pipeline", "run", str(home / "definition.json"),
                           "--pipeline-name", PROJECT, "--json", *(f"--param={param}" for param in params)],
                          env={**os.environ, "SAGELOCAL_HOME": str(home), "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert {step["StepName"]: step["StepStatus"] for step in report["Steps"]} == dict.fromkeys(STEPS, "Succeeded")
    return report


def described_version(home: Path, version: int, approve: bool = False) -> dict:
    """DescribeModelPackage's JSON for the group's ``version``, checked against botocore's output shape."""
    server = ServerProcess(home).start()
    try:
        sagemaker = server.client("sagemaker")
        arn = f"arn:aws:sagemaker:us-east-1:000000000000:model-package/{PROJECT}/{version}"
        described = raw_response(sagemaker, "DescribeModelPackage", ModelPackageName=arn)
        if approve:
            sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    finally:
        server.stop()
    shape = botocore.session.get_session().get_service_model("sagemaker").operation_model(
        "DescribeModelPackage").output_shape
    assert unknown_members(described, shape) == []
    return described


def sources(home: Path, section: dict, kinds: dict) -> dict[tuple[str, str], str]:
    """(kind, member) -> S3 URI of every source in ``section``, which has exactly ``kinds``; each is a JSON file."""
    assert {kind: set(members) for kind, members in section.items()} == kinds
    found = {}
    for kind, members in section.items():
        for member, source in members.items():
            assert source["ContentType"] == "application/json"
            json.loads((home / "s3" / source["S3Uri"].removeprefix("s3://")).read_text())
            found[kind, member] = source["S3Uri"]
    return found


def execution_of(uri: str) -> str | None:
    """The execution id in a check's output URI (``<prefix>/<execution id>/<check>/...``); None for config files."""
    parts = uri.removeprefix(f"s3://{BUCKET}/{PROJECT}/").split("/")
    return parts[0] if len(parts) == 3 else None


def execution_id(report: dict) -> str:
    return report["Execution"]["PipelineExecutionArn"].rsplit("/", 1)[1]


@pytest.fixture(scope="module")
def first_run(home) -> dict:
    """The seed code's first run: every check skipped, every baseline registered new."""
    return run_pipeline(home, *(f"{switch}{check}{suffix}=true" for check in CHECKS
                                for switch, suffix in (("Skip", "Check"), ("RegisterNew", "Baseline"))))


def test_first_run_registers_the_baselines_it_calculated(home, first_run):
    first = first_run
    described = described_version(home, 1)
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    metrics = sources(home, described["ModelMetrics"], METRICS)
    baselines = sources(home, described["DriftCheckBaselines"], BASELINES)
    assert {execution_of(uri) for uri in metrics.values()} == {execution_id(first)}
    assert {execution_of(uri) for uri in baselines.values()} == {execution_id(first), None}
    # The Clarify baselines and reports are the checks' analysis.json; the config files are the SDK's uploads.
    assert baselines["Bias", "PreTrainingConstraints"] == metrics["Bias", "PreTrainingReport"]
    assert baselines["Bias", "ConfigFile"].endswith("/analysis_config.json")
    assert json.loads((home / "s3" / baselines["Explainability", "ConfigFile"][5:]).read_text())["methods"]["shap"]


def test_checks_run_against_the_approved_versions_baselines(home, first_run):
    """Checks on, no new baseline: the new version's drift baselines stay those of the approved version 1.
    The new split may be worse than the baseline (a violation, as on AWS): the checks report and go on."""
    first_baselines = sources(home, described_version(home, 1, approve=True)["DriftCheckBaselines"], BASELINES)
    second = run_pipeline(home, "FailOnViolation=false")
    described = described_version(home, 2)
    metrics = sources(home, described["ModelMetrics"], METRICS)
    assert {execution_of(uri) for uri in metrics.values()} == {execution_id(second)}
    assert sources(home, described["DriftCheckBaselines"], BASELINES) == first_baselines
