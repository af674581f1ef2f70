"""Monitoring schedules through boto3: lifecycle, AWS's errors, executions, /metrics protection."""
import base64

import httpx
import pytest
from botocore.exceptions import ClientError

from hosting.deploy import deploy
from schedules.monitoring import schedule_config

from sagelocal.credentials import load_or_create


def _code(raised):
    return raised.value.response["Error"]["Code"]


def test_schedule_lifecycle_and_errors(local_server):
    env = deploy(local_server)
    sm = env["sm"]
    arn = sm.create_monitoring_schedule(MonitoringScheduleName="hourly",
                                        MonitoringScheduleConfig=schedule_config("bc-endpoint"))["MonitoringScheduleArn"]
    assert arn.endswith(":monitoring-schedule/hourly")
    described = sm.describe_monitoring_schedule(MonitoringScheduleName="hourly")
    assert described["MonitoringScheduleStatus"] == "Scheduled" and described["EndpointName"] == "bc-endpoint"
    assert described["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"] == "cron(0 * ? * * *)"
    with pytest.raises(ClientError) as raised:
        sm.create_monitoring_schedule(MonitoringScheduleName="hourly",
                                      MonitoringScheduleConfig=schedule_config("bc-endpoint"))
    assert _code(raised) == "ResourceInUse"
    with pytest.raises(ClientError) as raised:
        sm.create_monitoring_schedule(MonitoringScheduleName="bad",
                                      MonitoringScheduleConfig=schedule_config("bc-endpoint", "every hour"))
    assert _code(raised) == "ValidationException" and "ScheduleExpression" in str(raised.value)
    with pytest.raises(ClientError) as raised:
        sm.create_monitoring_schedule(MonitoringScheduleName="orphan",
                                      MonitoringScheduleConfig=schedule_config("no-such-endpoint"))
    assert _code(raised) == "ValidationException" and "Could not find endpoint" in str(raised.value)
    sm.stop_monitoring_schedule(MonitoringScheduleName="hourly")
    summaries = sm.list_monitoring_schedules(EndpointName="bc-endpoint")["MonitoringScheduleSummaries"]
    assert [(s["MonitoringScheduleName"], s["MonitoringScheduleStatus"]) for s in summaries] == [("hourly", "Stopped")]
    sm.start_monitoring_schedule(MonitoringScheduleName="hourly")
    sm.delete_monitoring_schedule(MonitoringScheduleName="hourly")
    for call in (sm.describe_monitoring_schedule, sm.stop_monitoring_schedule, sm.delete_monitoring_schedule):
        with pytest.raises(ClientError) as raised:
            call(MonitoringScheduleName="hourly")
        assert _code(raised) == "ResourceNotFound"


def test_execution_without_traffic_fails_as_aws_does(local_server):
    env = deploy(local_server)
    env["sm"].create_monitoring_schedule(MonitoringScheduleName="hourly",
                                         MonitoringScheduleConfig=schedule_config("bc-endpoint"))
    report = local_server.app.state.backends["schedules"].run_now("hourly")
    assert report["MonitoringExecutionStatus"] == "Failed"
    assert report["FailureReason"] == "Job inputs had no data"
    executions = env["sm"].list_monitoring_executions(MonitoringScheduleName="hourly")["MonitoringExecutionSummaries"]
    assert len(executions) == 1
    assert executions[0]["MonitoringExecutionStatus"] == "Failed"
    assert executions[0]["FailureReason"] == "Job inputs had no data"
    assert executions[0]["ProcessingJobArn"].startswith("arn:aws:sagemaker:us-east-1:000000000000:processing-job/")
    assert executions[0]["EndpointName"] == "bc-endpoint"
    last = env["sm"].describe_monitoring_schedule(MonitoringScheduleName="hourly")["LastMonitoringExecutionSummary"]
    assert last["MonitoringExecutionStatus"] == "Failed"


def test_due_executions_run_once_for_the_latest_missed_fire(local_server):
    env = deploy(local_server)
    env["sm"].create_monitoring_schedule(MonitoringScheduleName="hourly",
                                         MonitoringScheduleConfig=schedule_config("bc-endpoint"))
    backend = local_server.app.state.backends["schedules"]
    from datetime import datetime, timedelta, timezone

    later = datetime.now(timezone.utc) + timedelta(hours=3)
    ran = backend.run_due(later)
    assert len(ran) == 1  # three missed fires run once, for the latest
    assert ran[0]["ScheduledTime"] == later.replace(minute=0, second=0, microsecond=0)
    assert backend.run_due(later) == []


def test_metrics_need_the_servers_credentials(local_server):
    env = deploy(local_server)
    env["sm"].create_monitoring_schedule(MonitoringScheduleName="hourly",
                                         MonitoringScheduleConfig=schedule_config("bc-endpoint"))
    local_server.app.state.backends["schedules"].run_now("hourly")
    assert httpx.get(local_server.url + "/metrics").status_code == 401
    assert httpx.get(local_server.url + "/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    key = load_or_create(local_server.settings)
    basic = base64.b64encode(f"{key.access_key_id}:{key.secret_access_key}".encode()).decode()
    page = httpx.get(local_server.url + "/metrics", headers={"Authorization": f"Basic {basic}"})
    assert page.status_code == 200
    assert 'sagemaker_monitoring_last_execution_failed{endpoint="bc-endpoint",schedule="hourly"} 1' in page.text
    bearer = httpx.get(local_server.url + "/metrics", headers={"Authorization": f"Bearer {key.secret_access_key}"})
    assert bearer.text == page.text


def test_metrics_render_cloudwatch_records_as_prometheus_gauges():
    from sagelocal.schedules.metrics import render

    report = {"EndpointName": "ep", "MonitoringScheduleName": "s", "MonitoringExecutionStatus": "CompletedWithViolations",
              "Violations": {"data_type_check": 2},
              "Metrics": [
                  {"MetricName": "feature_data_mean radius", "Timestamp": "2026-11-25T08:00:00Z", "Unit": "Count",
                   "Dimensions": [], "StatisticValues": {"SampleCount": 114, "Sum": 1600.5, "Minimum": 7.0,
                                                          "Maximum": 28.1}},
                  {"MetricName": "feature_non_null_mean radius", "Value": 1.0},
                  {"MetricName": "feature_baseline_drift_mean radius", "Value": 0.21}]}
    text = render([report], {})
    assert 'feature_data_mean_radius{endpoint="ep",schedule="s",feature="mean radius",statistic="Maximum"} 28.1' in text
    assert 'feature_non_null_mean_radius{endpoint="ep",schedule="s",feature="mean radius"} 1.0' in text
    assert 'feature_baseline_drift_mean_radius{endpoint="ep",schedule="s",feature="mean radius"} 0.21' in text
    assert 'sagemaker_monitoring_violations{endpoint="ep",schedule="s",constraint_check_type="data_type_check"} 2' in text
    assert "# TYPE feature_data_mean_radius gauge" in text
