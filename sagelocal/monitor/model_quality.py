"""Model Monitor's model-quality analysis: baselining (statistics.json with the problem type's metrics and the
suggested constraints.json) and monitoring (the metrics of current data checked against those constraints:
constraint_violations.json, CloudWatch metric records, the status message).

The data is either a CSV baseline dataset (``ground_truth_attribute``, ``inference_attribute``,
``probability_attribute`` name its columns, or give 0-based positions; ``_c<n>`` names header-less columns) or
the ground-truth merger's output (``sagemakerMergeJson``: capture records with ``groundTruthData``, the
attributes locating fields of ``endpointOutput``: a position for CSV, a JSONPath such as ``$.score`` for JSON).
Binary classification: labels are 0/1 (1 is the positive class); with a probability attribute the predicted
label is 1 when the probability is above ``probability_threshold_attribute`` (0.5 when not given), as Spark's
classifiers decide.

File formats follow AWS's real outputs (see :mod:`sagelocal.monitor.quality_metrics` for the metrics): the
suggested constraints of the churn example and the QualityCheck fixture, and violations such as
``Metric auc with 0.5127590160341251 +/- 0.007142408259978924 was LessThanThreshold '0.9395127993393898'``.
"""
from __future__ import annotations

import json
import math
import operator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from sagelocal.errors import UserError
from sagelocal.monitor import outputs, quality_metrics, reader
from sagelocal.monitor.capture import NO_DATA_MESSAGE, parse_time
from sagelocal.monitor.jsonfmt import java_double
from sagelocal.monitor.quality_metrics import BINARY, MULTICLASS, PROBLEM_TYPES, REGRESSION

DEFAULT_THRESHOLD = 0.5
_CONSTRAINTS_KEY = {BINARY: "binary_classification_constraints",
                    MULTICLASS: "multiclass_classification_constraints", REGRESSION: "regression_constraints"}
_LESS, _GREATER = "LessThanThreshold", "GreaterThanThreshold"
_COMPARISONS = {_LESS: operator.lt, _GREATER: operator.gt, "LessThanOrEqualToThreshold": operator.le,
                "GreaterThanOrEqualToThreshold": operator.ge}
# Suggested constraints, in AWS's order, with the direction in which each metric gets worse.
_SUGGESTED = {
    BINARY: {"recall": _LESS, "precision": _LESS, "accuracy": _LESS, "true_positive_rate": _LESS,
             "true_negative_rate": _LESS, "false_positive_rate": _GREATER, "false_negative_rate": _GREATER,
             "auc": _LESS, "f0_5": _LESS, "f1": _LESS, "f2": _LESS},
    # Not seen in a real file: the multiclass metrics that have a direction, all "higher is better".
    MULTICLASS: {"accuracy": _LESS, "weighted_recall": _LESS, "weighted_precision": _LESS, "weighted_f0_5": _LESS,
                 "weighted_f1": _LESS, "weighted_f2": _LESS},
    REGRESSION: {"mae": _GREATER, "mse": _GREATER, "rmse": _GREATER, "r2": _LESS},
}
# AWS's real binary violations come in this order, and f0_5 is never checked (its constraint was 0.87 and the
# current value 0.34, yet the 10 violations of the churn example leave it out): the same is done here.
_CHECK_ORDER = ("auc", "precision", "true_positive_rate", "f1", "accuracy", "false_positive_rate",
                "true_negative_rate", "false_negative_rate", "recall", "f2")
_UNCHECKED = ("f0_5", "weighted_f0_5")


@dataclass(frozen=True)
class Attributes:
    """Where the label, the prediction and the probability are (the analyzer's ``*_attribute`` variables)."""

    problem_type: str
    ground_truth: str | None = None
    inference: str | None = None
    probability: str | None = None
    threshold: float = DEFAULT_THRESHOLD

    def __post_init__(self):
        if self.problem_type not in PROBLEM_TYPES:
            raise UserError(f"problem_type {self.problem_type!r} is not one of {', '.join(PROBLEM_TYPES)}")
        if not (self.inference or self.probability):
            raise UserError("give inference_attribute or probability_attribute (where the model's output is)")
        if self.probability and self.problem_type != BINARY and not self.inference:
            raise UserError(f"{self.problem_type} needs inference_attribute (the predicted value)")

    @classmethod
    def from_environment(cls, env: dict) -> "Attributes":
        threshold = env.get("probability_threshold_attribute")
        try:
            threshold = float(threshold) if threshold not in (None, "") else DEFAULT_THRESHOLD
        except ValueError:
            raise UserError(f"probability_threshold_attribute {threshold!r} is not a number") from None
        return cls(env.get("problem_type") or "", env.get("ground_truth_attribute") or None,
                   env.get("inference_attribute") or None, env.get("probability_attribute") or None, threshold)


@dataclass
class Result:
    status: str
    message: str
    statistics: dict
    violations: list


# -- reading ----------------------------------------------------------------------------------
def read_dataset(source, fmt: str, header: bool, attributes: Attributes, start: datetime | None = None,
                 end: datetime | None = None) -> dict:
    """``{"labels", "outputs", "probabilities"}`` as lists of texts (probabilities None when not given)."""
    if fmt == "merge":
        return _read_merged(Path(source), attributes, start, end)
    if fmt != "csv":
        raise UserError(f"model-quality analysis reads CSV or the ground-truth merger's output, not {fmt!r}")
    if not attributes.ground_truth:
        raise UserError("ground_truth_attribute is required for a CSV dataset (the column of true labels)")
    columns: dict[str, list] = {}
    for table in reader.read_chunks(Path(source), "csv", header):
        for name in table.column_names:
            columns.setdefault(name, []).extend(table.column(name).to_pylist())
    names = list(columns)

    def column(attribute):
        return None if attribute is None else columns[_column_name(attribute, names)]

    return {"labels": column(attributes.ground_truth), "outputs": column(attributes.inference),
            "probabilities": column(attributes.probability)}


def _column_name(attribute: str, names: list) -> str:
    if attribute in names:
        return attribute
    if attribute.isdigit() and int(attribute) < len(names):
        return names[int(attribute)]
    raise UserError(f"no column {attribute!r} in the dataset (columns: {', '.join(names)})")


def _read_merged(source: Path, attributes: Attributes, start, end) -> dict:
    labels, outputs_, probabilities = [], [], []
    for path in reader.dataset_files(source):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path}: line {number}"
            try:
                record = json.loads(line)
                output, truth = record["captureData"]["endpointOutput"], record["groundTruthData"]
            except (ValueError, KeyError, TypeError):
                raise UserError(f"{where}: not a merged record (captureData.endpointOutput and groundTruthData)") \
                    from None
            moment = (record.get("eventMetadata") or {}).get("inferenceTime")
            if (start or end) and not _inside(parse_time(moment, f"{where}: inferenceTime"), start, end):
                continue
            labels.append(_truth(truth, attributes.ground_truth, where))
            outputs_.append(_field(output, attributes.inference, where) if attributes.inference else None)
            probabilities.append(_field(output, attributes.probability, where) if attributes.probability else None)
    return {"labels": labels, "outputs": outputs_ if attributes.inference else None,
            "probabilities": probabilities if attributes.probability else None}


def _inside(moment: datetime, start, end) -> bool:
    return (start is None or moment >= start) and (end is None or moment < end)


def _truth(event: dict, attribute: str | None, where: str) -> str:
    """The label of a ground-truth record: its whole CSV data (AWS: "data only consists of label"), or the value
    at the JSONPath ``attribute`` of JSON data."""
    if event.get("encoding") == "JSON" and attribute and attribute.startswith("$"):
        return _field(event, attribute, where)
    return str(event.get("data", "")).strip()


def _field(event: dict, attribute: str, where: str) -> str:
    """The text at ``attribute`` of a captured payload: a 0-based position (CSV) or a JSONPath (JSON)."""
    data, encoding = event.get("data"), event.get("encoding")
    if encoding == "JSON" or attribute.startswith("$"):
        try:
            value = json.loads(data)
            for step in attribute.lstrip("$").replace("[", ".").replace("]", "").split("."):
                if step:
                    value = value[int(step)] if isinstance(value, list) else value[step]
        except (ValueError, KeyError, IndexError, TypeError):
            raise UserError(f"{where}: {attribute!r} does not locate a value in {data!r}") from None
        return value if isinstance(value, str) else json.dumps(value)
    fields = str(data).strip().split(",")
    if not attribute.isdigit() or int(attribute) >= len(fields):
        raise UserError(f"{where}: {attribute!r} is not a position in the CSV payload {data!r}")
    return fields[int(attribute)].strip()


# -- analysis ---------------------------------------------------------------------------------
def statistics_document(data: dict, attributes: Attributes) -> dict:
    labels = data["labels"]
    if not labels:
        raise UserError(NO_DATA_MESSAGE)
    if attributes.problem_type == MULTICLASS:
        truth, predicted = np.array([str(v) for v in labels]), np.array([str(v) for v in data["outputs"]])
        metrics = quality_metrics.compute(MULTICLASS, truth, predicted)
    else:
        truth = _numbers(labels, attributes.ground_truth or "ground truth")
        scores = None if data["probabilities"] is None else _numbers(data["probabilities"], attributes.probability)
        if attributes.problem_type == REGRESSION:
            metrics = quality_metrics.compute(REGRESSION, truth, _numbers(data["outputs"], attributes.inference))
        else:
            _check_binary(truth, "ground truth")
            predicted = (scores > attributes.threshold).astype(float) if data["outputs"] is None \
                else _numbers(data["outputs"], attributes.inference)
            _check_binary(predicted, "predicted")
            metrics = quality_metrics.compute(BINARY, truth, predicted, scores)
    return {"version": 0.0, "dataset": {"item_count": len(labels)},
            quality_metrics.statistics_key(attributes.problem_type): metrics}


def _numbers(texts: list, what: str) -> np.ndarray:
    try:
        return np.array([float(text) for text in texts])
    except (TypeError, ValueError):
        bad = next(text for text in texts if not _is_number(text))
        raise UserError(f"{what}: {bad!r} is not a number") from None


def _is_number(text) -> bool:
    try:
        float(text)
        return True
    except (TypeError, ValueError):
        return False


def _check_binary(values: np.ndarray, what: str) -> None:
    others = sorted(set(values.tolist()) - {0.0, 1.0})
    if others:
        raise UserError(f"BinaryClassification: {what} labels must be 0 or 1 (1 is the positive class), "
                        f"found {java_double(others[0])}")


def suggest_constraints(statistics: dict, problem_type: str) -> dict:
    """constraints.json: each metric's baseline value as its threshold, in the direction it gets worse."""
    metrics = statistics[quality_metrics.statistics_key(problem_type)]
    return {"version": 0.0, _CONSTRAINTS_KEY[problem_type]: {
        name: {"threshold": metrics[name]["value"], "comparison_operator": comparison}
        for name, comparison in _SUGGESTED[problem_type].items()}}


def check_constraints(statistics: dict, constraints: dict, problem_type: str) -> list:
    """The violations of ``constraints`` by ``statistics``, as AWS writes them."""
    wanted = constraints.get(_CONSTRAINTS_KEY[problem_type])
    if not isinstance(wanted, dict):
        raise UserError(f"baseline constraints have no {_CONSTRAINTS_KEY[problem_type]} (problem type "
                        f"{problem_type}); found {', '.join(k for k in constraints if k != 'version') or 'nothing'}")
    metrics = statistics[quality_metrics.statistics_key(problem_type)]
    names = [n for n in _CHECK_ORDER if n in wanted] + [n for n in wanted if n not in _CHECK_ORDER]
    violations = []
    for name in names:
        if name in _UNCHECKED:
            continue
        if name not in metrics:
            raise UserError(f"constraint on {name!r}: {problem_type} has no such metric")
        comparison = wanted[name].get("comparison_operator")
        if comparison not in _COMPARISONS:
            raise UserError(f"constraint on {name!r}: comparison_operator {comparison!r} is not one of "
                            f"{', '.join(_COMPARISONS)}")
        threshold, value = float(wanted[name]["threshold"]), metrics[name]["value"]
        if _COMPARISONS[comparison](value, threshold):
            deviation = metrics[name]["standard_deviation"]
            violations.append({
                "constraint_check_type": comparison,
                "description": f"Metric {_camel(name)} with {java_double(value)} +/- {java_double(deviation)} "
                               f"was {comparison} '{java_double(threshold)}'",
                "metric_name": _camel(name)})
    return violations


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def metric_records(statistics: dict, problem_type: str, timestamp: datetime, dimensions: dict) -> list:
    """CloudWatch records, one per scalar metric (``aws/sagemaker/Endpoints/model-metrics``)."""
    stamp = timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    dims = [{"Name": key, "Value": value} for key, value in dimensions.items() if value]
    return [{"MetricName": name, "Timestamp": stamp, "Dimensions": dims, "Value": metric["value"], "Unit": "None"}
            for name, metric in statistics[quality_metrics.statistics_key(problem_type)].items()
            if isinstance(metric, dict) and "value" in metric and not math.isnan(metric["value"])]


# -- jobs -------------------------------------------------------------------------------------
def run_baseline(dataset, output_dir, attributes: Attributes, fmt: str = "csv", header: bool = False) -> Result:
    """Baselining job: statistics.json and the suggested constraints.json in ``output_dir``."""
    statistics = statistics_document(read_dataset(dataset, fmt, header, attributes), attributes)
    outputs.write_json(Path(output_dir), {"statistics.json": statistics, "constraints.json":
                                          suggest_constraints(statistics, attributes.problem_type)})
    return Result("Completed", outputs.message(0), statistics, [])


def run_monitoring(dataset, fmt: str, baseline_constraints, output_dir, attributes: Attributes,
                   header: bool = False, start: datetime | None = None, end: datetime | None = None,
                   metrics_dir=None, message_file=None, dimensions: dict | None = None,
                   metric_time: datetime | None = None) -> Result:
    """Monitoring job: current metrics checked against ``baseline_constraints``; writes statistics.json and
    constraint_violations.json (nothing before the whole analysis succeeded), metric records, the message."""
    try:
        constraints = json.loads(Path(baseline_constraints).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{baseline_constraints}: cannot read the baseline constraints ({exc})") from None
    statistics = statistics_document(read_dataset(dataset, fmt, header, attributes, start, end), attributes)
    violations = check_constraints(statistics, constraints, attributes.problem_type)
    outputs.write_json(Path(output_dir), {"statistics.json": statistics,
                                          "constraint_violations.json": {"violations": violations}})
    if metrics_dir is not None:
        moment = metric_time or end or datetime.now().astimezone()
        outputs.write_metrics(Path(metrics_dir), metric_records(statistics, attributes.problem_type, moment,
                                                                dimensions or {}))
    message = outputs.message(len(violations))
    if message_file is not None:
        outputs.write_message(Path(message_file), message)
    return Result("CompletedWithViolations" if violations else "Completed", message, statistics, violations)
