"""ListMetrics, GetMetricStatistics, GetMetricData and PutMetricData over the metric store.

Before answering, the store takes in what the runtime produced since: each finished monitoring execution's
CloudWatch records (namespace ``aws/sagemaker/Endpoints/data-metrics``, or ``.../model-metrics`` for
ModelQuality, dimensions Endpoint and
MonitoringSchedule, as Model Monitor publishes what its analyzer writes) and the endpoints' invocation metrics.
Statistics: SampleCount, Average, Sum, Minimum, Maximum; percentiles and metric math are refused by name.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime, timezone

from sagelocal.cloudwatch.invocations import InvocationMetrics
from sagelocal.cloudwatch.store import Datapoint, MetricStore, canonical
from sagelocal.config import Settings
from sagelocal.errors import ServiceError
from sagelocal.clock import as_utc_datetime

DATA_METRICS_NAMESPACE = "aws/sagemaker/Endpoints/data-metrics"
MODEL_METRICS_NAMESPACE = "aws/sagemaker/Endpoints/model-metrics"  # ModelQuality executions' metrics
STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
MAX_DATAPOINTS = 1440  # GetMetricStatistics
MAX_METRIC_DATA_POINTS = 100_800  # GetMetricData's default MaxDatapoints
_LIST_PAGE = 500
_RECENT = {"PT3H": 3 * 3600}
_PERCENTILE = re.compile(r"^p\d+(\.\d+)?$")


class InvalidParameterValue(ServiceError):
    code = "InvalidParameterValue"


class InvalidParameterCombination(ServiceError):
    code = "InvalidParameterCombination"


def _epoch(value) -> float:
    return as_utc_datetime(value).timestamp()


class CloudWatchBackend:
    def __init__(self, settings: Settings, schedules, invocations: InvocationMetrics | None = None):
        self.store = invocations.store if invocations else MetricStore(settings.db_path("metrics"))
        self.schedules = schedules
        self.invocations = invocations

    def sync(self) -> None:
        if self.invocations is not None:
            self.invocations.flush()
        for report in self.schedules.execution_reports():
            source = report["ProcessingJobArn"]
            if report["MonitoringExecutionStatus"] == "InProgress" or not report["Metrics"] \
                    or self.store.has_source(source):
                continue
            dimensions = [("Endpoint", report["EndpointName"]), ("MonitoringSchedule", report["MonitoringScheduleName"])]
            namespace = MODEL_METRICS_NAMESPACE if report["MonitoringType"] == "ModelQuality" else DATA_METRICS_NAMESPACE
            self.store.put([_record_point(r, dimensions, namespace) for r in report["Metrics"]], source=source)

    # -- operations ---------------------------------------------------------------------------
    def put_metric_data(self, request: dict) -> dict:
        points = []
        for datum in request["MetricData"]:
            ts = _epoch(datum["Timestamp"]) if datum.get("Timestamp") else datetime.now(timezone.utc).timestamp()
            dims = canonical(datum.get("Dimensions"))
            if "StatisticValues" in datum:
                stats = datum["StatisticValues"]
                points.append(Datapoint(request["Namespace"], datum["MetricName"], dims, ts, stats["SampleCount"],
                                        stats["Sum"], stats["Minimum"], stats["Maximum"], datum.get("Unit")))
            values = datum.get("Values") or ([datum["Value"]] if "Value" in datum else [])
            counts = datum.get("Counts") or [1.0] * len(values)
            for value, count in zip(values, counts):
                points.append(Datapoint(request["Namespace"], datum["MetricName"], dims, ts, count, value * count,
                                        value, value, datum.get("Unit")))
        self.store.put(points)
        return {}

    def list_metrics(self, request: dict) -> dict:
        self.sync()
        now = datetime.now(timezone.utc).timestamp()
        metrics = []
        for row in self.store.metrics():
            dimensions = [tuple(pair) for pair in json.loads(row["dimensions"])]
            if request.get("Namespace") and row["namespace"] != request["Namespace"]:
                continue
            if request.get("MetricName") and row["name"] != request["MetricName"]:
                continue
            if not all(_has_dimension(dimensions, f) for f in request.get("Dimensions") or []):
                continue
            if request.get("RecentlyActive") and now - row["latest"] > _RECENT[request["RecentlyActive"]]:
                continue
            metrics.append({"Namespace": row["namespace"], "MetricName": row["name"],
                            "Dimensions": [{"Name": n, "Value": v} for n, v in dimensions]})
        start = _offset(request.get("NextToken"))
        response = {"Metrics": metrics[start:start + _LIST_PAGE]}
        if start + _LIST_PAGE < len(metrics):
            response["NextToken"] = base64.urlsafe_b64encode(str(start + _LIST_PAGE).encode()).decode()
        return response

    def get_metric_statistics(self, request: dict) -> dict:
        if request.get("ExtendedStatistics"):
            raise InvalidParameterValue("ExtendedStatistics (percentiles) are not supported by sagelocal; use "
                                        f"Statistics ({', '.join(STATISTICS)}).")
        if not request.get("Statistics"):
            raise InvalidParameterCombination("Must specify either Statistics or ExtendedStatistics")
        start, end, period = self._range(request["StartTime"], request["EndTime"], request["Period"])
        self.sync()
        rows = self.store.buckets(request["Namespace"], request["MetricName"], canonical(request.get("Dimensions")),
                                  start, end, period, request.get("Unit"))
        datapoints = []
        for row in rows:
            point = {"Timestamp": datetime.fromtimestamp(row["bucket"], timezone.utc),
                     "Unit": request.get("Unit") or row["unit"] or "None"}
            for statistic in request["Statistics"]:
                point[statistic] = _statistic(row, statistic)
            datapoints.append(point)
        return {"Label": request["MetricName"], "Datapoints": datapoints}

    def get_metric_data(self, request: dict) -> dict:
        queries = request["MetricDataQueries"]
        start, end = _epoch(request["StartTime"]), _epoch(request["EndTime"])
        self.sync()
        results = []
        for query in queries:
            if query.get("Expression"):
                raise InvalidParameterValue(f"Metric math expressions are not supported by sagelocal (query "
                                            f"{query['Id']}: {query['Expression']!r}); use MetricStat.")
            stat = query["MetricStat"]
            if stat["Stat"] not in STATISTICS:
                what = "Percentile statistics are" if _PERCENTILE.match(stat["Stat"]) else f"Stat {stat['Stat']} is"
                raise InvalidParameterValue(f"{what} not supported by sagelocal (query {query['Id']}); use one of "
                                            f"{', '.join(STATISTICS)}.")
            _, _, period = self._range(request["StartTime"], request["EndTime"], stat["Period"],
                                       request.get("MaxDatapoints", MAX_METRIC_DATA_POINTS))
            metric = stat["Metric"]
            rows = self.store.buckets(metric["Namespace"], metric["MetricName"], canonical(metric.get("Dimensions")),
                                      start, end, period, stat.get("Unit"))
            if request.get("ScanBy", "TimestampDescending") == "TimestampDescending":
                rows = rows[::-1]
            if query.get("ReturnData", True):
                results.append({"Id": query["Id"], "Label": query.get("Label") or metric["MetricName"],
                                "Timestamps": [datetime.fromtimestamp(r["bucket"], timezone.utc) for r in rows],
                                "Values": [_statistic(r, stat["Stat"]) for r in rows], "StatusCode": "Complete"})
        return {"MetricDataResults": results, "Messages": []}

    @staticmethod
    def _range(start_value, end_value, period: int, limit: int = MAX_DATAPOINTS) -> tuple[float, float, int]:
        start, end = _epoch(start_value), _epoch(end_value)
        if end <= start:
            raise InvalidParameterValue("The parameter StartTime must be less than the parameter EndTime.")
        if period % 60 and period not in (1, 5, 10, 20, 30):
            raise InvalidParameterValue("The parameter Period must be a multiple of 60.")
        count = int((end - start + period - 1) // period)
        if count > limit:
            raise InvalidParameterCombination(
                f"You have requested up to {count:,} datapoints, which exceeds the limit of {limit:,}. You may "
                "reduce the datapoints requested by increasing Period, or decreasing the time range.")
        return start, end, period


def _record_point(record: dict, dimensions: list, namespace: str) -> Datapoint:
    """A Model Monitor CloudWatch record (``Value`` or ``StatisticValues``) as a datapoint."""
    ts = _epoch(record["Timestamp"])
    if "StatisticValues" in record:
        stats = record["StatisticValues"]
        return Datapoint(namespace, record["MetricName"], canonical(dimensions), ts,
                         float(stats["SampleCount"]), float(stats["Sum"]), float(stats["Minimum"]),
                         float(stats["Maximum"]), record.get("Unit"))
    return Datapoint.single(namespace, record["MetricName"], dimensions, ts, float(record["Value"]), record.get("Unit"))


def _statistic(row, statistic: str) -> float:
    if statistic == "Average":
        return row["total"] / row["sample_count"] if row["sample_count"] else 0.0
    return float(row[{"SampleCount": "sample_count", "Sum": "total", "Minimum": "minimum",
                      "Maximum": "maximum"}[statistic]])


def _has_dimension(dimensions: list[tuple[str, str]], wanted: dict) -> bool:
    return any(name == wanted["Name"] and ("Value" not in wanted or value == wanted["Value"])
               for name, value in dimensions)


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidParameterValue("The NextToken is invalid.") from None
