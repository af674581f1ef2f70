"""The built-in XGBoost algorithm's contract, run as a training job in a subprocess."""
from __future__ import annotations

import tarfile

import numpy as np
import pytest
import xgboost

from sagelocal.config import Settings
from sagelocal.jobs.container import JobFailed, image_repository
from sagelocal.jobs.training import final_metrics, run_training_job
from sagelocal.storage.s3 import LocalS3

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.2-0"


def csv_rows(rng, count):
    features = rng.normal(size=(count, 4))
    labels = (features[:, 0] + 0.5 * features[:, 1] > 0).astype(int)
    return "\n".join(",".join([str(label)] + [f"{v:.5f}" for v in row]) for label, row in zip(labels, features)) + "\n"


def request(hyperparameters, channels=("train", "validation")):
    return {
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "HyperParameters": hyperparameters,
        "InputDataConfig": [{"ChannelName": name, "ContentType": "text/csv", "InputMode": "File",
                             "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://data/{name}"}}}
                            for name in channels],
        "OutputDataConfig": {"S3OutputPath": "s3://data/model", "CompressionType": "GZIP"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 120},
    }


@pytest.fixture
def settings(tmp_path):
    settings = Settings(home=tmp_path)
    rng = np.random.default_rng(0)
    s3 = LocalS3(settings.s3_root)
    s3.write_bytes("s3://data/train/train.csv", csv_rows(rng, 300).encode())
    s3.write_bytes("s3://data/validation/validation.csv", csv_rows(rng, 100).encode())
    return settings


def test_trains_a_model_the_xgboost_package_loads(settings, tmp_path):
    hyperparameters = {"max_depth": "3", "eta": "0.3", "objective": "binary:logistic", "num_round": "20",
                       "eval_metric": "auc,logloss", "subsample": "0.8"}
    job = run_training_job(settings, "job-1", request(hyperparameters))
    assert job["TrainingJobStatus"] == "Completed"
    assert job["ModelArtifacts"]["S3ModelArtifacts"] == "s3://data/model/job-1/output/model.tar.gz"
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert set(metrics) == {"train:auc", "train:logloss", "validation:auc", "validation:logloss"}
    assert metrics["validation:auc"] > 0.9
    with tarfile.open(LocalS3(settings.s3_root).path(job["ModelArtifacts"]["S3ModelArtifacts"])) as tar:
        assert tar.getnames() == ["xgboost-model"]
        tar.extract("xgboost-model", tmp_path, filter="data")
    booster = xgboost.Booster()
    booster.load_model(str(tmp_path / "xgboost-model"))
    assert booster.num_boosted_rounds() == 20


@pytest.mark.parametrize("hyperparameters,message", [
    ({"num_round": "5", "max_depth": "deep"}, "Hyperparameter max_depth: could not parse value"),
    ({"num_round": "5", "colour": "red"}, "Extraneous hyperparameter found: colour"),
    ({"max_depth": "3"}, "Missing required hyperparameter: num_round"),
])
def test_bad_hyperparameters_fail_with_the_algorithm_error(settings, hyperparameters, message):
    with pytest.raises(JobFailed, match=message) as failed:
        run_training_job(settings, "job-bad", request(hyperparameters))
    assert failed.value.reason.startswith("AlgorithmError: ")


def test_missing_channel_data_is_named(settings):
    job = request({"num_round": "5"})
    job["InputDataConfig"][1]["DataSource"]["S3DataSource"]["S3Uri"] = "s3://data/nowhere"
    with pytest.raises(JobFailed, match="channel 'validation': s3://data/nowhere does not exist in local S3"):
        run_training_job(settings, "job-missing", job)


def test_other_training_images_are_refused(settings):
    job = request({"num_round": "5"})
    job["AlgorithmSpecification"]["TrainingImage"] = "1.dkr.ecr.us-east-1.amazonaws.com/my-algo:latest"
    with pytest.raises(JobFailed, match="my-algo:latest cannot run offline"):
        run_training_job(settings, "job-image", job)


def test_final_metrics_keep_the_last_round():
    log = "[0]\ttrain-logloss:0.6\tvalidation-logloss:0.65\n[1]\ttrain-logloss:0.5\tvalidation-logloss:0.55\n"
    from datetime import datetime, timezone

    metrics = final_metrics(log, datetime.now(timezone.utc))
    assert [(m["MetricName"], m["Value"]) for m in metrics] == [("train:logloss", 0.5), ("validation:logloss", 0.55)]


@pytest.mark.parametrize("uri,repository", [
    (IMAGE, "sagemaker-xgboost"),
    ("156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer", "sagemaker-model-monitor-analyzer"),
    ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn@sha256:abc", "sagemaker-scikit-learn"),
])
def test_image_repository(uri, repository):
    assert image_repository(uri) == repository
