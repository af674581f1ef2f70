"""setup_monitoring.py: both modes' calls under Stubber; the monitoring pipeline built offline."""
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from botocore.stub import ANY

import setup_monitoring

ROOT = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::111122223333:role/SageMakerRole"
IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
SCHEDULE_ARN = "arn:aws:sagemaker:us-east-1:111122223333:monitoring-schedule/breast-cancer-data-quality"
PIPELINE_ARN = "arn:aws:sagemaker:us-east-1:111122223333:pipeline/breastcancermonitoring"


@pytest.fixture(scope="module")
def monitoring_definition(tmp_path_factory) -> Path:
    """The monitoring pipeline's definition, built by the script's own builder in a guarded subprocess."""
    path = tmp_path_factory.mktemp("monitoring") / "monitoring.json"
    code = (f"import sys; sys.path[:0] = [{str(ROOT / 'tests')!r}, {str(ROOT / 'scripts')!r}]\n"
            "import netguard; netguard.install()\n"
            "import setup_monitoring, pathlib\n"
            f"text = setup_monitoring.build_monitoring_definition('us-east-1', {ROLE!r}, 'bucket', "
            "'breast-cancer-xgboost', 'BreastCancerMonitoring')\n"
            f"pathlib.Path({str(path)!r}).write_text(text)\n"
            "assert not netguard.ATTEMPTS, netguard.ATTEMPTS\n")
    built = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert built.returncode == 0, built.stderr[-2000:]
    return path


def test_monitoring_pipeline_definition(monitoring_definition):
    definition = json.loads(monitoring_definition.read_text())
    (step,) = definition["Steps"]
    arguments = step["Arguments"]
    assert arguments["AppSpecification"]["ContainerEntrypoint"][-1] == "/opt/ml/processing/input/code/analyze_capture.py"
    assert json.loads(arguments["Environment"]["dataset_format"]) == {
        "sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}
    inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in arguments["ProcessingInputs"]}
    assert inputs["library"] == "s3://bucket/BreastCancerMonitoring/code/library"
    assert {p["Name"] for p in definition["Parameters"]} >= {"CaptureUri", "BaselineStatisticsUri",
                                                             "BaselineConstraintsUri", "ReportUri", "WindowHours"}


def test_analyzer_image_comes_from_the_sdk_table():
    assert setup_monitoring.analyzer_image("us-east-1") == IMAGE


def test_model_monitor_baseline_then_hourly_schedule(stubbed_clients):
    stubbed_clients.client("sagemaker")
    stub = stubbed_clients["sagemaker"]
    stub.add_response("create_processing_job", {"ProcessingJobArn": "arn:aws:sagemaker:us-east-1:1:processing-job/b"})
    for status in ("InProgress", "Completed"):
        stub.add_response("describe_processing_job", {
            "ProcessingJobName": "b", "ProcessingJobArn": "arn:aws:sagemaker:us-east-1:1:processing-job/b",
            "ProcessingJobStatus": status, "CreationTime": datetime(2026, 1, 1),
            "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                      "VolumeSizeInGB": 20}},
            "AppSpecification": {"ImageUri": IMAGE}}, {"ProcessingJobName": ANY})
    stub.add_response("create_monitoring_schedule", {"MonitoringScheduleArn": SCHEDULE_ARN}, {
        "MonitoringScheduleName": "breast-cancer-data-quality",
        "MonitoringScheduleConfig": {
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringType": "DataQuality",
            "MonitoringJobDefinition": {
                "BaselineConfig": {"StatisticsResource": {"S3Uri": "s3://b/mon/baseline/statistics.json"},
                                   "ConstraintsResource": {"S3Uri": "s3://b/mon/baseline/constraints.json"}},
                "MonitoringInputs": [{"EndpointInput": {"EndpointName": "breast-cancer-xgboost",
                                                        "LocalPath": "/opt/ml/processing/input/endpoint"}}],
                "MonitoringOutputConfig": {"MonitoringOutputs": [{"S3Output": {
                    "S3Uri": "s3://b/mon/reports", "LocalPath": "/opt/ml/processing/output",
                    "S3UploadMode": "EndOfJob"}}]},
                "MonitoringResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                          "VolumeSizeInGB": 20}},
                "MonitoringAppSpecification": {"ImageUri": IMAGE},
                "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
                "Environment": {"publish_cloudwatch_metrics": "Enabled"}, "RoleArn": ROLE}}})
    code = setup_monitoring.main(["model-monitor", "--role", ROLE, "--baseline-dataset", "s3://b/baseline.csv",
                                  "--report-uri", "s3://b/mon/", "--poll-seconds", "0"])
    assert code == 0


def test_pipeline_mode_uploads_upserts_schedules_and_starts(stubbed_clients, monitoring_definition):
    s3, sagemaker, scheduler = (stubbed_clients.client(s) for s in ("s3", "sagemaker", "scheduler"))
    library = [p for p in (ROOT / "sagelocal").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    for _ in range(len(library) + 1):
        stubbed_clients["s3"].add_response("put_object", {}, {"Bucket": "bucket", "Key": ANY, "Body": ANY})
    sm = stubbed_clients["sagemaker"]
    sm.add_client_error("describe_pipeline", "ResourceNotFound", "no pipeline")
    sm.add_response("create_pipeline", {"PipelineArn": PIPELINE_ARN}, {
        "PipelineName": "BreastCancerMonitoring", "PipelineDefinition": monitoring_definition.read_text(),
        "RoleArn": ROLE, "PipelineDescription": ANY})
    parameters = [{"Name": "CaptureUri", "Value": "s3://bucket/datacapture/breast-cancer-xgboost"},
                  {"Name": "BaselineStatisticsUri", "Value": "s3://bucket/statistics.json"},
                  {"Name": "BaselineConstraintsUri", "Value": "s3://bucket/constraints.json"}]
    stubbed_clients["scheduler"].add_client_error("create_schedule", "ConflictException", "exists")
    stubbed_clients["scheduler"].add_response("update_schedule", {
        "ScheduleArn": "arn:aws:scheduler:us-east-1:111122223333:schedule/default/breast-cancer-data-quality"}, {
        "Name": "breast-cancer-data-quality", "ScheduleExpression": "cron(0 * ? * * *)",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": {"Arn": PIPELINE_ARN, "RoleArn": "arn:aws:iam::111122223333:role/SchedulerRole",
                   "SageMakerPipelineParameters": {"PipelineParameterList": parameters}}})
    sm.add_response("start_pipeline_execution", {"PipelineExecutionArn": PIPELINE_ARN + "/execution/abc"}, {
        "PipelineName": "BreastCancerMonitoring",
        "PipelineParameters": parameters + [{"Name": "WindowHours", "Value": "0"}]})
    code = setup_monitoring.main([
        "pipeline", "--role", ROLE, "--bucket", "bucket", "--definition", str(monitoring_definition),
        "--capture-uri", parameters[0]["Value"], "--statistics-uri", parameters[1]["Value"],
        "--constraints-uri", parameters[2]["Value"],
        "--scheduler-role", "arn:aws:iam::111122223333:role/SchedulerRole", "--start-now"])
    assert code == 0


def test_model_quality_job_definition_and_hourly_schedule(stubbed_clients):
    """The reviewers' ground truth merged with the capture: P(malignant) is the captured response's first field."""
    stubbed_clients.client("s3")
    stubbed_clients.client("sagemaker")
    stub = stubbed_clients["sagemaker"]
    stub.add_response("create_model_quality_job_definition", {
        "JobDefinitionArn": "arn:aws:sagemaker:us-east-1:111122223333:model-quality-job-definition/mq"}, {
        "JobDefinitionName": "mq", "RoleArn": ROLE,
        "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}},
        "ModelQualityBaselineConfig": {"ConstraintsResource": {"S3Uri": "s3://b/mq/baseline/constraints.json"}},
        "ModelQualityAppSpecification": {"ImageUri": IMAGE, "ProblemType": "BinaryClassification"},
        "ModelQualityJobInput": {
            "EndpointInput": {"EndpointName": "breast-cancer-xgboost", "LocalPath": "/opt/ml/processing/input/endpoint",
                              "ProbabilityAttribute": "0", "ProbabilityThresholdAttribute": 0.5},
            "GroundTruthS3Input": {"S3Uri": "s3://b/ground-truth"}},
        "ModelQualityJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
            "S3Uri": "s3://b/mq/reports", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
        "StoppingCondition": {"MaxRuntimeInSeconds": 1800}})
    stub.add_response("create_monitoring_schedule", {"MonitoringScheduleArn": SCHEDULE_ARN}, {
        "MonitoringScheduleName": "mq", "MonitoringScheduleConfig": {
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinitionName": "mq",
            "MonitoringType": "ModelQuality"}})
    code = setup_monitoring.main(["model-quality", "--role", ROLE, "--constraints-uri",
                                  "s3://b/mq/baseline/constraints.json", "--ground-truth-uri", "s3://b/ground-truth",
                                  "--report-uri", "s3://b/mq/", "--schedule-name", "mq"])
    assert code == 0


def test_model_quality_needs_a_baseline(stubbed_clients, capsys):
    stubbed_clients.client("s3")
    stubbed_clients.client("sagemaker")
    assert setup_monitoring.main(["model-quality", "--role", ROLE, "--ground-truth-uri", "s3://b/gt",
                                  "--report-uri", "s3://b/mq"]) == 2
    assert "give --baseline-dataset or --constraints-uri" in capsys.readouterr().err
