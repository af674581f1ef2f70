"""The build template's definition runs every step unchanged: with ``sagelocal pipeline run``, and through
``sagelocal serve`` with CreatePipeline + StartPipelineExecution as the template's run_pipeline.py does."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from hosting.process import ServerProcess
from templates.build_template import DEFINITION, EVALUATION, PROJECT, STEPS, place_template

ROOT = Path(__file__).resolve().parents[2]
MSE_THRESHOLD = 6.0  # the template's own condition


def assert_mse_within_threshold(home: Path) -> None:
    """The evaluate step's report, as evaluate.py wrote it (from the pickled model it loaded)."""
    report = json.loads((home / "s3" / EVALUATION).read_text())
    assert report["regression_metrics"]["mse"]["value"] <= MSE_THRESHOLD


def test_pipeline_run_runs_every_step(tmp_path):
    home = place_template(tmp_path / "home")
    done = subprocess.run([sys.executable, "-m", "sagelocal", "pipeline", "run", str(DEFINITION), "--json"],
                          env={**os.environ, "SAGELOCAL_HOME": str(home), "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert {step["StepName"]: step["StepStatus"] for step in report["Steps"]} == dict.fromkeys(STEPS, "Succeeded")
    registered = [s["Metadata"]["RegisterModel"]["Arn"] for s in report["Steps"] if "RegisterModel" in s["Metadata"]]
    assert registered and f"model-package/{PROJECT}/" in registered[0]
    assert_mse_within_threshold(home)


def test_serve_runs_it_as_run_pipeline_py_does(tmp_path):
    """upsert() then start() then wait(), as boto3 calls: CreatePipeline, StartPipelineExecution, Describe..."""
    server = ServerProcess(place_template(tmp_path / "home")).start()
    try:
        sagemaker = server.client("sagemaker")
        sagemaker.create_pipeline(PipelineName=PROJECT, PipelineDefinition=DEFINITION.read_text(),
                                  RoleArn="arn:aws:iam::000000000000:role/service-role/"
                                          "AmazonSageMakerServiceCatalogProductsUseRole")
        arn = sagemaker.start_pipeline_execution(PipelineName=PROJECT)["PipelineExecutionArn"]
        deadline = time.monotonic() + 900
        while (status := sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)
               ["PipelineExecutionStatus"]) == "Executing":
            assert time.monotonic() < deadline
            time.sleep(1)
        steps = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
        assert status == "Succeeded", [(s["StepName"], s.get("FailureReason")) for s in steps]
        assert {step["StepName"]: step["StepStatus"] for step in steps} == dict.fromkeys(STEPS, "Succeeded")
        packages = sagemaker.list_model_packages(ModelPackageGroupName=PROJECT)["ModelPackageSummaryList"]
        assert [p["ModelApprovalStatus"] for p in packages] == ["PendingManualApproval"]
    finally:
        server.stop()
    assert_mse_within_threshold(server.settings.home)
