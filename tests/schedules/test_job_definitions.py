"""Monitoring job definitions and the schedules that name them, with Model Monitor's schedule expressions and
analysis windows, through boto3 against the real server."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from hosting.deploy import csv_row, deploy, feature_rows
from schedules.monitoring import OUTPUT_URI, schedule_config

ROLE = "arn:aws:iam::000000000000:role/sagemaker"
ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}


def definition(kind: str, name: str, endpoint: str = "bc-endpoint") -> dict:
    request = {"JobDefinitionName": name, "RoleArn": ROLE, "JobResources": CLUSTER,
               f"{kind}AppSpecification": {"ImageUri": ANALYZER},
               f"{kind}JobInput": {"EndpointInput": {"EndpointName": endpoint,
                                                     "LocalPath": "/opt/ml/processing/input/endpoint"}},
               f"{kind}JobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
                   "S3Uri": OUTPUT_URI, "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
               "StoppingCondition": {"MaxRuntimeInSeconds": 1800}}
    if kind == "ModelQuality":
        request["ModelQualityAppSpecification"]["ProblemType"] = "BinaryClassification"
        request["ModelQualityJobInput"]["GroundTruthS3Input"] = {"S3Uri": "s3://monitoring/ground-truth"}
        request["ModelQualityJobInput"]["EndpointInput"]["ProbabilityAttribute"] = "0"
    return request


def by_name(name: str, kind: str = "DataQuality", expression: str = "cron(0 * ? * * *)", **schedule) -> dict:
    return {"ScheduleConfig": {"ScheduleExpression": expression, **schedule}, "MonitoringJobDefinitionName": name,
            "MonitoringType": kind}


def _code(raised) -> str:
    return raised.value.response["Error"]["Code"]


def test_data_quality_definitions_round_trip(local_server):
    sm = deploy(local_server)["sm"]
    arn = sm.create_data_quality_job_definition(**definition("DataQuality", "dq-def"))["JobDefinitionArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:000000000000:data-quality-job-definition/dq-def"
    described = sm.describe_data_quality_job_definition(JobDefinitionName="dq-def")
    assert described["DataQualityJobInput"]["EndpointInput"]["EndpointName"] == "bc-endpoint"
    summaries = sm.list_data_quality_job_definitions(EndpointName="bc-endpoint")["JobDefinitionSummaries"]
    assert [s["MonitoringJobDefinitionName"] for s in summaries] == ["dq-def"]
    with pytest.raises(ClientError) as again:
        sm.create_data_quality_job_definition(**definition("DataQuality", "dq-def"))
    assert _code(again) == "ResourceInUse"
    sm.create_monitoring_schedule(MonitoringScheduleName="named", MonitoringScheduleConfig=by_name("dq-def"))
    with pytest.raises(ClientError) as in_use:
        sm.delete_data_quality_job_definition(JobDefinitionName="dq-def")
    assert _code(in_use) == "ResourceInUse"
    listed = sm.list_monitoring_schedules(MonitoringJobDefinitionName="dq-def")["MonitoringScheduleSummaries"]
    assert [(s["MonitoringScheduleName"], s["MonitoringType"]) for s in listed] == [("named", "DataQuality")]
    sm.delete_monitoring_schedule(MonitoringScheduleName="named")
    sm.delete_data_quality_job_definition(JobDefinitionName="dq-def")
    with pytest.raises(ClientError) as gone:
        sm.describe_data_quality_job_definition(JobDefinitionName="dq-def")
    assert _code(gone) == "ResourceNotFound"


def test_a_schedule_naming_a_definition_runs_it(local_server):
    env = deploy(local_server)
    for row in feature_rows(20):
        env["runtime"].invoke_endpoint(EndpointName="bc-endpoint", ContentType="text/csv", Body=csv_row(row))
    sm = env["sm"]
    sm.create_data_quality_job_definition(**definition("DataQuality", "dq-def"))
    sm.create_monitoring_schedule(MonitoringScheduleName="named", MonitoringScheduleConfig=by_name("dq-def"))
    report = local_server.app.state.backends["schedules"].run_now("named")
    # No baseline in the definition: the analyzer profiles the window and the execution completes.
    assert report["MonitoringExecutionStatus"] == "Completed", report.get("FailureReason")
    (execution,) = sm.list_monitoring_executions(MonitoringScheduleName="named")["MonitoringExecutionSummaries"]
    assert execution["MonitoringJobDefinitionName"] == "dq-def" and execution["MonitoringType"] == "DataQuality"
    job = sm.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].rsplit("/", 1)[-1])
    assert job["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800}


def test_model_quality_definitions_are_named_by_their_type(local_server):
    """(Their executions: tests/schedules/test_model_quality_schedule.py.)"""
    sm = deploy(local_server)["sm"]
    sm.create_model_quality_job_definition(**definition("ModelQuality", "mq-def"))
    assert sm.describe_model_quality_job_definition(JobDefinitionName="mq-def")["ModelQualityAppSpecification"][
        "ProblemType"] == "BinaryClassification"
    inline = dict(schedule_config("bc-endpoint"), MonitoringType="ModelQuality")
    with pytest.raises(ClientError) as not_named:  # a model-quality schedule needs its definition's ground truth
        sm.create_monitoring_schedule(MonitoringScheduleName="inline", MonitoringScheduleConfig=inline)
    assert "names its job definition" in not_named.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as wrong_type:  # the name exists only as a ModelQuality definition
        sm.create_monitoring_schedule(MonitoringScheduleName="wrong", MonitoringScheduleConfig=by_name("mq-def"))
    assert _code(wrong_type) == "ResourceNotFound"


@pytest.mark.parametrize("expression", ["rate(1 hour)", "cron(0 * * * ? *)", "cron(30 * ? * * *)",
                                        "cron(0 25 ? * * *)", "cron(0 0/25 ? * * *)", "hourly"])
def test_only_model_monitors_expressions_are_accepted(local_server, expression):
    sm = deploy(local_server)["sm"]
    with pytest.raises(ClientError) as refused:
        sm.create_monitoring_schedule(MonitoringScheduleName="bad",
                                      MonitoringScheduleConfig=schedule_config("bc-endpoint", expression))
    assert _code(refused) == "ValidationException"
    assert "cron(0 * ? * * *) (hourly)" in refused.value.response["Error"]["Message"]


def test_stopping_condition_must_fit_the_cadence(local_server):
    sm = deploy(local_server)["sm"]
    config = schedule_config("bc-endpoint")
    config["MonitoringJobDefinition"]["StoppingCondition"] = {"MaxRuntimeInSeconds": 7200}
    with pytest.raises(ClientError, match="stopping condition should be smaller than schedule cadence"):
        sm.create_monitoring_schedule(MonitoringScheduleName="slow", MonitoringScheduleConfig=config)
    config["ScheduleConfig"]["ScheduleExpression"] = "cron(0 0/2 ? * * *)"  # every two hours: 7200 s fits
    sm.create_monitoring_schedule(MonitoringScheduleName="slow", MonitoringScheduleConfig=config)


def test_now_schedules_run_once_over_their_offset_window(local_server):
    env = deploy(local_server)
    for row in feature_rows(10):
        env["runtime"].invoke_endpoint(EndpointName="bc-endpoint", ContentType="text/csv", Body=csv_row(row))
    sm = env["sm"]
    with pytest.raises(ClientError, match="required when ScheduleExpression is NOW"):
        sm.create_monitoring_schedule(MonitoringScheduleName="once",
                                      MonitoringScheduleConfig=schedule_config("bc-endpoint", "NOW"))
    config = schedule_config("bc-endpoint", "NOW")
    config["ScheduleConfig"] |= {"DataAnalysisStartTime": "-PT1H", "DataAnalysisEndTime": "PT0H"}
    sm.create_monitoring_schedule(MonitoringScheduleName="once", MonitoringScheduleConfig=config)
    backend = local_server.app.state.backends["schedules"]
    later = datetime.now(timezone.utc) + timedelta(seconds=5)
    (ran,) = backend.run_due(later)
    assert ran["MonitoringExecutionStatus"] == "Completed", ran.get("FailureReason")
    assert backend.run_due(later + timedelta(hours=2)) == []  # once only
    job = sm.describe_processing_job(ProcessingJobName=ran["ProcessingJobArn"].rsplit("/", 1)[-1])
    start, end = (datetime.strptime(job["Environment"][k], "%Y-%m-%dT%H:%M:%SZ") for k in ("start_time", "end_time"))
    assert end - start == timedelta(hours=1)
    with pytest.raises(ClientError, match="more than 24 hours"):
        config["ScheduleConfig"] |= {"DataAnalysisStartTime": "-P2D"}
        sm.create_monitoring_schedule(MonitoringScheduleName="too-long", MonitoringScheduleConfig=config)
