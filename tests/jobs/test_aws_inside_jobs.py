"""A job's own AWS calls reach the local server: under ``sagelocal serve`` (its endpoint) and under
``sagelocal pipeline run`` (a server the run starts for itself on loopback and stops after)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from sagelocal.config import Settings
from sagelocal.storage.s3 import LocalS3

ROOT = Path(__file__).resolve().parents[2]
SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
# boto3 with no endpoint, key or region of its own, as a template's script calls it.
SCRIPT = """import json, os, boto3
s3 = boto3.resource("s3")
s3.Bucket("data").download_file("rows/rows.csv", "/tmp/rows.csv")
groups = boto3.client("sagemaker").list_model_package_groups()["ModelPackageGroupSummaryList"]
boto3.client("s3").put_object(Bucket="data", Key="written/by-the-job.json", Body=json.dumps({
    "rows": open("/tmp/rows.csv").read(), "groups": [g["ModelPackageGroupName"] for g in groups],
    "endpoint": os.environ["AWS_ENDPOINT_URL"], "region": os.environ["AWS_REGION"]}))
"""


def job_request() -> dict:
    return {"RoleArn": "arn:aws:iam::000000000000:role/R",
            "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                      "VolumeSizeInGB": 1}},
            "AppSpecification": {"ImageUri": SKLEARN,
                                 "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/script.py"]},
            "ProcessingInputs": [{"InputName": "code", "S3Input": {
                "S3Uri": "s3://data/code/script.py", "LocalPath": "/opt/ml/processing/input/code",
                "S3DataType": "S3Prefix", "S3InputMode": "File"}}]}


def stage(home: Path) -> LocalS3:
    s3 = LocalS3(Settings(home=home).s3_root)
    s3.write_bytes("s3://data/code/script.py", SCRIPT.encode())
    s3.write_bytes("s3://data/rows/rows.csv", b"1,2,3\n")
    return s3


def test_a_job_under_the_server_calls_it_with_boto3(local_server):
    s3 = stage(local_server.settings.home)
    sagemaker = local_server.client("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName="seen-by-the-job")
    sagemaker.create_processing_job(ProcessingJobName="calls-aws", **job_request())
    deadline = time.monotonic() + 120
    while (job := sagemaker.describe_processing_job(ProcessingJobName="calls-aws"))["ProcessingJobStatus"] == "InProgress":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    written = json.loads(s3.read_bytes("s3://data/written/by-the-job.json"))
    assert written == {"rows": "1,2,3\n", "groups": ["seen-by-the-job"], "endpoint": local_server.url,
                       "region": "us-east-1"}


def test_pipeline_run_starts_a_server_for_its_jobs(tmp_path):
    home = tmp_path / "home"
    s3 = stage(home)
    definition = {"Version": "2020-12-01", "Parameters": [], "Steps": [
        {"Name": "CallsAws", "Type": "Processing", "Arguments": job_request()}]}
    (tmp_path / "calls-aws.json").write_text(json.dumps(definition))
    done = subprocess.run([sys.executable, "-m", "sagelocal", "pipeline", "run", str(tmp_path / "calls-aws.json")],
                          env={**os.environ, "SAGELOCAL_HOME": str(home), "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    written = json.loads(s3.read_bytes("s3://data/written/by-the-job.json"))
    assert written["rows"] == "1,2,3\n" and written["groups"] == []
    assert written["endpoint"].startswith("http://127.0.0.1:")
