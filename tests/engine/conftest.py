"""Builders for small hand-written pipeline definitions shaped like SDK v3 output (see sagemaker-sdk-v3.md §6)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from sagelocal.config import Settings
from sagelocal.storage.s3 import LocalS3

BUCKET = "s3://test-bucket"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


def processing_step(name: str, script: str, outputs: dict[str, object] | None = None,
                    inputs: dict[str, object] | None = None, **extra) -> dict:
    """A Processing step running ``s3://test-bucket/code/<script>`` with named outputs and inputs."""
    code = {"InputName": "code", "S3Input": {"S3Uri": f"{BUCKET}/code/{script}", "LocalPath": "/opt/ml/processing/input/code",
                                             "S3DataType": "S3Prefix", "S3InputMode": "File"}}
    step_inputs = [{"InputName": key, "S3Input": {"S3Uri": uri, "LocalPath": f"/opt/ml/processing/{key}",
                                                   "S3DataType": "S3Prefix", "S3InputMode": "File"}}
                   for key, uri in (inputs or {}).items()]
    step_outputs = [{"OutputName": key, "S3Output": {"S3Uri": uri, "LocalPath": f"/opt/ml/processing/{key}",
                                                      "S3UploadMode": "EndOfJob"}}
                    for key, uri in (outputs or {}).items()]
    arguments = {
        "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30}},
        "AppSpecification": {"ImageUri": extra.pop("image", SKLEARN_IMAGE),
                             "ContainerEntrypoint": ["python3", f"/opt/ml/processing/input/code/{script}"],
                             **({"ContainerArguments": extra.pop("arguments")} if "arguments" in extra else {})},
        "RoleArn": "arn:aws:iam::000000000000:role/SageMakerRole",
        "ProcessingInputs": step_inputs + [code],
        "ProcessingOutputConfig": {"Outputs": step_outputs},
        "StoppingCondition": {"MaxRuntimeInSeconds": 60},
        **({"Environment": extra.pop("environment")} if "environment" in extra else {}),
    }
    return {"Name": name, "Type": "Processing", "Arguments": arguments, **extra}


def output_uri(step: str, output: str) -> dict:
    return {"Get": f"Steps.{step}.ProcessingOutputConfig.Outputs['{output}'].S3Output.S3Uri"}


def execution_prefix(*parts: str) -> dict:
    """``s3://test-bucket/<execution id>/<parts>`` as the SDK writes it: a Std:Join on the execution id."""
    return {"Std:Join": {"On": "/", "Values": [BUCKET, {"Get": "Execution.PipelineExecutionId"}, *parts]}}


class Project:
    """A runtime home with local S3, where tests put step scripts and definitions."""

    def __init__(self, home: Path):
        self.home = home
        self.settings = Settings(home=home)
        self.s3 = LocalS3(self.settings.s3_root)

    def script(self, name: str, source: str) -> None:
        self.s3.write_bytes(f"{BUCKET}/code/{name}", source.encode())

    def definition(self, steps: list[dict], parameters: list[dict] | None = None) -> Path:
        path = self.home / "definition.json"
        path.write_text(json.dumps({"Version": "2020-12-01", "Metadata": {}, "Parameters": parameters or [],
                                    "MlflowConfig": None, "Steps": steps}))
        return path


@pytest.fixture
def project(sagelocal_home) -> Project:
    sagelocal_home.mkdir(parents=True, exist_ok=True)
    return Project(sagelocal_home)
