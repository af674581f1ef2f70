"""Job output files: JSON documents, the status message, CloudWatch metric records."""
from __future__ import annotations

import json
import math
import os
from datetime import datetime
from pathlib import Path

from sagelocal.monitor import dtypes
from sagelocal.monitor.jsonfmt import dumps


def message(violation_count: int) -> str:
    """The processing job's exit message, in AWS's exact words."""
    if not violation_count:
        return "Completed: Job completed successfully with no violations."
    return f"CompletedWithViolations: Job completed successfully with {violation_count} violations."


def write_json(directory: Path, documents: dict) -> None:
    """Write ``{file name: document}`` into ``directory``, each via a temporary file and rename."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, document in documents.items():
        _atomic_write(directory / name, dumps(document))


def write_message(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, text)


def _atomic_write(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def metric_records(current: dict, checked, features: list, config, timestamp: datetime, dimensions: dict) -> list:
    """CloudWatch records ``feature_data_*``, ``feature_non_null_*``, ``feature_baseline_drift_*``.

    Emitted for features whose ``emit_metrics`` is enabled (per-feature override, else ``monitoring_config``).
    """
    if not config.emit_metrics:
        return []
    stamp = timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    dims = [{"Name": key, "Value": value} for key, value in dimensions.items() if value]
    emitting = {feature.name for feature in features if feature.emit_metrics}
    records = []
    for name, profile in current.items():
        if name not in emitting:
            continue
        if profile.inferred_type in dtypes.NUMERIC_TYPES and profile.count:
            records.append(_record(f"feature_data_{name}", stamp, dims, StatisticValues={
                "SampleCount": float(profile.count), "Sum": profile.total,
                "Minimum": profile.minimum, "Maximum": profile.maximum}))
        records.append(_record(f"feature_non_null_{name}", stamp, dims,
                               Value=profile.present / profile.rows if profile.rows else 0.0))
        if name in checked.drifts and not math.isnan(checked.drifts[name].distance):
            records.append(_record(f"feature_baseline_drift_{name}", stamp, dims,
                                   Value=checked.drifts[name].distance))
    return records


def _record(metric: str, stamp: str, dims: list, **value) -> dict:
    return {"MetricName": metric, "Timestamp": stamp, "Dimensions": dims, **value, "Unit": "Count"}


def write_metrics(directory: Path, records: list) -> None:
    """One JSON record per line in ``directory/metrics.jsonl``."""
    directory.mkdir(parents=True, exist_ok=True)
    _atomic_write(directory / "metrics.jsonl", "".join(json.dumps(record) + "\n" for record in records))
