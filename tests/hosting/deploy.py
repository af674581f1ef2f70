"""Test helper: a real XGBoost model trained here, registered, deployed with boto3 against the local server."""
from __future__ import annotations

import numpy as np
import xgboost as xgb

from sagelocal.jobs.serving import make_model_archive

FEATURES = 30
MODEL_URI = "s3://models/breast-cancer/model.tar.gz"
CAPTURE_URI = "s3://monitoring/datacapture"


def train_booster(seed: int = 7) -> xgb.Booster:
    """A binary:logistic model on 30 numeric features (the breast-cancer walkthrough's shape)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(400, FEATURES))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    return xgb.train({"objective": "binary:logistic", "max_depth": 3}, xgb.DMatrix(x, label=y), num_boost_round=20)


def feature_rows(count: int, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(count, FEATURES)).round(4)


def csv_row(row) -> str:
    return ",".join(str(v) for v in row)


def deploy(server, name: str = "bc-endpoint", capture: dict | None = None, percentage: int = 100,
           booster: xgb.Booster | None = None) -> dict:
    """Register the model as an approved package and deploy it; returns the boto3 clients and names."""
    # Uploaded through the server's S3 API, so that it lands wherever the server keeps its home.
    s3 = server.client("s3")
    bucket, _, key = MODEL_URI[len("s3://"):].partition("/")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=make_model_archive(booster or train_booster()))
    sm = server.client("sagemaker")
    package = sm.create_model_package(
        ModelPackageGroupName="breast-cancer", ModelApprovalStatus="Approved",
        InferenceSpecification={"Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/"
                                                         "sagemaker-xgboost:1.7-1", "ModelDataUrl": MODEL_URI}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
    )["ModelPackageArn"]
    sm.create_model(ModelName=f"{name}-model", PrimaryContainer={"ModelPackageName": package},
                    ExecutionRoleArn="arn:aws:iam::000000000000:role/sagemaker")
    if capture is None:
        capture = {"EnableCapture": True, "InitialSamplingPercentage": percentage, "DestinationS3Uri": CAPTURE_URI,
                   "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
                   "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]}}
    config = {"EndpointConfigName": f"{name}-config",
              "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": f"{name}-model",
                                      "InitialInstanceCount": 1, "InstanceType": "ml.m5.xlarge"}]}
    if capture:
        config["DataCaptureConfig"] = capture
    sm.create_endpoint_config(**config)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    return {"sm": sm, "runtime": server.client("sagemaker-runtime"), "endpoint": name, "package": package}
