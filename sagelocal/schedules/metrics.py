"""``/metrics``: what Model Monitor publishes to CloudWatch, in Prometheus' text format.

For each schedule, the CloudWatch metric records of its latest finished execution become gauges named like
the CloudWatch metrics (``feature_data_<feature>``, ``feature_non_null_<feature>``,
``feature_baseline_drift_<feature>``), labelled ``endpoint``, ``schedule`` and ``feature`` (the feature's
exact name; the metric name keeps only Prometheus-safe characters) and, for StatisticValues, ``statistic``
(SampleCount, Sum, Minimum, Maximum). ``sagemaker_monitoring_violations`` counts violations by
``constraint_check_type``.

Beside them, the server's own counter ``sagelocal_capture_records_dropped_total`` (labels ``endpoint`` and
``variant``): capture records the disk did not take (full, read-only) since the server started, whose
predictions were answered all the same.
"""
from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^a-zA-Z0-9_]")
_PREFIXES = ("feature_baseline_drift_", "feature_non_null_", "feature_data_")
_STATISTICS = ("SampleCount", "Sum", "Minimum", "Maximum")
_DROPPED = "sagelocal_capture_records_dropped_total"


def _label(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in labels.items()) + "}"


def render(latest: list[dict], capture_drops: dict[tuple[str, str], int]) -> str:
    """``latest``: one execution report per schedule (from SchedulesBackend.execution_reports);
    ``capture_drops``: dropped capture records by (endpoint, variant) (from HostingBackend.capture_drops)."""
    samples: dict[str, list[str]] = {}
    for report in latest:
        base = {"endpoint": report["EndpointName"], "schedule": report["MonitoringScheduleName"]}
        for record in report["Metrics"]:
            name = record["MetricName"]
            prefix = next((p for p in _PREFIXES if name.startswith(p)), None)
            if prefix is None:
                continue
            feature = name[len(prefix):]
            metric = prefix + _UNSAFE.sub("_", feature)
            if "StatisticValues" in record:
                for statistic in _STATISTICS:
                    if statistic in record["StatisticValues"]:
                        samples.setdefault(metric, []).append(
                            f"{metric}{_labels(**base, feature=feature, statistic=statistic)} "
                            f"{float(record['StatisticValues'][statistic])!r}")
            elif "Value" in record:
                samples.setdefault(metric, []).append(f"{metric}{_labels(**base, feature=feature)} "
                                                      f"{float(record['Value'])!r}")
        for check, count in sorted(report["Violations"].items()):
            samples.setdefault("sagemaker_monitoring_violations", []).append(
                f"sagemaker_monitoring_violations{_labels(**base, constraint_check_type=check)} {count}")
        samples.setdefault("sagemaker_monitoring_last_execution_failed", []).append(
            f"sagemaker_monitoring_last_execution_failed{_labels(**base)} "
            f"{int(report['MonitoringExecutionStatus'] == 'Failed')}")
    lines = []
    for metric in sorted(samples):
        lines.append(f"# TYPE {metric} gauge")
        lines.extend(samples[metric])
    if capture_drops:
        lines.append(f"# HELP {_DROPPED} Capture records not written (disk full or read-only); answered anyway.")
        lines.append(f"# TYPE {_DROPPED} counter")
        lines.extend(f"{_DROPPED}{_labels(endpoint=endpoint, variant=variant)} {count}"
                     for (endpoint, variant), count in sorted(capture_drops.items()))
    return "\n".join(lines) + "\n"
