"""Monitor an endpoint's captured traffic for data quality every hour, and its predictions against ground truth.

``model-monitor``: for accounts with Model Monitor: a baseline processing job on the training baseline
(skipped when --statistics-uri/--constraints-uri are given) and an hourly CreateMonitoringSchedule with the
DataQuality analyzer. ``pipeline``: for accounts without it: the monitoring pipeline of
``pipelines/monitoring`` (upserted with its entry script and the sagelocal library uploaded beside it),
started every hour by an EventBridge Scheduler schedule. ``model-quality``: a model-quality baseline job on a
labelled prediction file (the evaluation step's gold-predictions.csv; skipped when --constraints-uri is given),
CreateModelQualityJobDefinition (the capture merged with the ground truth under --ground-truth-uri) and a
ModelQuality schedule: hourly, or with --now one execution over the last 24 hours, waited for and reported.
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
CSV_WITH_HEADER = '{"csv": {"header": true, "output_columns_position": "START"}}'
# A NOW schedule must name its window: the longest Model Monitor allows, ending when it runs.
ONE_OFF = {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT24H", "DataAnalysisEndTime": "-PT0H"}
COMPLETED_EXECUTION = ("Completed", "CompletedWithViolations")
FINISHED_EXECUTION = {*COMPLETED_EXECUTION, "Failed", "Stopped"}
# The metrics shown beside their baseline, as the model-quality statistics name them.
SHOWN_METRICS = ("auc", "accuracy", "recall", "true_negative_rate")
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
                       instance_type: str, dataset_format: str = CSV_WITHOUT_HEADER,
                       analysis: dict | None = None) -> None:
    """The analyzer's baselining job; ``analysis``: further analyzer variables (a model-quality baseline's)."""
    sagemaker.create_processing_job(
        ProcessingJobName=name, RoleArn=role, AppSpecification={"ImageUri": image},
        ProcessingResources=_cluster(instance_type), StoppingCondition={"MaxRuntimeInSeconds": 3600},
        Environment={"dataset_format": dataset_format,
                     "dataset_source": f"{PROCESSING_ROOT}/input/baseline_dataset_input",
                     "output_path": f"{PROCESSING_ROOT}/output", "publish_cloudwatch_metrics": "Disabled",
                     **(analysis or {})},
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


def create_model_quality_schedule(sagemaker, args, image: str, constraints_uri: str, report_uri: str) -> str:
    """CreateModelQualityJobDefinition and a ModelQuality schedule naming it (both called --schedule-name)."""
    name = args.schedule_name
    # Where P(label 1) is in the captured response, and the decision threshold applied to it.
    endpoint_input = {"EndpointName": args.endpoint_name, "LocalPath": f"{PROCESSING_ROOT}/input/endpoint",
                      "ProbabilityAttribute": args.probability_attribute,
                      "ProbabilityThresholdAttribute": args.probability_threshold}
    sagemaker.create_model_quality_job_definition(
        JobDefinitionName=name, RoleArn=args.role, JobResources=_cluster(args.instance_type),
        ModelQualityBaselineConfig={"ConstraintsResource": {"S3Uri": constraints_uri}},
        ModelQualityAppSpecification={"ImageUri": image, "ProblemType": "BinaryClassification"},
        ModelQualityJobInput={"EndpointInput": endpoint_input, "GroundTruthS3Input": {"S3Uri": args.ground_truth_uri}},
        ModelQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {
            "S3Uri": report_uri, "LocalPath": f"{PROCESSING_ROOT}/output", "S3UploadMode": "EndOfJob"}}]},
        StoppingCondition={"MaxRuntimeInSeconds": 1800})
    schedule = ONE_OFF if args.now else {"ScheduleExpression": HOURLY_CRON}
    return sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": schedule, "MonitoringJobDefinitionName": name, "MonitoringType": "ModelQuality",
    })["MonitoringScheduleArn"]


def wait_execution(sagemaker, schedule: str, poll_seconds: float) -> dict:
    """The schedule's first execution once it has finished."""
    def first() -> dict:
        found = sagemaker.list_monitoring_executions(MonitoringScheduleName=schedule)["MonitoringExecutionSummaries"]
        return found[0] if found else {"MonitoringExecutionStatus": "Pending"}

    return _aws.wait_for(first, "MonitoringExecutionStatus", FINISHED_EXECUTION, poll_seconds)


def report_model_quality(sagemaker, s3, execution: dict, constraints_uri: str) -> list[str]:
    """What an execution found: its status, the metrics beside their baseline thresholds, the violations."""
    status = execution["MonitoringExecutionStatus"]
    lines = [f"execution {execution['ProcessingJobArn']}: {status}"]
    if status not in COMPLETED_EXECUTION:
        return lines + [f"failure reason: {execution.get('FailureReason', '-')}"]
    job = sagemaker.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].rsplit("/", 1)[-1])
    report = job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"].rstrip("/")
    statistics = json.loads(_aws.read_object(s3, f"{report}/statistics.json"))
    thresholds = json.loads(_aws.read_object(s3, constraints_uri))["binary_classification_constraints"]
    metrics = statistics["binary_classification_metrics"]
    lines.append(f"report {report}: {statistics['dataset']['item_count']} captured inferences with ground truth; "
                 + ", ".join(f"{name} {metrics[name]['value']:.4f} (baseline {thresholds[name]['threshold']:.4f})"
                             for name in SHOWN_METRICS))
    violations = json.loads(_aws.read_object(s3, f"{report}/constraint_violations.json"))["violations"]
    return lines + [f"violation {v['metric_name']}: {v['description']}" for v in violations]


def run_model_quality(args) -> int:
    s3_reports = args.report_uri.rstrip("/")
    sagemaker, s3 = _aws.clients(args, "sagemaker", "s3")
    image = args.image_uri or analyzer_image(sagemaker.meta.region_name)
    constraints = args.constraints_uri
    if not constraints:
        if not args.baseline_dataset:
            print("error: give --baseline-dataset or --constraints-uri", file=sys.stderr)
            return 2
        analysis = {"analysis_type": "MODEL_QUALITY", "problem_type": "BinaryClassification",
                    "ground_truth_attribute": args.ground_truth_attribute,
                    "probability_attribute": args.baseline_probability_attribute,
                    "probability_threshold_attribute": str(args.probability_threshold)}
        if not baseline(sagemaker, args, image, "model-quality-baseline", f"{s3_reports}/baseline",
                        dataset_format=CSV_WITH_HEADER, analysis=analysis):
            return 1
        constraints = f"{s3_reports}/baseline/constraints.json"
    arn = create_model_quality_schedule(sagemaker, args, image, constraints, f"{s3_reports}/reports")
    if not args.now:
        print(f"created {arn} (hourly, {HOURLY_CRON})")
        return 0
    print(f"created {arn} (one execution now, over the last 24 hours)")
    execution = wait_execution(sagemaker, args.schedule_name, args.poll_seconds)
    print("\n".join(report_model_quality(sagemaker, s3, execution, constraints)))
    return 0 if execution["MonitoringExecutionStatus"] in COMPLETED_EXECUTION else 1


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


def baseline(sagemaker, args, image: str, kind: str, output_uri: str, **options) -> bool:
    """Run the analyzer's baselining job on --baseline-dataset into ``output_uri``; True when it completed."""
    job = f"{args.endpoint_name}-{kind}-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}"
    start_baseline_job(sagemaker, job, image, args.role, args.baseline_dataset, output_uri, args.instance_type,
                       **options)
    status = wait_processing_job(sagemaker, job, args.poll_seconds)["ProcessingJobStatus"]
    print(f"{kind} job {job}: {status}")
    return status == "Completed"


def run_model_monitor(args) -> int:
    s3_reports = args.report_uri.rstrip("/")
    (sagemaker,) = _aws.clients(args, "sagemaker")
    image = args.image_uri or analyzer_image(sagemaker.meta.region_name)
    statistics, constraints = args.statistics_uri, args.constraints_uri
    if not (statistics and constraints):
        if not args.baseline_dataset:
            print("error: give --baseline-dataset, or both --statistics-uri and --constraints-uri", file=sys.stderr)
            return 2
        if not baseline(sagemaker, args, image, "baseline", f"{s3_reports}/baseline"):
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
    monitor.set_defaults(handler=run_model_monitor)
    quality = modes.add_parser("model-quality", help="model-quality baseline job + ModelQuality schedule on the "
                               "capture merged with ground truth")
    quality.add_argument("--baseline-dataset", help="s3:// URI of a labelled CSV with a header: the true label and "
                         "P(label 1) of each row (the evaluation step's gold-predictions.csv)")
    quality.add_argument("--ground-truth-uri", required=True, help="s3:// prefix of the ground-truth records "
                         "(<prefix>/yyyy/mm/dd/hh/*.jsonl, eventMetadata.eventId = the capture's inferenceId)")
    quality.add_argument("--ground-truth-attribute", default="label", help="the baseline CSV's label column")
    quality.add_argument("--baseline-probability-attribute", default="probability",
                         help="the baseline CSV's P(label 1) column")
    quality.add_argument("--probability-attribute", default="0",
                         help="where P(label 1) is in the captured response (0: the first CSV field)")
    quality.add_argument("--probability-threshold", type=float, default=0.5,
                         help="predicted label 1 above this probability")
    quality.add_argument("--now", action="store_true", help="one execution now over the last 24 hours (a NOW "
                         "schedule), waited for and reported, instead of an hourly schedule")
    quality.set_defaults(handler=run_model_quality)
    for mode in (monitor, quality):
        mode.add_argument("--constraints-uri", help="existing baseline constraints.json (with --statistics-uri "
                          "for model-monitor: skips the baseline job)")
        mode.add_argument("--report-uri", required=True, help="s3:// prefix for baseline and reports")
        mode.add_argument("--image-uri", help="analyzer image (default: the region's Model Monitor image)")
        mode.add_argument("--instance-type", default="ml.m5.xlarge")
        mode.add_argument("--poll-seconds", type=float, default=30.0)
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
    for mode, schedule in ((monitor, "breast-cancer-data-quality"), (pipeline, "breast-cancer-data-quality"),
                           (quality, "breast-cancer-model-quality")):
        mode.add_argument("--endpoint-name", default="breast-cancer-xgboost")
        mode.add_argument("--schedule-name", default=schedule)
        mode.add_argument("--role", required=True, help="SageMaker execution role ARN")
        _aws.add_connection_args(mode)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
