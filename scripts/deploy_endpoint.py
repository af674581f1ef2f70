"""Deploy the latest Approved model package of a group behind a real-time endpoint with data capture.

Latest Approved package → CreateModel → CreateEndpointConfig (DataCaptureConfig) → CreateEndpoint, or
UpdateEndpoint when the endpoint exists; then waits with DescribeEndpoint until InService.
"""
from __future__ import annotations

import argparse
import sys
import time

import _aws

TERMINAL = {"InService", "Failed", "OutOfService"}


def latest_approved_package(sagemaker, group: str) -> str:
    packages = sagemaker.list_model_packages(ModelPackageGroupName=group, ModelApprovalStatus="Approved",
                                             SortBy="CreationTime", SortOrder="Descending",
                                             MaxResults=1)["ModelPackageSummaryList"]
    if not packages:
        raise LookupError(f"no Approved model package in group {group!r}")
    return packages[0]["ModelPackageArn"]


def create_model(sagemaker, name: str, package_arn: str, role_arn: str) -> str:
    return sagemaker.create_model(ModelName=name, ExecutionRoleArn=role_arn,
                                  PrimaryContainer={"ModelPackageName": package_arn})["ModelArn"]


def data_capture_config(destination: str, sampling_percentage: int) -> dict:
    return {"EnableCapture": True, "InitialSamplingPercentage": sampling_percentage,
            "DestinationS3Uri": destination,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]}}


def create_endpoint_config(sagemaker, name: str, model_name: str, instance_type: str, capture: dict) -> str:
    return sagemaker.create_endpoint_config(
        EndpointConfigName=name, DataCaptureConfig=capture,
        ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": model_name, "InitialInstanceCount": 1,
                             "InstanceType": instance_type, "InitialVariantWeight": 1.0}],
    )["EndpointConfigArn"]


def endpoint_exists(sagemaker, name: str) -> bool:
    try:
        sagemaker.describe_endpoint(EndpointName=name)
        return True
    except sagemaker.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "ValidationException":  # AWS's answer for a missing endpoint
            return False
        raise


def create_or_update_endpoint(sagemaker, name: str, config_name: str) -> str:
    if endpoint_exists(sagemaker, name):
        return sagemaker.update_endpoint(EndpointName=name, EndpointConfigName=config_name)["EndpointArn"]
    return sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config_name)["EndpointArn"]


def wait_in_service(sagemaker, name: str, poll_seconds: float) -> dict:
    return _aws.wait_for(lambda: sagemaker.describe_endpoint(EndpointName=name), "EndpointStatus", TERMINAL,
                         poll_seconds)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-package-group", default="breast-cancer-xgboost")
    parser.add_argument("--endpoint-name", default="breast-cancer-xgboost")
    parser.add_argument("--role", required=True, help="execution role ARN for the model")
    parser.add_argument("--capture-uri", required=True, help="s3:// prefix for data capture")
    parser.add_argument("--sampling-percentage", type=int, default=100)
    parser.add_argument("--instance-type", default="ml.m5.large")
    parser.add_argument("--poll-seconds", type=float, default=15.0)
    _aws.add_connection_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    (sagemaker,) = _aws.clients(args, "sagemaker")
    try:
        package_arn = latest_approved_package(sagemaker, args.model_package_group)
    except LookupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    version = package_arn.rsplit("/", 1)[-1]
    name = f"{args.endpoint_name}-v{version}-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}"
    create_model(sagemaker, name, package_arn, args.role)
    capture = data_capture_config(args.capture_uri, args.sampling_percentage)
    create_endpoint_config(sagemaker, name, name, args.instance_type, capture)
    create_or_update_endpoint(sagemaker, args.endpoint_name, name)
    print(f"deploying {package_arn} as {args.endpoint_name} (model and config {name})")
    described = wait_in_service(sagemaker, args.endpoint_name, args.poll_seconds)
    print(f"endpoint {args.endpoint_name}: {described['EndpointStatus']}")
    return 0 if described["EndpointStatus"] == "InService" else 1


if __name__ == "__main__":
    sys.exit(main())
