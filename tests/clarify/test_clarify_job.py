"""A processing job on the Clarify image (SageMakerClarifyProcessor's contract): the analyzer runs with the model
its analysis configuration names, and bad configurations fail the job with a reason that names the problem."""
from __future__ import annotations

import json

import numpy as np
import pytest

from clarify.models import IMAGE, model_archive, training_rows
from sagelocal.clarify import config
from sagelocal.config import Settings
from sagelocal.hosting.backend import HostingBackend
from sagelocal.jobs.container import JobFailed
from sagelocal.jobs.processing import run_processing_job
from sagelocal.registry import RegistryBackend
from sagelocal.storage.s3 import LocalS3

CLARIFY = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"
HEADERS = ["target"] + [f"f{i}" for i in range(6)]


def request(config_uri: str) -> dict:
    """The request SageMakerClarifyProcessor.run_bias sends: config and dataset inputs, one output."""
    def s3_input(name, uri, path):
        return {"InputName": name, "S3Input": {"S3Uri": uri, "LocalPath": path, "S3DataType": "S3Prefix",
                                               "S3InputMode": "File"}}
    return {"AppSpecification": {"ImageUri": CLARIFY},
            "ProcessingInputs": [s3_input("analysis_config", config_uri, "/opt/ml/processing/input/config"),
                                 s3_input("dataset", "s3://clarify-job/data/train.csv", "/opt/ml/processing/input/data")],
            "ProcessingOutputConfig": {"Outputs": [{"OutputName": "analysis_result", "S3Output": {
                "S3Uri": "s3://clarify-job/out", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
            "StoppingCondition": {"MaxRuntimeInSeconds": 600}}


@pytest.fixture
def settings(tmp_path):
    settings = Settings(home=tmp_path)
    s3 = LocalS3(settings.s3_root)
    x, y = training_rows(200, 6)
    s3.write_bytes("s3://clarify-job/data/train.csv", "\n".join(",".join(map(str, [label, *row])) for label, row in zip(y, x))
                   .encode())
    s3.write_bytes("s3://clarify-job/model/model.tar.gz", model_archive(tmp_path, x, y).read_bytes())
    HostingBackend(settings, RegistryBackend(settings)).create_model({
        "ModelName": "clarify-model", "ExecutionRoleArn": "arn:aws:iam::000000000000:role/R",
        "PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": "s3://clarify-job/model/model.tar.gz"}})
    return settings


def put_config(settings, body: dict) -> str:
    LocalS3(settings.s3_root).write_bytes("s3://clarify-job/config/analysis_config.json", json.dumps(body).encode())
    return "s3://clarify-job/config"


def test_post_training_bias_serves_the_named_model_on_a_shadow_endpoint(settings):
    uri = put_config(settings, {
        "dataset_type": "text/csv", "headers": HEADERS, "label": "target", "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "f2", "value_or_threshold": [0.0]}],
        "methods": {"post_training_bias": {"methods": ["DPPL", "DI"]}},
        "predictor": {"model_name": "clarify-model", "instance_type": "ml.m5.xlarge", "initial_instance_count": 1},
        "probability_threshold": 0.5})
    description = run_processing_job(settings, "clarify-post", request(uri))
    assert description["ProcessingJobStatus"] == "Completed"
    analysis = json.loads(LocalS3(settings.s3_root).read_bytes("s3://clarify-job/out/analysis.json"))
    [group] = analysis["post_training_bias_metrics"]["facets"]["f2"]
    assert [metric["name"] for metric in group["metrics"]] == ["DI", "DPPL"]
    assert all(isinstance(metric["value"], float) and np.isfinite(metric["value"]) for metric in group["metrics"])


@pytest.mark.parametrize("body, reason", [
    ({"predictor": {"model_name": "no-such-model"}, "methods": {"shap": {"baseline": [[0] * 6]}}},
     'Could not find model "arn:aws:sagemaker:us-east-1:000000000000:model/no-such-model"'),
    ({"methods": {"shap": {"baseline": [[0] * 6]}}},
     "post-training bias and SHAP need a model"),
    ({"methods": {"pdp": {"grid_resolution": 10}}}, "methods pdp are not supported offline"),
])
def test_a_job_that_cannot_run_fails_naming_the_problem(settings, body, reason):
    uri = put_config(settings, {"dataset_type": "text/csv", "headers": HEADERS, "label": "target", **body})
    with pytest.raises(JobFailed) as failure:
        run_processing_job(settings, "clarify-bad", request(uri))
    assert reason in failure.value.reason


@pytest.mark.parametrize("body, reason", [
    ({"dataset_type": "application/x-parquet", "methods": {"shap": {}}}, "dataset_type 'application/x-parquet'"),
    ({"dataset_type": "text/csv", "methods": {}}, "methods is missing"),
    ({"dataset_type": "text/csv", "methods": {"pre_training_bias": {"methods": "all"}}, "label": "y"},
     "label_values_or_threshold"),
    ({"dataset_type": "text/csv", "methods": {"shap": {"agg_method": "max"}}}, "agg_method 'max'"),
    ({"dataset_type": "text/csv", "methods": {"shap": {"num_samples": 0}}}, "num_samples must be a positive"),
])
def test_bad_configurations_are_refused_by_name(body, reason):
    with pytest.raises(config.ClarifyConfigError, match=reason.replace("(", r"\(")):
        config.parse(body)
