"""Each job runs in a bubblewrap sandbox: SageMaker's paths at their real places, nothing writable outside its
own folder and its private /tmp, as root and as a normal user; where namespaces cannot be made, a clear error
and a way to run without isolation."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from sagelocal.config import Settings
from sagelocal.jobs.backend import ProcessingAndTrainingJobsBackend
from sagelocal.jobs.container import JobFailed
from sagelocal.jobs.processing import run_processing_job
from sagelocal.storage.s3 import LocalS3

ROOT = Path(__file__).resolve().parents[2]
SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
# Writes its answers where SageMaker's scripts do: literal /opt/ml paths, nothing passed in arguments.
LITERAL_PATHS = """import json, os, pathlib, socket
config = json.loads(pathlib.Path("/opt/ml/config/processingjobconfig.json").read_text())
resources = json.loads(pathlib.Path("/opt/ml/config/resourceconfig.json").read_text())
pathlib.Path("/opt/ml/processing/scratch").mkdir()  # a folder no input or output names, as the template makes
pathlib.Path("/tmp/private").write_text("mine")
pathlib.Path("/opt/ml/processing/result/seen.json").write_text(json.dumps({
    "data": pathlib.Path("/opt/ml/processing/input/data/rows.csv").read_text(),
    "job": config["ProcessingJobName"], "host": resources["current_host"], "hostname": socket.gethostname(),
    "cwd": os.getcwd(), "home": os.environ["HOME"]}))
"""
WRITE_ONE = """import pathlib, sys
pathlib.Path(sys.argv[1]).write_text("escaped")
"""


def request(script_uri: str, arguments=(), data_uri: str | None = None) -> dict:
    inputs = [{"InputName": "code", "S3Input": {"S3Uri": script_uri, "LocalPath": "/opt/ml/processing/input/code",
                                                "S3DataType": "S3Prefix", "S3InputMode": "File"}}]
    if data_uri:
        inputs.append({"InputName": "data", "S3Input": {"S3Uri": data_uri, "LocalPath": "/opt/ml/processing/input/data",
                                                        "S3DataType": "S3Prefix", "S3InputMode": "File"}})
    return {"RoleArn": "arn:aws:iam::000000000000:role/R",
            "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                      "VolumeSizeInGB": 1}},
            "AppSpecification": {"ImageUri": SKLEARN, "ContainerArguments": list(arguments),
                                 "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/script.py"]},
            "ProcessingInputs": inputs,
            "ProcessingOutputConfig": {"Outputs": [{"OutputName": "result", "S3Output": {
                "S3Uri": "s3://data/result", "LocalPath": "/opt/ml/processing/result", "S3UploadMode": "EndOfJob"}}]}}


@pytest.fixture
def settings(tmp_path) -> Settings:
    settings = Settings(home=tmp_path / "home")
    s3 = LocalS3(settings.s3_root)
    s3.write_bytes("s3://data/code/literal/script.py", LITERAL_PATHS.encode())
    s3.write_bytes("s3://data/code/write/script.py", WRITE_ONE.encode())
    s3.write_bytes("s3://data/rows/rows.csv", b"1,2,3\n")
    return settings


def test_a_script_finds_sagemakers_paths_where_the_container_has_them(settings):
    job = run_processing_job(settings, "literal", request("s3://data/code/literal/script.py",
                                                          data_uri="s3://data/rows"))
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    seen = json.loads(LocalS3(settings.s3_root).read_bytes("s3://data/result/seen.json"))
    assert seen == {"data": "1,2,3\n", "job": "literal", "host": "algo-1", "hostname": "algo-1", "cwd": "/tmp",
                    "home": "/root"}
    assert (settings.home / "jobs" / "literal" / "tmp" / "private").read_text() == "mine"


@pytest.mark.parametrize("where", ["/opt/ml/x", "/etc/x", "$HOME/x", "runtime home", "checkout"])
def test_no_job_can_write_outside_its_folder(settings, where):
    """A script that writes outside its mounts fails, and nothing appears on the host."""
    name = f"escape-{uuid.uuid4().hex[:8]}"
    target = {"/opt/ml/x": Path("/opt/ml") / name, "/etc/x": Path("/etc") / name,
              "$HOME/x": Path(os.environ.get("HOME", "/root")) / name,
              "runtime home": settings.s3_root / "data" / name, "checkout": ROOT / name}[where]
    try:
        # Read-only everywhere; a runtime home under the host's /tmp is not even there (the job's /tmp is its own).
        with pytest.raises(JobFailed, match="Read-only file system|No such file or directory") as failed:
            run_processing_job(settings, "escape", request("s3://data/code/write/script.py", [str(target)]))
        assert failed.value.description["ProcessingJobStatus"] == "Failed"
        assert not target.exists()
    finally:
        target.unlink(missing_ok=True)  # only ever there when the sandbox failed


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv") or not Path("/usr/bin/python3").exists(),
                    reason="needs root to become nobody (setpriv) and a Python nobody may run")
def test_a_normal_user_gets_the_same_sandbox():
    """The runtime run as nobody (the system's Python, the checkout's code): its job writes its own output and
    nothing else, through an unprivileged user namespace."""
    work = Path(tempfile.mkdtemp(prefix="sagelocal-nobody-", dir="/tmp"))
    try:
        os.chown(work, 65534, 65534)
        escape = Path("/opt/ml") / f"nobody-{uuid.uuid4().hex[:8]}"
        runner = f"""
import json, pathlib
from sagelocal.config import Settings
from sagelocal.jobs.backend import ProcessingAndTrainingJobsBackend
from sagelocal.jobs.container import JobFailed
from sagelocal.jobs.processing import run_processing_job
from sagelocal.storage.s3 import LocalS3
settings = Settings(home=pathlib.Path({str(work)!r}) / "home")
s3 = LocalS3(settings.s3_root)
s3.write_bytes("s3://data/code/literal/script.py", {LITERAL_PATHS!r}.encode())
s3.write_bytes("s3://data/code/write/script.py", {WRITE_ONE!r}.encode())
s3.write_bytes("s3://data/rows/rows.csv", b"1,2,3\\n")
request = {json.dumps(request("s3://data/code/literal/script.py", data_uri="s3://data/rows"))}
done = run_processing_job(settings, "as-nobody", request)
request["AppSpecification"]["ContainerArguments"] = [{str(escape)!r}]
request["ProcessingInputs"][0]["S3Input"]["S3Uri"] = "s3://data/code/write/script.py"
try:
    run_processing_job(settings, "escape", request)
    escaped = "the job wrote outside its folder"
except JobFailed as failure:
    escaped = failure.reason
print(json.dumps({{"status": done["ProcessingJobStatus"], "seen": json.loads(s3.read_bytes("s3://data/result/seen.json")),
                  "escape": escaped}}))
"""
        done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3",
                               "-c", runner], cwd=work, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["status"] == "Completed" and result["seen"]["data"] == "1,2,3\n"
        assert "Read-only file system" in result["escape"] and not escape.exists()
    finally:
        shutil.rmtree(work)


@pytest.mark.skipif(not shutil.which("bwrap"), reason="needs bubblewrap to make a machine without user namespaces")
def test_without_namespaces_a_clear_error_says_how_to_run_without_isolation(tmp_path):
    """Inside a sandbox that forbids user namespaces (--disable-userns) the runtime cannot make a job's sandbox:
    the job fails saying so and naming SAGELOCAL_JOB_ISOLATION=none, with which the same job then runs."""
    runner = """
import json, pathlib, sys
from sagelocal.config import Settings
from sagelocal.jobs.backend import ProcessingAndTrainingJobsBackend
from sagelocal.jobs.container import JobFailed
from sagelocal.jobs.processing import run_processing_job
from sagelocal.storage.s3 import LocalS3
settings = Settings.from_env()
LocalS3(settings.s3_root).write_bytes("s3://data/code/script.py", b"print('ran')")
request = json.loads(sys.argv[1])
try:
    print(run_processing_job(settings, "no-namespaces", request)["ProcessingJobStatus"])
except JobFailed as failure:
    print(failure.reason)
"""
    job = request("s3://data/code/script.py")
    outcomes = []
    for isolation in ("bubblewrap", "none"):
        env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "SAGELOCAL_HOME": str(tmp_path / isolation),
               "SAGELOCAL_JOB_ISOLATION": isolation}
        done = subprocess.run(["bwrap", "--unshare-user", "--disable-userns", "--dev-bind", "/", "/", "--",
                               sys.executable, "-c", runner, json.dumps(job)],
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        outcomes.append(done.stdout.strip())
    refused, unisolated = outcomes
    assert refused.startswith("ClientError: the job's sandbox could not be made (bwrap: Creating new namespace")
    assert "SAGELOCAL_JOB_ISOLATION=none" in refused
    assert unisolated == "Completed"


def test_an_unknown_isolation_is_refused_by_name(settings):
    with pytest.raises(JobFailed, match="SAGELOCAL_JOB_ISOLATION='docker' is not a job isolation"):
        run_processing_job(Settings(home=settings.home, job_isolation="docker"), "odd",
                           request("s3://data/code/literal/script.py"))


def test_a_job_killed_by_a_signal_is_reported_as_such(settings):
    """bubblewrap turns the job's death by SIGKILL into status 137; the job is still 'killed by signal 9', the
    local stand-in for an instance that died (which a RetryPolicy on SageMaker.JOB_INTERNAL_ERROR retries)."""
    LocalS3(settings.s3_root).write_bytes("s3://data/code/die/script.py",
                                          b"import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    with pytest.raises(JobFailed, match="killed by signal 9") as failed:
        run_processing_job(settings, "dies", request("s3://data/code/die/script.py"))
    assert failed.value.exception_type == "SageMaker.JOB_INTERNAL_ERROR"


def test_stopping_a_sandboxed_job_ends_everything_it_started(settings):
    """The job's script leaves a grandchild in a session of its own; StopProcessingJob ends it too (the
    sandbox's pid namespace goes with its first process)."""
    token = f"{uuid.uuid4().int % 10**6 + 10**6}.5"  # a sleep no other process on the machine runs
    script = f"import subprocess, time\nsubprocess.Popen(['sleep', '{token}'], start_new_session=True)\ntime.sleep(300)\n"
    LocalS3(settings.s3_root).write_bytes("s3://data/code/stays/script.py", script.encode())
    backend = ProcessingAndTrainingJobsBackend(settings)
    backend.create_processing_job({"ProcessingJobName": "stays", **request("s3://data/code/stays/script.py")})
    deadline = time.monotonic() + 60
    while not sleeping(token):
        assert time.monotonic() < deadline, "the job's grandchild never started"
        time.sleep(0.1)
    backend.stop_processing_job({"ProcessingJobName": "stays"})
    while backend.describe_processing_job({"ProcessingJobName": "stays"})["ProcessingJobStatus"] in ("InProgress",
                                                                                                    "Stopping"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert backend.describe_processing_job({"ProcessingJobName": "stays"})["ProcessingJobStatus"] == "Stopped"
    assert not sleeping(token)


def sleeping(token: str) -> bool:
    """Whether a ``sleep <token>`` runs anywhere on the machine (seen from the host's /proc)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes() == f"sleep\0{token}\0".encode():
                return True
        except OSError:
            continue
    return False
