"""A training job's container contract: the configuration files under /opt/ml/input/config, the training
toolkit's SM_* variables, and /opt/ml/output/failure as the FailureReason."""
from __future__ import annotations

import json

import pytest

from sagelocal.config import Settings
from sagelocal.jobs.container import JobFailed
from sagelocal.jobs.job_environment import input_data_config, resource_config, training_variables
from sagelocal.jobs.training import run_training_job
from sagelocal.storage.s3 import LocalS3

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
REQUEST = {
    "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
    "HyperParameters": {"num_round": "5", "objective": "reg:squarederror", "no_such_parameter": "1"},
    "InputDataConfig": [
        {"ChannelName": "train", "ContentType": "text/csv",
         "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://data/train",
                                         "S3DataDistributionType": "FullyReplicated"}}},
        {"ChannelName": "validation", "InputMode": "File",
         "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://data/validation"}}}],
    "OutputDataConfig": {"S3OutputPath": "s3://data/model"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "StoppingCondition": {"MaxRuntimeInSeconds": 120},
}


def test_the_container_gets_sagemakers_files_and_its_failure_file_is_the_reason(tmp_path):
    settings = Settings(home=tmp_path)
    s3 = LocalS3(settings.s3_root)
    s3.write_bytes("s3://data/train/train.csv", b"1,0.5\n0,0.1\n")
    s3.write_bytes("s3://data/validation/validation.csv", b"1,0.4\n")
    with pytest.raises(JobFailed) as failed:
        run_training_job(settings, "refused", REQUEST)
    ml = tmp_path / "jobs" / "refused" / "ml"
    # The algorithm wrote /opt/ml/output/failure inside its sandbox; that text is the FailureReason.
    assert failed.value.reason == (ml / "output" / "failure").read_text().strip()
    assert failed.value.description["FailureReason"] == failed.value.reason
    config = ml / "input" / "config"
    assert json.loads((config / "hyperparameters.json").read_text()) == REQUEST["HyperParameters"]
    assert json.loads((config / "inputdataconfig.json").read_text()) == {
        "train": {"ContentType": "text/csv", "TrainingInputMode": "File", "S3DistributionType": "FullyReplicated",
                  "RecordWrapperType": "None"},
        "validation": {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated",
                       "RecordWrapperType": "None"}}
    resources = json.loads((config / "resourceconfig.json").read_text())
    assert resources["current_host"] == "algo-1" and resources["hosts"] == ["algo-1"]
    assert resources["current_instance_type"] == "ml.m5.xlarge"
    assert (ml / "input" / "data" / "train" / "train.csv").is_file() and (ml / "output" / "data").is_dir()


def test_the_training_toolkits_variables():
    """As the toolkit's ENVIRONMENT_VARIABLES.md shows them: JSON-decoded hyperparameters, one SM_HP_ each,
    a folder per channel, the toolkit's own sagemaker_* hyperparameters left out."""
    channels = input_data_config(REQUEST)
    hyperparameters = {"num_round": "50", "objective": "reg:linear", "eta": "0.2", "sagemaker_program": "train.py"}
    variables = training_variables("job-1", hyperparameters, channels, resource_config("ml.m5.xlarge"))
    assert json.loads(variables["SM_HPS"]) == {"num_round": 50, "objective": "reg:linear", "eta": 0.2}
    assert (variables["SM_HP_NUM_ROUND"], variables["SM_HP_OBJECTIVE"], variables["SM_HP_ETA"]) == ("50", "reg:linear",
                                                                                                    "0.2")
    assert "SM_HP_SAGEMAKER_PROGRAM" not in variables
    assert json.loads(variables["SM_CHANNELS"]) == ["train", "validation"]
    assert variables["SM_CHANNEL_TRAIN"] == "/opt/ml/input/data/train"
    assert variables["SM_CHANNEL_VALIDATION"] == "/opt/ml/input/data/validation"
    assert (variables["SM_MODEL_DIR"], variables["SM_OUTPUT_DATA_DIR"], variables["SM_OUTPUT_DIR"]) == (
        "/opt/ml/model", "/opt/ml/output/data", "/opt/ml/output")
    assert (variables["SM_INPUT_DIR"], variables["SM_INPUT_CONFIG_DIR"]) == ("/opt/ml/input", "/opt/ml/input/config")
    assert variables["SM_CURRENT_HOST"] == "algo-1" and json.loads(variables["SM_HOSTS"]) == ["algo-1"]
    assert json.loads(variables["SM_USER_ARGS"]) == ["--num_round", "50", "--objective", "reg:linear", "--eta", "0.2"]
    assert json.loads(variables["SM_INPUT_DATA_CONFIG"]) == channels
    assert json.loads(variables["SM_TRAINING_ENV"])["job_name"] == "job-1"
    assert variables["SM_NUM_GPUS"] == "0" and int(variables["SM_NUM_CPUS"]) >= 1
