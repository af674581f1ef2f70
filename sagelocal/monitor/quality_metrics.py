"""Model Monitor's model-quality metrics, computed as its analyzer computes them (Spark MLlib's
BinaryClassificationMetrics, MulticlassMetrics and RegressionMetrics, in their order of operations), so that the
values match AWS's files to the last bit where AWS's inputs are known:

- regression: ``r2`` uses the variance of the *predictions* (AWS hands Spark (label, prediction) where Spark
  expects (prediction, observation)): the real QualityCheck fixture's r2 of -3.2088 is this, not scikit-learn's
  ``r2_score(label, prediction)`` of -0.3351;
- binary: the positive class is label 1; ``true_negative_rate`` is ``1 - false_positive_rate`` and
  ``false_negative_rate`` is ``1 - true_positive_rate`` (AWS's 0.33333333333333337); AUC is the trapezoid area
  under Spark's ROC curve, which starts at (0, 0) and ends with an extra (1, 1) (AWS's churn baseline AUC
  0.9395127993393898, where scikit-learn's roc_auc_score gives ...889);
- the "best constant classifier" always predicts the most frequent true label (AWS's churn baseline: 173 of 201
  are 0, and its recall/precision/F are 0 with accuracy 0.8607);
- a metric's ``standard_deviation`` is "NaN" below 200 rows; from 200 rows it is the standard deviation of the
  metric over 5 random samples of 80 % of the rows (AWS's documented method; the samples are seeded here).

The confusion matrix (counts) comes from scikit-learn; the rates are Spark's formulas on those counts.
"""
from __future__ import annotations

import math
import statistics

import numpy as np
from sklearn.metrics import confusion_matrix

BINARY, MULTICLASS, REGRESSION = "BinaryClassification", "MulticlassClassification", "Regression"
PROBLEM_TYPES = (BINARY, MULTICLASS, REGRESSION)
POSITIVE = 1.0  # binary classification: label 1 is the positive class
MIN_ROWS_FOR_DEVIATION = 200
_SAMPLES, _SAMPLE_FRACTION, _SEED = 5, 0.8, 20201201
_BETAS = (("f0_5", 0.5), ("f1", 1.0), ("f2", 2.0))


def statistics_key(problem_type: str) -> str:
    """The statistics.json key of a problem type's metrics (``binary_classification_metrics``, ...)."""
    return {BINARY: "binary_classification_metrics", MULTICLASS: "multiclass_classification_metrics",
            REGRESSION: "regression_metrics"}[problem_type]


def compute(problem_type: str, labels: np.ndarray, predictions: np.ndarray, scores: np.ndarray | None = None) -> dict:
    """The ``<problem>_metrics`` object of statistics.json.

    Parameters
    ----------
    labels, predictions : arrays of float (regression, binary: 0.0/1.0) or of str (multiclass)
    scores : array of float, optional
        Binary: P(label 1), for the curves and AUC (the predictions stand in without it).
    """
    scalar = {BINARY: _binary_scalars, MULTICLASS: _multiclass_scalars, REGRESSION: _regression_scalars}[problem_type]
    values = scalar(labels, predictions, scores)
    deviations = _deviations(scalar, labels, predictions, scores, list(values))
    metrics = {name: {"value": value, "standard_deviation": deviations[name]} for name, value in values.items()}
    if problem_type == REGRESSION:
        return metrics
    classes = [0.0, POSITIVE] if problem_type == BINARY else sorted(set(labels.tolist()) | set(predictions.tolist()))
    ordered = {"confusion_matrix": _confusion(labels, predictions, classes)}
    if problem_type == MULTICLASS:
        return ordered | metrics
    # AWS's order: the rates, the two curves, then AUC and the F-scores.
    names = list(metrics)
    before_curves = names[:names.index("auc")]
    roc, pr = _curves(labels, predictions if scores is None else scores)
    ordered |= {name: metrics[name] for name in before_curves}
    ordered["receiver_operating_characteristic_curve"] = {"false_positive_rates": [x for x, _ in roc],
                                                          "true_positive_rates": [y for _, y in roc]}
    ordered["precision_recall_curve"] = {"precisions": [p for _, p in pr], "recalls": [r for r, _ in pr]}
    return ordered | {name: metrics[name] for name in names[len(before_curves):]}


def _deviations(scalar, labels, predictions, scores, names: list) -> dict:
    if len(labels) < MIN_ROWS_FOR_DEVIATION:
        return dict.fromkeys(names, math.nan)
    rng = np.random.default_rng(_SEED)
    samples = []
    for _ in range(_SAMPLES):
        keep = rng.random(len(labels)) < _SAMPLE_FRACTION
        samples.append(scalar(labels[keep], predictions[keep], None if scores is None else scores[keep]))
    return {name: statistics.stdev(sample[name] for sample in samples) for name in names}


# -- classification ---------------------------------------------------------------------------
class _Counts:
    """Per-class counts as Spark's MulticlassMetrics keeps them (weights are 1.0)."""

    def __init__(self, labels: np.ndarray, predictions: np.ndarray):
        self.total = float(len(labels))
        self.classes = sorted(set(labels.tolist()))
        self.label_count = {c: float(np.count_nonzero(labels == c)) for c in self.classes}
        hits = labels == predictions
        self.tp = {c: float(np.count_nonzero(hits & (labels == c))) for c in self.classes}
        self.fp = {c: float(np.count_nonzero(~hits & (predictions == c))) for c in set(predictions.tolist())}

    def precision(self, c) -> float:
        tp, fp = self.tp.get(c, 0.0), self.fp.get(c, 0.0)
        return 0.0 if tp + fp == 0 else tp / (tp + fp)

    def recall(self, c) -> float:
        count = self.label_count.get(c, 0.0)
        return 0.0 if count == 0 else self.tp.get(c, 0.0) / count

    def false_positive_rate(self, c) -> float:
        negatives = self.total - self.label_count.get(c, 0.0)
        return 0.0 if negatives == 0 else self.fp.get(c, 0.0) / negatives

    def f_measure(self, c, beta: float) -> float:
        p, r, beta_squared = self.precision(c), self.recall(c), beta * beta
        return 0.0 if p + r == 0 else (1 + beta_squared) * p * r / (beta_squared * p + r)

    def accuracy(self) -> float:
        return sum(self.tp.values()) / self.total

    def weighted(self, per_class) -> float:
        return sum(per_class(c) * count / self.total for c, count in self.label_count.items())


def _most_frequent(labels: np.ndarray):
    values, counts = np.unique(labels, return_counts=True)
    return values[int(np.argmax(counts))]  # ties: the smallest label


def _binary_rates(labels: np.ndarray, predictions: np.ndarray) -> dict:
    counts = _Counts(labels, predictions)
    tpr, fpr = counts.recall(POSITIVE), counts.false_positive_rate(POSITIVE)
    return {"recall": tpr, "precision": counts.precision(POSITIVE), "accuracy": counts.accuracy(),
            "true_positive_rate": tpr, "true_negative_rate": 1 - fpr, "false_positive_rate": fpr,
            "false_negative_rate": 1 - tpr, **{name: counts.f_measure(POSITIVE, beta) for name, beta in _BETAS}}


def _binary_scalars(labels, predictions, scores) -> dict:
    rates = _binary_rates(labels, predictions)
    constant = _binary_rates(labels, np.full_like(labels, _most_frequent(labels)))
    roc, _ = _curves(labels, predictions if scores is None else scores)
    best = lambda name: {f"{name}_best_constant_classifier": constant[name]}  # noqa: E731
    return {**{name: rates[name] for name in ("recall", "precision", "accuracy")},
            **best("recall"), **best("precision"), **best("accuracy"),
            **{name: rates[name] for name in ("true_positive_rate", "true_negative_rate", "false_positive_rate",
                                              "false_negative_rate")},
            "auc": _area(roc), **{name: rates[name] for name, _ in _BETAS},
            **{key: value for name, _ in _BETAS for key, value in best(name).items()}}


def _multiclass_scalars(labels, predictions, _scores=None) -> dict:
    counts = _Counts(labels, predictions)
    constant = _Counts(labels, np.full_like(labels, _most_frequent(labels)))
    values = {}
    for suffix, source in (("", counts), ("_best_constant_classifier", constant)):
        values |= {f"accuracy{suffix}": source.accuracy(),
                   f"weighted_recall{suffix}": source.weighted(source.recall),
                   f"weighted_precision{suffix}": source.weighted(source.precision),
                   **{f"weighted_{name}{suffix}": source.weighted(lambda c, b=beta: source.f_measure(c, b))
                      for name, beta in _BETAS}}
    return values


def _confusion(labels: np.ndarray, predictions: np.ndarray, classes: list) -> dict:
    """``{actual: {predicted: count}}``, as in AWS's statistics."""
    matrix = confusion_matrix(labels, predictions, labels=classes)
    names = [_label_text(c) for c in classes]
    return {names[i]: {names[j]: int(matrix[i][j]) for j in range(len(classes))} for i in range(len(classes))}


def _label_text(label) -> str:
    return str(int(label)) if isinstance(label, float) and label.is_integer() else str(label)


def _curves(labels: np.ndarray, scores: np.ndarray) -> tuple[list, list]:
    """Spark's ``roc()`` (with its (0, 0) start and (1, 1) end) and ``pr()`` (starting at recall 0 with the
    first threshold's precision): one point per distinct score, highest first."""
    order = np.argsort(-scores, kind="stable")
    positive = (labels[order] == POSITIVE).astype(float)
    _, first = np.unique(-scores[order], return_index=True)
    last = np.r_[first[1:], len(order)] - 1
    tp, fp = np.cumsum(positive)[last], np.cumsum(1.0 - positive)[last]
    positives, negatives = float(positive.sum()), float(len(positive) - positive.sum())
    recalls = tp / positives if positives else np.zeros_like(tp)
    rates = fp / negatives if negatives else np.zeros_like(fp)
    precisions = np.divide(tp, tp + fp, out=np.ones_like(tp), where=(tp + fp) != 0)
    roc = [(0.0, 0.0)] + list(zip(rates.tolist(), recalls.tolist())) + [(1.0, 1.0)]
    pr = list(zip(recalls.tolist(), precisions.tolist()))
    return roc, [(0.0, pr[0][1])] + pr if pr else []


def _area(curve: list) -> float:
    """Spark's AreaUnderCurve: trapezoids summed in order."""
    area = 0.0
    for (x1, y1), (x2, y2) in zip(curve, curve[1:]):
        area += (x2 - x1) * (y2 + y1) / 2.0
    return area


# -- regression -------------------------------------------------------------------------------
def _regression_scalars(labels, predictions, _scores=None) -> dict:
    # Spark's RegressionMetrics summarises (observation, observation - prediction); AWS's observation is the
    # prediction (see the module docstring), so the "observations" here are the predictions.
    observations, errors = predictions.tolist(), (predictions - labels).tolist()
    n = float(len(observations))
    mean, m2n, nonzero = 0.0, 0.0, 0.0
    for value in observations:  # Spark's online summariser, which skips zeros and corrects for them at the end
        if value != 0.0:
            previous = mean
            difference = value - previous
            mean = previous + difference / (nonzero + 1.0)
            m2n += (value - mean) * difference
            nonzero += 1.0
    variance = (m2n + mean * mean * nonzero * (n - nonzero) / n) / (n - 1) if n > 1 else math.nan
    absolute, squared = 0.0, 0.0
    for error in errors:
        absolute += abs(error)
        squared += error * error
    error_sum = math.sqrt(squared) ** 2  # Spark keeps the L2 norm and squares it back
    total = variance * (n - 1)
    return {"mae": absolute / n, "mse": error_sum / n, "rmse": math.sqrt(error_sum / n),
            "r2": 1 - error_sum / total if total else math.nan}
