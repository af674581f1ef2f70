"""Monitor an endpoint's captured traffic for data quality every hour.

``model-monitor``: for accounts with Model Monitor: a baseline processing job on the training baseline
(skipped when --statistics-uri/--constraints-uri are given) and an hourly CreateMonitoringSchedule with the
DataQuality analyzer. ``pipeline``: for accounts without it: the monitoring pipeline of
``pipelines/monitoring`` (upserted with its entry script and the sagelocal library uploaded beside it),
started every hour by an EventBridge Scheduler schedule.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import _aws
from run_pipeline_on_aws import library_files, upload_files, upsert_pipeline

ROOT = Path(__file__).resolve().parents[1]
ANALYZER_REPOSITORY = "sagemaker-model-monitor-analyzer"
HOURLY_CRON = "cron(0 * ? * * *)"
CSV_WITHOUT_HEADER = '{"csv": {"header": false, "output_columns_position": "START"}}'
PROCESSING_ROOT = "/opt/ml/processing"


def analyzer_image(region: str) -> str:
    """The Model Monitor analyzer image of a region, from the SDK's bundled image table (no network)."""
    spec = importlib.util.find_spec("sagemaker")
    table = Path(spec.submodule_search_locations[0]) / "core" / "image_uri_config" / "model-monitor.json"
    account = json.loads(table.read_text())["versions"][""]["registries"][region]
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{account}.dkr.ecr.{region}.{domain}/{ANALYZER_REPOSITORY}"


def _cluster(instance_type: str) -> dict:
    return {"ClusterConfig": {"InstanceCount": 1, "InstanceType": instance_type, "VolumeSizeInGB": 20}}


def start_baseline_job(sagemaker, name: str, image: str, role: str, dataset_uri: str, output_uri: str,
                       instance_type: str) -> None:
    sagemaker.create_processing_job(
        ProcessingJobName=name, RoleArn=role, AppSpecification={"ImageUri": image},
        ProcessingResources=_cluster(instance_type), StoppingCondition={"MaxRuntimeInSeconds": 3600},
        Environment={"dataset_format": CSV_WITHOUT_HEADER,
                     "dataset_source": f"{PROCESSING_ROOT}/input/baseline_dataset_input",
                     "output_path": f"{PROCESSING_ROOT}/output", "publish_cloudwatch_metrics": "Disabled"},
        ProcessingInputs=[{"InputName": "baseline_dataset_input", "S3Input": {
            "S3Uri": dataset_uri, "LocalPath": f"{PROCESSING_ROOT}/input/baseline_dataset_input",
            "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        ProcessingOutputConfig={"Outputs": [{"OutputName": "monitoring_output", "S3Output": {
            "S3Uri": output_uri, "LocalPath": f"{PROCESSING_ROOT}/output", "S3UploadMode": "EndOfJob"}}]},
    )


def wait_processing_job(sagemaker, name: str, poll_seconds: float) -> dict:
    return _aws.wait_for(lambda: sagemaker.describe_processing_job(ProcessingJobName=name), "ProcessingJobStatus",
                         {"Completed", "Failed", "Stopped"}, poll_seconds)


def create_monitoring_schedule(sagemaker, name: str, endpoint: str, image: str, role: str, statistics_uri: str,
                               constraints_uri: str, report_uri: str, instance_type: str) -> str:
    definition = {
        "BaselineConfig": {"StatisticsResource": {"S3Uri": statistics_uri},
                           "ConstraintsResource": {"S3Uri": constraints_uri}},
        "MonitoringInputs": [{"EndpointInput": {"EndpointName": endpoint,
                                                "LocalPath": f"{PROCESSING_ROOT}/input/endpoint"}}],
        "MonitoringOutputConfig": {"MonitoringOutputs": [{"S3Output": {
            "S3Uri": report_uri, "LocalPath": f"{PROCESSING_ROOT}/output", "S3UploadMode": "EndOfJob"}}]},
        "MonitoringResources": _cluster(instance_type),
        "MonitoringAppSpecification": {"ImageUri": image},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "Environment": {"publish_cloudwatch_metrics": "Enabled"},
        "RoleArn": role,
    }
    return sagemaker.create_monitoring_schedule(
        MonitoringScheduleName=name,
        MonitoringScheduleConfig={"ScheduleConfig": {"ScheduleExpression": HOURLY_CRON},
                                  "MonitoringJobDefinition": definition, "MonitoringType": "DataQuality"},
    )["MonitoringScheduleArn"]


def upload_monitoring_code(s3, code_prefix: str) -> int:
    """The entry script and every module of the sagelocal package, under ``code_prefix``; returns the count."""
    files = [(ROOT / "pipelines" / "monitoring" / "analyze_capture.py", f"{code_prefix}/analyze_capture.py")]
    files += library_files(f"{code_prefix}/library")
    upload_files(s3, files)
    return len(files)


def schedule_pipeline(scheduler, name: str, pipeline_arn: str, role: str, parameters: list[dict]) -> str:
    """An hourly EventBridge Scheduler schedule starting the pipeline (created, or updated when it exists)."""
    request = {"Name": name, "ScheduleExpression": HOURLY_CRON, "FlexibleTimeWindow": {"Mode": "OFF"},
               "Target": {"Arn": pipeline_arn, "RoleArn": role,
                          "SageMakerPipelineParameters": {"PipelineParameterList": parameters}}}
    try:
        return scheduler.create_schedule(**request)["ScheduleArn"]
    except scheduler.exceptions.ConflictException:
        return scheduler.update_schedule(**request)["ScheduleArn"]


def build_monitoring_definition(region: str, role: str, bucket: str, endpoint: str, pipeline_name: str) -> str:
    """The monitoring pipeline's definition, built offline with the SDK."""
    from build_pipeline_json import configure_offline_sdk, silence_sdk

    configure_offline_sdk(region)
    silence_sdk()
    sys.path.insert(0, str(ROOT))
    from pipelines.monitoring.pipeline import get_pipeline

    return get_pipeline(region, role, bucket, endpoint_name=endpoint, pipeline_name=pipeline_name).definition()


def run_model_monitor(args) -> int:
    s3_reports = args.report_uri.rstrip("/")
    (sagemaker,) = _aws.clients(args, "sagemaker")
    image = args.image_uri or analyzer_image(sagemaker.meta.region_name)
    statistics, constraints = args.statistics_uri, args.constraints_uri
    if not (statistics and constraints):
        if not args.baseline_dataset:
            print("error: give --baseline-dataset, or both --statistics-uri and --constraints-uri", file=sys.stderr)
            return 2
        job = f"{args.endpoint_name}-baseline-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}"
        start_baseline_job(sagemaker, job, image, args.role, args.baseline_dataset, f"{s3_reports}/baseline",
                           args.instance_type)
        status = wait_processing_job(sagemaker, job, args.poll_seconds)["ProcessingJobStatus"]
        print(f"baseline job {job}: {status}")
        if status != "Completed":
            return 1
        statistics, constraints = f"{s3_reports}/baseline/statistics.json", f"{s3_reports}/baseline/constraints.json"
    arn = create_monitoring_schedule(sagemaker, args.schedule_name, args.endpoint_name, image, args.role,
                                     statistics, constraints, f"{s3_reports}/reports", args.instance_type)
    print(f"created {arn} (hourly, {HOURLY_CRON})")
    return 0


def run_pipeline_monitor(args) -> int:
    s3, sagemaker, scheduler = _aws.clients(args, "s3", "sagemaker", "scheduler")
    region = sagemaker.meta.region_name
    if args.definition:
        definition = args.definition.read_text()
    else:
        definition = build_monitoring_definition(region, args.role, args.bucket, args.endpoint_name,
                                                 args.pipeline_name)
    count = upload_monitoring_code(s3, f"s3://{args.bucket}/{args.pipeline_name}/code")
    pipeline_arn, action = upsert_pipeline(sagemaker, args.pipeline_name, definition, args.role)
    print(f"uploaded {count} files; {action} {pipeline_arn}")
    parameters = [{"Name": "CaptureUri", "Value": args.capture_uri},
                  {"Name": "BaselineStatisticsUri", "Value": args.statistics_uri},
                  {"Name": "BaselineConstraintsUri", "Value": args.constraints_uri}]
    if args.scheduler_role:
        arn = schedule_pipeline(scheduler, args.schedule_name, pipeline_arn, args.scheduler_role, parameters)
        print(f"scheduled {arn} (hourly, {HOURLY_CRON})")
    if args.start_now:
        started = sagemaker.start_pipeline_execution(PipelineName=args.pipeline_name,
                                                     PipelineParameters=parameters + [
                                                         {"Name": "WindowHours", "Value": "0"}])
        print(f"started {started['PipelineExecutionArn']}")
    return 0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Run '%(prog)s MODE --help' for each mode's flags.")
    modes = parser.add_subparsers(dest="mode", required=True)
    monitor = modes.add_parser("model-monitor", help="baseline job + hourly Model Monitor schedule")
    monitor.add_argument("--baseline-dataset", help="s3:// URI of the baseline CSV (no header; the model's output "
                         "first, then the features, as the capture holds them: the evaluation step's baseline.csv)")
    monitor.add_argument("--statistics-uri", help="existing baseline statistics.json (skips the baseline job)")
    monitor.add_argument("--constraints-uri", help="existing baseline constraints.json")
    monitor.add_argument("--report-uri", required=True, help="s3:// prefix for baseline and reports")
    monitor.add_argument("--image-uri", help="analyzer image (default: the region's Model Monitor image)")
    monitor.add_argument("--instance-type", default="ml.m5.xlarge")
    monitor.add_argument("--poll-seconds", type=float, default=30.0)
    monitor.set_defaults(handler=run_model_monitor)
    pipeline = modes.add_parser("pipeline", help="the monitoring pipeline, started hourly by EventBridge Scheduler")
    pipeline.add_argument("--bucket", required=True, help="bucket for the pipeline's code and reports")
    pipeline.add_argument("--capture-uri", required=True, help="s3:// capture prefix of the endpoint")
    pipeline.add_argument("--statistics-uri", required=True)
    pipeline.add_argument("--constraints-uri", required=True)
    pipeline.add_argument("--pipeline-name", default="BreastCancerMonitoring")
    pipeline.add_argument("--definition", type=Path, help="a definition built before (default: build it now "
                          "from pipelines/monitoring/pipeline.py, offline)")
    pipeline.add_argument("--scheduler-role", help="role EventBridge Scheduler assumes (no schedule without it)")
    pipeline.add_argument("--start-now", action="store_true", help="also start one execution over all capture")
    pipeline.set_defaults(handler=run_pipeline_monitor)
    for mode in (monitor, pipeline):
        mode.add_argument("--endpoint-name", default="breast-cancer-xgboost")
        mode.add_argument("--schedule-name", default="breast-cancer-data-quality")
        mode.add_argument("--role", required=True, help="SageMaker execution role ARN")
        _aws.add_connection_args(mode)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
