"""Test helper: a processing job whose script prints known lines, run through CreateProcessingJob."""
from __future__ import annotations

import time

from sagelocal.storage import LocalS3

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
RESOURCES = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}


def run_printing_job(server, name: str, lines: int, stderr_line: str = "") -> dict:
    """A job that prints ``line 1`` .. ``line N`` on stdout (and ``stderr_line`` on stderr); waits for its end."""
    code = (f"import sys\nsys.stdout.write(''.join(f'line {{i}}\\n' for i in range(1, {lines} + 1)))\n"
            f"print({stderr_line!r}, file=sys.stderr)\n" if stderr_line else
            f"import sys\nsys.stdout.write(''.join(f'line {{i}}\\n' for i in range(1, {lines} + 1)))\n")
    LocalS3(server.settings.s3_root).write_bytes(f"s3://code/{name}/print.py", code.encode())
    sagemaker = server.client("sagemaker")
    sagemaker.create_processing_job(
        ProcessingJobName=name, RoleArn=ROLE, ProcessingResources=RESOURCES,
        AppSpecification={"ImageUri": SKLEARN, "ContainerEntrypoint": ["python3", "/opt/ml/processing/code/print.py"]},
        ProcessingInputs=[{"InputName": "code", "S3Input": {
            "S3Uri": f"s3://code/{name}/print.py", "LocalPath": "/opt/ml/processing/code", "S3DataType": "S3Prefix",
            "S3InputMode": "File"}}])
    deadline = time.monotonic() + 120
    while (job := sagemaker.describe_processing_job(ProcessingJobName=name))["ProcessingJobStatus"] == "InProgress":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    return job
