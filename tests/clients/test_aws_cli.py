"""The AWS CLI, unchanged, against the local server (AWS_ENDPOINT_URL only; a network guard in every CLI process):
sagemaker list-models and list-tags, logs filter-log-events, cloudwatch get-metric-statistics, sts
get-caller-identity, and AWS's error for an operation sagelocal does not serve."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from clients.jobs import run_printing_job
from clients.walkthrough import ENDPOINT, client_environment, deploy_with_traffic

# The CLI installed beside this Python (requirements.txt), else the one on PATH.
AWS = shutil.which("aws", path=str(Path(sys.executable).parent)) or shutil.which("aws")
pytestmark = pytest.mark.skipif(AWS is None, reason="the AWS CLI is not installed")


@pytest.fixture
def aws(local_server, tmp_path):
    env = client_environment(local_server, tmp_path)

    def run(*args: str, ok: bool = True) -> dict | str:
        done = subprocess.run([AWS, *args], env=env, capture_output=True, text=True, timeout=120)
        if not ok:
            assert done.returncode != 0, done.stdout
            return done.stderr
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}

    return run


def test_sts_and_sagemaker_listing_and_tags(local_server, aws):
    assert aws("sts", "get-caller-identity")["Account"] == "000000000000"
    deploy_with_traffic(local_server, requests=3)
    models = aws("sagemaker", "list-models")["Models"]
    assert [m["ModelName"] for m in models] == [f"{ENDPOINT}-model"]
    arn = models[0]["ModelArn"]
    aws("sagemaker", "add-tags", "--resource-arn", arn, "--tags", "Key=sagemaker:project-name,Value=bc")
    assert aws("sagemaker", "list-tags", "--resource-arn", arn)["Tags"] == [
        {"Key": "sagemaker:project-name", "Value": "bc"}]
    assert aws("sagemaker", "list-training-jobs")["TrainingJobSummaries"] == []
    error = aws("sagemaker", "list-clusters", ok=False)
    assert "UnknownOperationException" in error and "ListClusters is not supported" in error


def test_logs_filter_log_events(local_server, aws):
    run_printing_job(local_server, "cli-logs", 12)
    events = aws("logs", "filter-log-events", "--log-group-name", "/aws/sagemaker/ProcessingJobs",
                 "--filter-pattern", '"line 1"')["events"]
    assert [e["message"] for e in events] == ["line 1", "line 10", "line 11", "line 12"]


def test_cloudwatch_get_metric_statistics_on_invocations(local_server, aws):
    deploy_with_traffic(local_server, requests=5)
    now = datetime.now(timezone.utc)
    window = ["--start-time", (now - timedelta(hours=1)).isoformat(), "--end-time", (now + timedelta(minutes=5)).isoformat()]
    result = aws("cloudwatch", "get-metric-statistics", "--namespace", "AWS/SageMaker", "--metric-name", "Invocations",
                 "--dimensions", f"Name=EndpointName,Value={ENDPOINT}", "Name=VariantName,Value=AllTraffic",
                 "--period", "3600", "--statistics", "Sum", *window)
    assert sum(p["Sum"] for p in result["Datapoints"]) == 5
    listed = aws("cloudwatch", "list-metrics", "--namespace", "AWS/SageMaker")["Metrics"]
    assert {"Invocations", "ModelLatency", "Invocation4XXErrors"} <= {m["MetricName"] for m in listed}
