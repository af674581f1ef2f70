"""Test helper: a data-quality monitoring schedule on a deployed endpoint, created with boto3."""
from __future__ import annotations

OUTPUT_URI = "s3://monitoring/reports"


def schedule_config(endpoint: str, expression: str = "cron(0 * ? * * *)", baseline: dict | None = None) -> dict:
    definition = {
        "MonitoringInputs": [{"EndpointInput": {"EndpointName": endpoint,
                                                "LocalPath": "/opt/ml/processing/input/endpoint"}}],
        "MonitoringOutputConfig": {"MonitoringOutputs": [{"S3Output": {
            "S3Uri": OUTPUT_URI, "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
        "MonitoringResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                  "VolumeSizeInGB": 20}},
        "MonitoringAppSpecification": {"ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/"
                                                   "sagemaker-model-monitor-analyzer"},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        "RoleArn": "arn:aws:iam::000000000000:role/sagemaker",
    }
    if baseline:
        definition["BaselineConfig"] = baseline
    return {"ScheduleConfig": {"ScheduleExpression": expression}, "MonitoringJobDefinition": definition,
            "MonitoringType": "DataQuality"}
