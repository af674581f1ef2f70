"""The same scripts, run as a user runs them, against the local server: only --endpoint-url differs from AWS.

Deploy → traffic → monitoring → review setup → cleanup.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from servers import start_local_server
from hosting.deploy import train_booster
from sagelocal.credentials import PROFILE, credentials_path
from sagelocal.jobs.serving import make_model_archive

ROOT = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ENDPOINT = "breast-cancer-xgboost"
CAPTURE = "s3://demo/datacapture"
OWN_SCRIPTS = {"deploy_endpoint.py", "send_traffic.py", "setup_monitoring.py", "setup_review.py", "cleanup.py"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    started = start_local_server(tmp_path_factory.mktemp("e2e") / "home")
    yield started
    started.stop()


def run_script(server, name: str, *args: str) -> subprocess.CompletedProcess:
    """``python scripts/NAME ARGS --endpoint-url URL --region us-east-1``, as a user would, with the server's
    credentials file as the shared credentials file (its profile by --profile, or AWS_PROFILE for scripts
    without that flag)."""
    env = {**os.environ, "AWS_SHARED_CREDENTIALS_FILE": str(credentials_path(server.settings)),
           "AWS_CONFIG_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": PROFILE}
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(variable, None)
    profile = ["--profile", PROFILE] if name in OWN_SCRIPTS else []
    command = [sys.executable, str(ROOT / "scripts" / name), *args, "--endpoint-url", server.url,
               "--region", "us-east-1", *profile]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def deployed(server):
    """An approved package (a real XGBoost model) in the registry, deployed by deploy_endpoint.py."""
    s3, sagemaker = server.client("s3"), server.client("sagemaker")
    s3.create_bucket(Bucket="demo")
    s3.put_object(Bucket="demo", Key="model/model.tar.gz", Body=make_model_archive(train_booster()))
    header = ",".join(["row_id", "split", *(f"f{j}" for j in range(30)), "label", "label_source"])
    rows = "\n".join(f"bc-{i:04d},production," + ",".join(f"{(i * 7 + j) % 11 / 10:.1f}" for j in range(30)) + ",,"
                     for i in range(12))
    s3.put_object(Bucket="demo", Key="input/data.csv", Body=f"{header}\n{rows}\n".encode())
    # What the baseline tests below read: label first, no header, as a training channel holds it.
    s3.put_object(Bucket="demo", Key="test/test.csv", Body="\n".join(
        "1," + ",".join(f"{(i * 7 + j) % 11 / 10:.1f}" for j in range(30)) for i in range(12)).encode())
    sagemaker.create_model_package_group(ModelPackageGroupName=ENDPOINT)
    sagemaker.create_model_package(
        ModelPackageGroupName=ENDPOINT, ModelApprovalStatus="Approved",
        InferenceSpecification={"Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": "s3://demo/model/model.tar.gz"}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]})
    result = run_script(server, "deploy_endpoint.py", "--role", ROLE, "--capture-uri", CAPTURE, "--poll-seconds", "0.2")
    assert f"endpoint {ENDPOINT}: InService" in result.stdout
    return server


@pytest.fixture(scope="module")
def traffic(deployed):
    """The production rows sent once by send_traffic.py: what the monitoring tests analyse."""
    return run_script(deployed, "send_traffic.py", "s3://demo/input/data.csv")


def test_traffic_is_served_and_captured(deployed, traffic):
    assert f"sent 12 production rows to {ENDPOINT}" in traffic.stdout
    listed = deployed.client("s3").list_objects_v2(Bucket="demo", Prefix=f"datacapture/{ENDPOINT}/AllTraffic/")
    assert listed["KeyCount"] >= 1 and all(o["Key"].endswith(".jsonl") for o in listed["Contents"])
    records = [json.loads(line) for item in listed["Contents"] for line in deployed.client("s3").get_object(
        Bucket="demo", Key=item["Key"])["Body"].read().decode().splitlines()]
    # Each case's row id is the capture's inferenceId, which maps a prediction back to its case.
    assert sorted(r["eventMetadata"]["inferenceId"] for r in records) == [f"bc-{i:04d}" for i in range(12)]


def test_monitoring_pipeline_runs_on_the_capture(deployed, traffic, tmp_path):
    suggest_baseline(deployed, tmp_path)
    run_script(deployed, "setup_monitoring.py", "pipeline", "--role", ROLE, "--bucket", "demo",
               "--capture-uri", f"{CAPTURE}/{ENDPOINT}", "--statistics-uri", "s3://demo/baseline/statistics.json",
               "--constraints-uri", "s3://demo/baseline/constraints.json", "--start-now")
    sagemaker = deployed.client("sagemaker")
    (execution,) = sagemaker.list_pipeline_executions(PipelineName="BreastCancerMonitoring")["PipelineExecutionSummaries"]
    arn = execution["PipelineExecutionArn"]
    deadline = time.monotonic() + 120
    while (status := sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionStatus"]) \
            == "Executing" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert status == "Succeeded"
    reports = deployed.client("s3").list_objects_v2(Bucket="demo", Prefix="BreastCancerMonitoring/reports/")
    assert {o["Key"].rsplit("/", 1)[-1] for o in reports["Contents"]} >= {"statistics.json"}


def suggest_baseline(server, tmp_path: Path) -> None:
    """Baseline statistics and constraints from the test rows, by the analyzer's Model Monitor contract."""
    data, output = tmp_path / "data", tmp_path / "baseline"
    data.mkdir()
    (data / "baseline.csv").write_bytes(server.client("s3").get_object(Bucket="demo", Key="test/test.csv")["Body"].read())
    env = {**os.environ, "dataset_format": '{"csv": {"header": false}}', "dataset_source": str(data),
           "output_path": str(output), "publish_cloudwatch_metrics": "Disabled",
           "output_message_file": str(tmp_path / "message")}
    made = subprocess.run([sys.executable, "-m", "sagelocal.monitor.analyzer"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    for name in ("statistics.json", "constraints.json"):
        server.client("s3").put_object(Bucket="demo", Key=f"baseline/{name}", Body=(output / name).read_bytes())


def test_model_monitor_schedule(deployed):
    run_script(deployed, "setup_monitoring.py", "model-monitor", "--role", ROLE, "--report-uri", "s3://demo/monitoring",
               "--statistics-uri", "s3://demo/baseline/statistics.json",
               "--constraints-uri", "s3://demo/baseline/constraints.json")
    schedules = deployed.client("sagemaker").list_monitoring_schedules()["MonitoringScheduleSummaries"]
    assert "breast-cancer-data-quality" in [s["MonitoringScheduleName"] for s in schedules]


def test_model_monitor_baseline_job_then_schedule(deployed, traffic):
    """The DefaultModelMonitor flow: CreateProcessingJob with the analyzer on the dataset, then the schedule on
    its statistics and constraints; an execution's processing job is described as on AWS."""
    result = run_script(deployed, "setup_monitoring.py", "model-monitor", "--role", ROLE,
                        "--report-uri", "s3://demo/baselined", "--baseline-dataset", "s3://demo/test/test.csv",
                        "--schedule-name", "baselined", "--poll-seconds", "0.2")
    assert f"baseline job {ENDPOINT}-baseline-" in result.stdout and ": Completed" in result.stdout
    sagemaker = deployed.client("sagemaker")
    baseline = sagemaker.describe_monitoring_schedule(MonitoringScheduleName="baselined")[
        "MonitoringScheduleConfig"]["MonitoringJobDefinition"]["BaselineConfig"]
    assert baseline["ConstraintsResource"]["S3Uri"] == "s3://demo/baselined/baseline/constraints.json"
    keys = {o["Key"] for o in deployed.client("s3").list_objects_v2(Bucket="demo", Prefix="baselined/baseline/")["Contents"]}
    assert {"baselined/baseline/statistics.json", "baselined/baseline/constraints.json"} <= keys
    execution = deployed.app.state.backends["schedules"].run_now("baselined")
    assert execution["MonitoringExecutionStatus"] in ("Completed", "CompletedWithViolations"), execution
    job = sagemaker.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].rsplit("/", 1)[-1])
    assert job["ProcessingJobStatus"] == "Completed"
    assert job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == execution["ReportUri"]


def test_review_setup(deployed, tmp_path):
    template = tmp_path / "review.liquid.html"
    template.write_text("<crowd-form><p>{{ task.input.probability }}</p></crowd-form>")
    team = deployed.client("sagemaker").create_workteam(
        WorkteamName="reviewers", Description="local reviewers",
        MemberDefinitions=[{"CognitoMemberDefinition": {"UserPool": "us-east-1_local", "UserGroup": "reviewers",
                                                        "ClientId": "local"}}])["WorkteamArn"]
    result = run_script(deployed, "setup_review.py", "--workteam-arn", team, "--role", ROLE,
                        "--output-uri", "s3://demo/a2i", "--template", str(template), "--poll-seconds", "0.2")
    assert "Active" in result.stdout


def test_cleanup_then_again(deployed):
    result = run_script(deployed, "cleanup.py")
    assert f"delete_endpoint {ENDPOINT}: deleted" in result.stdout
    assert "delete_model" in result.stdout and "delete_endpoint_config" in result.stdout
    again = run_script(deployed, "cleanup.py")
    assert f"delete_endpoint {ENDPOINT}: already gone" in again.stdout
    assert deployed.client("sagemaker").list_endpoints()["Endpoints"] == []
