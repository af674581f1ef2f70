"""Nothing stays mid-flight: a server SIGKILLed during an execution or a job, StopPipelineExecution,
StopProcessingJob and RetryPipelineExecution, all against a real server process with boto3 (and the SDK's stop).

The jobs' script starts a grandchild (``sleep``) and writes both pids to a marker file, so the tests can see that
the whole process group of a job is gone, not only the process the runtime started.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from hosting.process import ServerProcess
from sagelocal.credentials import PROFILE, credentials_path
from sagelocal.jobs.processes import ProcessId

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
ROOT = Path(__file__).resolve().parents[2]
# argv: marker file, then "sleep" (block until killed) or a flag file whose presence fails the script.
SCRIPT = """import os, pathlib, subprocess, sys, time
marker, mode = pathlib.Path(sys.argv[1]), sys.argv[2]
if mode == "sleep":
    child = subprocess.Popen(["sleep", "300"])
    marker.write_text(f"{os.getpid()} {child.pid}")
    time.sleep(300)
with marker.open("a") as runs:
    runs.write("ran\\n")
sys.exit(1 if pathlib.Path(mode).exists() else 0)
"""


def step(name: str, marker: Path, mode: str, depends_on: list[str] | None = None) -> dict:
    return {"Name": name, "Type": "Processing", **({"DependsOn": depends_on} if depends_on else {}), "Arguments": {
        "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                                                  "VolumeSizeInGB": 30}},
        "AppSpecification": {"ImageUri": SKLEARN,
                             "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/script.py"],
                             "ContainerArguments": [str(marker), mode]},
        "RoleArn": ROLE,
        "ProcessingInputs": [{"InputName": "code", "S3Input": {
            "S3Uri": "s3://pipes/code/script.py", "LocalPath": "/opt/ml/processing/input/code",
            "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        "StoppingCondition": {"MaxRuntimeInSeconds": 600}}}


@pytest.fixture
def server(tmp_path, monkeypatch):
    # The jobs report their pids in a marker file outside their folders: they run without the sandbox (whose
    # own stop is tested in tests/jobs/test_sandbox.py), so that the process groups seen here are the host's.
    monkeypatch.setenv("SAGELOCAL_JOB_ISOLATION", "none")
    server = ServerProcess(tmp_path / "home").start()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="pipes")
    s3.put_object(Bucket="pipes", Key="code/script.py", Body=SCRIPT.encode())
    yield server
    server.stop()


def pipeline(server, name: str, *steps: dict) -> str:
    definition = json.dumps({"Version": "2020-12-01", "Steps": list(steps), "Parameters": []})
    server.client("sagemaker").create_pipeline(PipelineName=name, PipelineDefinition=definition, RoleArn=ROLE)
    return server.client("sagemaker").start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]


def running_pids(marker: Path, seconds: float = 60) -> list[int]:
    """The job's pid and its grandchild's, once the job's script has started them."""
    deadline = time.monotonic() + seconds
    while not (marker.is_file() and marker.read_text().strip()):
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)
    return [int(pid) for pid in marker.read_text().split()]


def alive(pid: int) -> bool:
    return ProcessId.of(pid) is not None


def settled(sagemaker, arn: str, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while (described := sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn))[
            "PipelineExecutionStatus"] in ("Executing", "Stopping"):
        assert time.monotonic() < deadline, described
        time.sleep(0.1)
    return described


def only_job(sagemaker) -> dict:
    (summary,) = sagemaker.list_processing_jobs()["ProcessingJobSummaries"]
    return sagemaker.describe_processing_job(ProcessingJobName=summary["ProcessingJobName"])


def test_a_server_killed_mid_execution_settles_it_on_restart(server, tmp_path):
    arn = pipeline(server, "Crash", step("Sleep", tmp_path / "pids", "sleep"))
    pids = running_pids(tmp_path / "pids")
    job = only_job(server.client("sagemaker"))
    assert job["ProcessingJobStatus"] == "InProgress"  # recorded while it runs, as on AWS
    server.kill()
    assert all(alive(pid) for pid in pids)  # the orphans the restart must end

    server.start()
    sagemaker = server.client("sagemaker")
    execution = sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)
    assert execution["PipelineExecutionStatus"] == "Failed"
    assert "ended before it finished" in execution["FailureReason"]
    (sleep,) = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
    assert sleep["StepStatus"] == "Failed" and "ended before it finished" in sleep["FailureReason"]
    job = only_job(sagemaker)
    assert job["ProcessingJobStatus"] == "Failed" and "ended before it finished" in job["FailureReason"]
    assert not any(alive(pid) for pid in pids)


def test_a_server_killed_mid_job_settles_it_on_restart(server, tmp_path):
    sagemaker = server.client("sagemaker")
    sagemaker.create_processing_job(**step("Sleep", tmp_path / "pids", "sleep")["Arguments"],
                                    ProcessingJobName="sleeper")
    pids = running_pids(tmp_path / "pids")
    server.kill()
    server.start()
    job = server.client("sagemaker").describe_processing_job(ProcessingJobName="sleeper")
    assert job["ProcessingJobStatus"] == "Failed" and "ended before it finished" in job["FailureReason"]
    assert not any(alive(pid) for pid in pids)


def test_stop_pipeline_execution_stops_the_step_and_kills_its_job(server, tmp_path):
    sagemaker = server.client("sagemaker")
    arn = pipeline(server, "Stoppable", step("Sleep", tmp_path / "pids", "sleep"),
                   step("After", tmp_path / "after", "no-flag", depends_on=["Sleep"]))
    pids = running_pids(tmp_path / "pids")
    assert sagemaker.stop_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionArn"] == arn
    execution = settled(sagemaker, arn)
    assert execution["PipelineExecutionStatus"] == "Stopped"
    steps = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
    assert [(s["StepName"], s["StepStatus"]) for s in steps] == [("Sleep", "Stopped")]
    assert only_job(sagemaker)["ProcessingJobStatus"] == "Stopped"
    assert not any(alive(pid) for pid in pids) and not (tmp_path / "after").exists()
    with pytest.raises(ClientError) as again:
        sagemaker.stop_pipeline_execution(PipelineExecutionArn=arn)
    assert again.value.response["Error"]["Code"] == "ConflictException"


def test_stop_processing_job_stops_a_pipelines_job(server, tmp_path):
    """StopProcessingJob works on any InProgress job, here one a pipeline step runs: the step fails with it."""
    sagemaker = server.client("sagemaker")
    arn = pipeline(server, "JobStopped", step("Sleep", tmp_path / "pids", "sleep"))
    pids = running_pids(tmp_path / "pids")
    sagemaker.stop_processing_job(ProcessingJobName=only_job(sagemaker)["ProcessingJobName"])
    assert settled(sagemaker, arn)["PipelineExecutionStatus"] == "Failed"
    assert only_job(sagemaker)["ProcessingJobStatus"] == "Stopped"
    assert not any(alive(pid) for pid in pids)


def test_retry_reruns_only_the_failed_steps(server, tmp_path):
    sagemaker = server.client("sagemaker")
    flag = tmp_path / "fail-second"
    flag.write_text("")
    arn = pipeline(server, "Retried", step("First", tmp_path / "first", "no-flag"),
                   step("Second", tmp_path / "second", str(flag), depends_on=["First"]))
    assert settled(sagemaker, arn)["PipelineExecutionStatus"] == "Failed"
    before = {s["StepName"]: s for s in sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)[
        "PipelineExecutionSteps"]}
    assert (before["First"]["StepStatus"], before["Second"]["StepStatus"]) == ("Succeeded", "Failed")

    flag.unlink()
    assert sagemaker.retry_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionArn"] == arn
    execution = settled(sagemaker, arn)
    assert execution["PipelineExecutionStatus"] == "Succeeded" and not execution.get("FailureReason")
    after = {s["StepName"]: s for s in sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)[
        "PipelineExecutionSteps"]}
    assert after["First"] == before["First"]  # not run again
    assert after["Second"]["StepStatus"] == "Succeeded"
    assert (tmp_path / "first").read_text() == "ran\n" and (tmp_path / "second").read_text() == "ran\nran\n"
    with pytest.raises(ClientError) as again:
        sagemaker.retry_pipeline_execution(PipelineExecutionArn=arn)
    assert again.value.response["Error"]["Code"] == "ConflictException"


SDK_STOP = """
import sys
sys.path.insert(0, {tests!r})
import netguard
netguard.install()
import sagemaker.core.telemetry.telemetry_logging as telemetry
telemetry._send_telemetry_request = lambda *args, **kwargs: None
from sagemaker.core.helper.session_helper import Session
from sagemaker.mlops.workflow.pipeline import PipelineExecution

PipelineExecution(arn={arn!r}, sagemaker_session=Session()).stop()
print("attempts", netguard.ATTEMPTS)
"""


def test_the_sdks_pipeline_execution_stop(server, tmp_path):
    arn = pipeline(server, "SdkStopped", step("Sleep", tmp_path / "pids", "sleep"))
    pids = running_pids(tmp_path / "pids")
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": server.url,
           "AWS_SHARED_CREDENTIALS_FILE": str(credentials_path(server.settings)), "AWS_PROFILE": PROFILE,
           "AWS_CONFIG_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true", "SAGEMAKER_VALIDATE_ROLE": "false"}
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(variable, None)
    result = subprocess.run([sys.executable, "-c", SDK_STOP.format(tests=str(ROOT / "tests"), arn=arn)], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "attempts []" in result.stdout
    assert settled(server.client("sagemaker"), arn)["PipelineExecutionStatus"] == "Stopped"
    assert not any(alive(pid) for pid in pids)
