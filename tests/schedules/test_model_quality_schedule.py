"""ModelQuality monitoring through boto3 against the real server: CreateModelQualityJobDefinition and a schedule
naming it; an execution merges the endpoint's capture with ground-truth records (by inferenceId) and checks the
binary-classification metrics against a model-quality baseline's constraints."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import xgboost as xgb
from botocore.exceptions import ClientError

from hosting.deploy import csv_row, deploy, feature_rows, train_booster
from sagelocal.monitor import model_quality
from sagelocal.monitor.model_quality import Attributes

ROLE = "arn:aws:iam::000000000000:role/sagemaker"
ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
GROUND_TRUTH = "s3://monitoring/ground-truth"
REPORTS = "s3://monitoring/model-quality-reports"
ROWS = 40


def true_label(row) -> int:
    return int(row[0] + 0.5 * row[1] > 0)  # the rule train_booster's model learned


def definition(name: str, constraints_uri: str) -> dict:
    return {"JobDefinitionName": name, "RoleArn": ROLE,
            "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                               "VolumeSizeInGB": 20}},
            "ModelQualityAppSpecification": {"ImageUri": ANALYZER, "ProblemType": "BinaryClassification"},
            "ModelQualityBaselineConfig": {"ConstraintsResource": {"S3Uri": constraints_uri}},
            "ModelQualityJobInput": {
                "EndpointInput": {"EndpointName": "bc-endpoint", "LocalPath": "/opt/ml/processing/input_data",
                                  "ProbabilityAttribute": "0", "ProbabilityThresholdAttribute": 0.5},
                "GroundTruthS3Input": {"S3Uri": GROUND_TRUTH}},
            "ModelQualityJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
                "S3Uri": REPORTS, "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
            "StoppingCondition": {"MaxRuntimeInSeconds": 1800}}


def put_json_lines(s3, uri: str, records: list) -> None:
    bucket, _, key = uri[len("s3://"):].partition("/")
    s3.put_object(Bucket=bucket, Key=key, Body="".join(json.dumps(r) + "\n" for r in records).encode())


def ground_truth(labels: dict) -> list:
    return [{"groundTruthData": {"data": str(label), "encoding": "CSV"}, "eventMetadata": {"eventId": event},
             "eventVersion": "0"} for event, label in labels.items()]


@pytest.fixture
def monitored(local_server):
    """The endpoint serving ROWS requests with InferenceId = row number, a baseline made on the same rows (so
    the current metrics equal the baseline's), and a ModelQuality schedule naming its job definition."""
    env = deploy(local_server)
    rows = feature_rows(ROWS)
    for number, row in enumerate(rows):
        env["runtime"].invoke_endpoint(EndpointName="bc-endpoint", ContentType="text/csv", Body=csv_row(row),
                                       InferenceId=str(number))
    probabilities = train_booster().predict(xgb.DMatrix(rows))
    labels = {str(number): true_label(row) for number, row in enumerate(rows)}
    baseline = model_quality.statistics_document(
        {"labels": [str(v) for v in labels.values()], "outputs": None,
         "probabilities": [repr(float(p)) for p in probabilities]},
        Attributes("BinaryClassification", probability="probability"))
    s3 = local_server.client("s3")
    s3.put_object(Bucket="monitoring", Key="baseline/constraints.json", Body=json.dumps(
        model_quality.suggest_constraints(baseline, "BinaryClassification")).encode())
    sm = env["sm"]
    sm.create_model_quality_job_definition(**definition("mq-def", "s3://monitoring/baseline/constraints.json"))
    sm.create_monitoring_schedule(MonitoringScheduleName="quality", MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "MonitoringJobDefinitionName": "mq-def", "MonitoringType": "ModelQuality"})
    return {"sm": sm, "s3": s3, "labels": labels, "baseline": baseline,
            "run": lambda: local_server.app.state.backends["schedules"].run_now("quality")}


def hour_prefix() -> str:
    return f"{GROUND_TRUTH}/{datetime.now(timezone.utc):%Y/%m/%d/%H}"


def test_an_execution_merges_capture_with_ground_truth_and_completes(monitored):
    put_json_lines(monitored["s3"], f"{hour_prefix()}/labels.jsonl", ground_truth(monitored["labels"]))
    report = monitored["run"]()
    assert report["MonitoringExecutionStatus"] == "Completed", report.get("FailureReason")
    sm = monitored["sm"]
    (execution,) = sm.list_monitoring_executions(MonitoringScheduleName="quality")["MonitoringExecutionSummaries"]
    assert execution["MonitoringType"] == "ModelQuality" and execution["MonitoringJobDefinitionName"] == "mq-def"
    job = sm.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].rsplit("/", 1)[-1])
    assert job["ProcessingJobName"].startswith("model-quality-monitoring-")
    assert job["Environment"]["analysis_type"] == "MODEL_QUALITY"
    assert job["Environment"]["dataset_format"] == '{"sagemakerMergeJson": {"captureIndexNames": ["endpointOutput"]}}'
    assert job["ProcessingInputs"][0]["InputName"] == "groundtruth_input_1"
    assert job["ExitMessage"] == "Completed: Job completed successfully with no violations."
    bucket, _, key = report["ReportUri"][len("s3://"):].partition("/")
    statistics = json.loads(monitored["s3"].get_object(Bucket=bucket, Key=f"{key}/statistics.json")["Body"].read())
    current, baseline = (document["binary_classification_metrics"] for document in (statistics, monitored["baseline"]))
    assert statistics["dataset"]["item_count"] == ROWS  # every captured inference found its label
    assert current["confusion_matrix"] == baseline["confusion_matrix"]
    assert current["auc"]["value"] == baseline["auc"]["value"]


def test_worse_labels_give_violations_and_metrics(monitored, local_server):
    labels = monitored["labels"]
    put_json_lines(monitored["s3"], f"{hour_prefix()}/a-first.jsonl", ground_truth(labels))
    # Corrected later (a second file of the hour): the last label read wins, here a third of them flipped.
    flipped = {event: 1 - label if int(event) % 3 == 0 else label for event, label in labels.items()}
    put_json_lines(monitored["s3"], f"{hour_prefix()}/b-corrected.jsonl", ground_truth(flipped))
    report = monitored["run"]()
    assert report["MonitoringExecutionStatus"] == "CompletedWithViolations", report.get("FailureReason")
    bucket, _, key = report["ReportUri"][len("s3://"):].partition("/")
    violations = json.loads(monitored["s3"].get_object(
        Bucket=bucket, Key=f"{key}/constraint_violations.json")["Body"].read())["violations"]
    assert "accuracy" in [v["metric_name"] for v in violations]
    assert report["Violations"]["LessThanThreshold"] >= 1
    cloudwatch = local_server.client("cloudwatch")
    names = {m["MetricName"] for m in cloudwatch.list_metrics(Namespace="aws/sagemaker/Endpoints/model-metrics")[
        "Metrics"]}
    assert {"accuracy", "auc", "f2"} <= names


def test_capture_without_ground_truth_fails_with_the_reason(monitored):
    report = monitored["run"]()
    assert report["MonitoringExecutionStatus"] == "Failed"
    assert report["FailureReason"].startswith(f"Job inputs had no data: none of the {ROWS} captured inferences")


def test_a_definition_without_what_the_analysis_needs_is_refused(local_server):
    sm = deploy(local_server)["sm"]
    request = definition("incomplete", "s3://monitoring/baseline/constraints.json")
    del request["ModelQualityAppSpecification"]["ProblemType"]
    with pytest.raises(ClientError) as refused:
        sm.create_model_quality_job_definition(**request)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "ProblemType is required" in refused.value.response["Error"]["Message"]
    assert sm.list_model_quality_job_definitions()["JobDefinitionSummaries"] == []
