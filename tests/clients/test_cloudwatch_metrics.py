"""CloudWatch metrics with boto3 (which speaks RPC v2 CBOR to CloudWatch): endpoint invocation metrics and a
monitoring execution's per-feature metrics, queried as an alarm on drift would."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from hosting.deploy import csv_row, deploy, feature_rows
from schedules.monitoring import schedule_config
from schedules.test_execution_end_to_end import _baseline

WINDOW = {"StartTime": datetime.now(timezone.utc) - timedelta(days=1),
          "EndTime": datetime.now(timezone.utc) + timedelta(hours=1)}


def test_invocation_metrics_per_endpoint_and_variant(local_server):
    env = deploy(local_server)
    for row in feature_rows(7):
        env["runtime"].invoke_endpoint(EndpointName="bc-endpoint", ContentType="text/csv", Body=csv_row(row))
    with pytest.raises(ClientError):
        env["runtime"].invoke_endpoint(EndpointName="bc-endpoint", ContentType="text/csv", Body="not,numbers")
    cloudwatch = local_server.client("cloudwatch")
    dimensions = [{"Name": "EndpointName", "Value": "bc-endpoint"}, {"Name": "VariantName", "Value": "AllTraffic"}]
    stats = cloudwatch.get_metric_statistics(Namespace="AWS/SageMaker", MetricName="Invocations", Dimensions=dimensions,
                                             Period=86400 * 2, Statistics=["Sum", "SampleCount"], **WINDOW)
    assert sum(p["Sum"] for p in stats["Datapoints"]) == 8
    errors = cloudwatch.get_metric_statistics(Namespace="AWS/SageMaker", MetricName="Invocation4XXErrors",
                                              Dimensions=dimensions, Period=86400 * 2, Statistics=["Sum"], **WINDOW)
    assert sum(p["Sum"] for p in errors["Datapoints"]) == 1
    latency = cloudwatch.get_metric_data(MetricDataQueries=[{"Id": "latency", "MetricStat": {
        "Metric": {"Namespace": "AWS/SageMaker", "MetricName": "ModelLatency", "Dimensions": dimensions},
        "Period": 60, "Stat": "Maximum"}}], **WINDOW)["MetricDataResults"][0]
    assert latency["StatusCode"] == "Complete" and latency["Values"] and all(v > 0 for v in latency["Values"])


def test_drift_metrics_of_a_monitoring_execution(local_server, tmp_path):
    from sagelocal.storage import LocalS3

    env = deploy(local_server)
    for row in feature_rows(60):
        env["runtime"].invoke_endpoint(EndpointName="bc-endpoint", ContentType="text/csv", Body=csv_row(row))
    config = schedule_config("bc-endpoint", baseline=_baseline(tmp_path, LocalS3(local_server.settings.s3_root)))
    config["MonitoringJobDefinition"]["Environment"] = {"publish_cloudwatch_metrics": "Enabled"}
    env["sm"].create_monitoring_schedule(MonitoringScheduleName="hourly", MonitoringScheduleConfig=config)
    local_server.app.state.backends["schedules"].run_now("hourly")
    cloudwatch = local_server.client("cloudwatch")
    metrics = cloudwatch.list_metrics(Namespace="aws/sagemaker/Endpoints/data-metrics",
                                      Dimensions=[{"Name": "MonitoringSchedule", "Value": "hourly"}])["Metrics"]
    names = {m["MetricName"] for m in metrics}
    assert {"feature_baseline_drift_f0", "feature_non_null_f0", "feature_data_f0"} <= names
    assert metrics[0]["Dimensions"] == [{"Name": "Endpoint", "Value": "bc-endpoint"},
                                        {"Name": "MonitoringSchedule", "Value": "hourly"}]
    drift = cloudwatch.get_metric_data(MetricDataQueries=[{"Id": "drift", "MetricStat": {
        "Metric": {"Namespace": "aws/sagemaker/Endpoints/data-metrics", "MetricName": "feature_baseline_drift_f0",
                   "Dimensions": metrics[0]["Dimensions"]}, "Period": 3600, "Stat": "Maximum"}}],
        **WINDOW)["MetricDataResults"][0]
    assert len(drift["Values"]) == 1 and 0 <= drift["Values"][0] <= 1


def test_bad_queries_get_cloudwatchs_errors(local_server):
    cloudwatch = local_server.client("cloudwatch")
    with pytest.raises(ClientError) as combination:
        cloudwatch.get_metric_statistics(Namespace="AWS/SageMaker", MetricName="Invocations", Period=60, **WINDOW)
    assert combination.value.response["Error"]["Code"] == "InvalidParameterCombination"
    with pytest.raises(ClientError, match="exceeds the limit of 1,440"):
        cloudwatch.get_metric_statistics(Namespace="AWS/SageMaker", MetricName="Invocations", Period=1,
                                         Statistics=["Sum"], **WINDOW)
    with pytest.raises(ClientError) as unsupported:
        cloudwatch.describe_alarms()
    assert unsupported.value.response["Error"]["Code"] == "UnknownOperationException"
