"""A job touches its own folder and nothing else, and sees none of the server's environment.

Names reach the jobs room from the API (validated there too) and from pipeline definitions (``sagelocal pipeline
run``), so the room refuses unsafe names by itself: these tests call it directly, with no API in front.
"""
from __future__ import annotations

import json
import time

import botocore.session
import pytest

from sagelocal.config import Settings
from sagelocal.errors import ValidationError
from sagelocal.jobs.backend import ProcessingAndTrainingJobsBackend
from sagelocal.jobs.container import JOB_NAME, JobFailed
from sagelocal.jobs.processing import run_processing_job
from sagelocal.jobs.training import run_training_job
from sagelocal.storage.s3 import LocalS3

SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
XGBOOST = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROOT = "/opt/ml/processing"
ENV_DUMP = """import json, os, pathlib, sys
pathlib.Path(sys.argv[1], "env.json").write_text(json.dumps(dict(os.environ)))
"""


def job(script_uri: str = "s3://data/code/script.py", output_uri: str = "s3://data/out") -> dict:
    return {"RoleArn": "arn:aws:iam::000000000000:role/R",
            "AppSpecification": {"ImageUri": SKLEARN, "ContainerEntrypoint": ["python3", f"{ROOT}/input/code/script.py"],
                                 "ContainerArguments": [f"{ROOT}/output"]},
            "ProcessingInputs": [{"InputName": "code", "S3Input": {"S3Uri": script_uri, "LocalPath": f"{ROOT}/input/code",
                                                                   "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
            "ProcessingOutputConfig": {"Outputs": [{"OutputName": "out", "S3Output": {
                "S3Uri": output_uri, "LocalPath": f"{ROOT}/output", "S3UploadMode": "EndOfJob"}}]}}


@pytest.fixture
def home(tmp_path):
    """A home with state worth losing: credentials, a database, an S3 object, and a folder beside the home."""
    home = tmp_path / "home"
    (home / "s3" / "data" / "code").mkdir(parents=True)
    (home / "s3" / "data" / "code" / "script.py").write_text(ENV_DUMP)
    (home / "credentials").write_text("[sagelocal]\n")
    (home / "hosting.db").write_bytes(b"SQLite")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "keep.txt").write_text("keep")
    return home


def everything(root) -> set:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def test_job_names_are_awss_pattern():
    model = botocore.session.get_session().get_service_model("sagemaker")
    for shape in ("ProcessingJobName", "TrainingJobName"):
        assert model.shape_for(shape).metadata["pattern"] == JOB_NAME.pattern


@pytest.mark.parametrize("name", ["..", "../s3", "../../outside", "a/../..", ".", "-x"])
def test_no_job_name_reaches_outside_its_own_folder(home, tmp_path, name):
    before = everything(tmp_path)
    settings = Settings(home=home)
    with pytest.raises(JobFailed, match="failed to satisfy constraint"):
        run_processing_job(settings, name, job())
    with pytest.raises(JobFailed, match="failed to satisfy constraint"):
        run_training_job(settings, name, {"AlgorithmSpecification": {"TrainingImage": XGBOOST},
                                          "OutputDataConfig": {"S3OutputPath": "s3://data/model"}})
    with pytest.raises(ValidationError, match="Member must satisfy regular expression pattern"):
        ProcessingAndTrainingJobsBackend(settings).create_processing_job({"ProcessingJobName": name, **job()})
    assert everything(tmp_path) - before <= {"home/jobs.db", "home/jobs.db-wal", "home/jobs.db-shm"}


def test_an_absolute_name_deletes_nothing(home, tmp_path):
    victim = tmp_path / "outside"
    backend = ProcessingAndTrainingJobsBackend(Settings(home=home))
    with pytest.raises(ValidationError):
        backend.create_processing_job({"ProcessingJobName": str(victim), **job()})
    with pytest.raises(JobFailed):
        run_processing_job(Settings(home=home), str(victim), job())
    assert (victim / "keep.txt").read_text() == "keep"


def test_a_folder_sagelocal_did_not_make_is_never_removed(home, tmp_path):
    """A job folder already there is removed only if the runtime made it for a job (a symlink never is)."""
    (home / "jobs").mkdir()
    (home / "jobs" / "linked").symlink_to(tmp_path / "outside")
    (home / "jobs" / "planted").mkdir()
    (home / "jobs" / "planted" / "mine.txt").write_text("mine")
    for name in ("linked", "planted"):
        with pytest.raises(JobFailed, match="would be outside|was not made by sagelocal"):
            run_processing_job(Settings(home=home), name, job())
    assert (tmp_path / "outside" / "keep.txt").read_text() == "keep"
    assert (home / "jobs" / "planted" / "mine.txt").read_text() == "mine"


def test_a_job_sees_a_minimal_environment_not_the_servers(home, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "server-secret-key")
    monkeypatch.setenv("SERVER_DATABASE_PASSWORD", "hunter2")
    settings = Settings(home=home)
    description = run_processing_job(settings, "env-dump", job() | {"Environment": {"MY_SETTING": "on"}})
    assert description["ProcessingJobStatus"] == "Completed"
    env = json.loads(LocalS3(settings.s3_root).read_bytes("s3://data/out/env.json"))
    assert "AWS_SECRET_ACCESS_KEY" not in env and "SERVER_DATABASE_PASSWORD" not in env
    assert "hunter2" not in json.dumps(env) and "server-secret-key" not in json.dumps(env)
    assert env["MY_SETTING"] == "on" and env["LANG"] == "C.UTF-8"
    assert env["HOME"] == "/root"  # SageMaker's containers' HOME; read-only in the job's sandbox
    # No server runs here, so no endpoint or key: only the region, and the machine's AWS configuration kept out.
    aws = {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED"}
    assert set(env) <= {"PATH", "LANG", "HOME", "PYTHONPATH", "MY_SETTING", "SAGELOCAL_PROCESSING_ROOT", "LC_CTYPE", "PWD"} | aws


def test_the_backend_records_the_job_and_its_end(home):
    """CreateProcessingJob through the jobs backend, no HTTP: recorded InProgress, then Completed."""
    backend = ProcessingAndTrainingJobsBackend(Settings(home=home))
    backend.create_processing_job({"ProcessingJobName": "direct", **job()})
    deadline = time.monotonic() + 60
    while backend.describe_processing_job({"ProcessingJobName": "direct"})["ProcessingJobStatus"] == "InProgress":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    described = backend.describe_processing_job({"ProcessingJobName": "direct"})
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    assert not {"Owner", "Process", "Scratch"} & set(described)


@pytest.mark.parametrize("image", ["evil.example.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
                                   "sagemaker-scikit-learn:1.2-1-cpu-py3",
                                   "683313688378.dkr.ecr.us-east-1.amazonaws.com.evil.io/sagemaker-scikit-learn:1.2-1",
                                   "123456789012.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"])
def test_only_sagemakers_registry_form_of_an_image_runs(home, image):
    request = job()
    request["AppSpecification"]["ImageUri"] = image
    with pytest.raises(JobFailed, match="cannot run offline"):
        run_processing_job(Settings(home=home), "lookalike", request)
