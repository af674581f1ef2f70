"""The evaluation metrics the container computes itself (``metrics/custom_metrics.py`` of
aws/sagemaker-xgboost-container at each version's tag): names in ``eval_metric`` (or ``_tuning_objective_metric``)
that XGBoost has no metric for, or that the container replaces with scikit-learn's (``rmse``, ``mae`` from 1.3),
are handed to ``xgboost.train`` as one custom metric function, and logged after XGBoost's own ones
(``[3]\\ttrain-logloss:0.2\\tvalidation-logloss:0.3\\ttrain-accuracy:0.9\\tvalidation-accuracy:0.88``).

What the function sees changed with XGBoost under the container:
- up to 1.0 (XGBoost 0.90, 1.0): the predictions, as ``predict`` gives them; a class is the rounded prediction
  (the argmax of a row of probabilities);
- 1.2 to 1.7 (``feval``, XGBoost 1.2-1.7): the raw margins; a class is ``margin > 0`` (the argmax of a row);
- from 3.0 (``custom_metric``, XGBoost 3): the predictions again, still read as margins by the same code (so a
  binary:logistic probability, always above 0, is class 1: the container's own behaviour, kept).
The runtime's XGBoost hands ``custom_metric`` the predictions; for 1.2-1.7 they are turned back into margins.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from sklearn import metrics as sk

from sagelocal.jobs.xgb_container.versions import at_least

# The names each version added to CUSTOM_METRICS (the legacy image has 0.90-1's).
_ADDED = (("0.90-1", ("accuracy", "f1", "mse")), ("1.2-1", ("r2",)), ("1.2-2", ("f1_binary", "f1_macro")),
          ("1.3-1", ("balanced_accuracy", "rmse", "mae", "precision", "precision_macro", "precision_micro",
                     "recall", "recall_macro", "recall_micro")))
# Metrics on class labels (scikit-learn's scorer with the container's averaging) and on the values themselves.
_ON_CLASSES = {"accuracy": sk.accuracy_score, "balanced_accuracy": sk.balanced_accuracy_score,
               "f1": lambda y, p: sk.f1_score(y, p, average="macro"),
               "f1_binary": lambda y, p: sk.f1_score(y, p, average="binary"),
               "f1_macro": lambda y, p: sk.f1_score(y, p, average="macro"), "precision": sk.precision_score,
               "precision_macro": lambda y, p: sk.precision_score(y, p, average="macro"),
               "precision_micro": lambda y, p: sk.precision_score(y, p, average="micro"),
               "recall": sk.recall_score, "recall_macro": lambda y, p: sk.recall_score(y, p, average="macro"),
               "recall_micro": lambda y, p: sk.recall_score(y, p, average="micro")}
_ON_VALUES = {"mse": sk.mean_squared_error, "rmse": sk.root_mean_squared_error, "mae": sk.mean_absolute_error,
              "r2": sk.r2_score}
# The metrics early stopping maximizes (xgb_constants.XGB_MAXIMIZE_METRICS); any other it minimizes.
MAXIMIZED = ("accuracy", "auc", "aucpr", "balanced_accuracy", "f1", "f1_binary", "f1_macro", "map", "ndcg",
             "precision", "r2", "recall", "precision_macro", "precision_micro", "recall_macro", "recall_micro")
# Objectives whose prediction is exp(margin) and sigmoid(margin) (XGBoost's link functions).
_LOG_LINK = ("count:poisson", "reg:gamma", "reg:tweedie", "survival:cox", "survival:aft")
_LOGIT_LINK = ("binary:logistic", "reg:logistic")


def custom_metric_names(version: str) -> tuple[str, ...]:
    names: tuple[str, ...] = ()
    for since, added in _ADDED:
        if since == "0.90-1" or at_least(version, since):
            names += added
    return names


def split(validated: dict, version: str) -> tuple[list[str], list[str]]:
    """(the metrics XGBoost computes, the ones the container computes) of the validated hyperparameters: the union
    of ``eval_metric`` and the tuning objective's metric (train_utils.get_eval_metrics_and_feval)."""
    requested = list(validated.get("eval_metric") or [])
    tuning = validated.get("_tuning_objective_metric")
    if tuning:
        # From 1.3 the union is sorted; before, a set's order (any order: the one given is kept).
        requested = list(dict.fromkeys(requested + tuning.partition(":")[2].split(",")))
        if at_least(version, "1.3-1") and validated.get("eval_metric"):
            requested.sort()
    own = custom_metric_names(version)
    return [name for name in requested if name not in own], [name for name in requested if name in own]


def early_stopping_metric(validated: dict) -> str | None:
    """The metric the container (from 1.3) stops early on, on the validation channel: the tuning objective's
    metric, else the last of eval_metric; None (no early stopping at all) when neither is given."""
    tuning = validated.get("_tuning_objective_metric")
    if tuning:
        return tuning.partition(":")[2].split(",")[-1]
    return (validated.get("eval_metric") or [None])[-1]


def evaluator(names: list[str], version: str, objective: str | None, num_class: int | None) -> Callable:
    """The custom metric function for ``xgboost.train(custom_metric=...)``: [(name, value), ...] per evaluation set."""
    def evaluate(predictions: np.ndarray, matrix) -> list[tuple[str, float]]:
        seen = _as_the_container_saw(predictions, version, objective, num_class)
        labels = matrix.get_label()
        return [(name, float(_score(name, seen, labels, version))) for name in names]

    return evaluate


def _as_the_container_saw(predictions: np.ndarray, version: str, objective: str | None,
                          num_class: int | None) -> np.ndarray:
    if not at_least(version, "1.2-1") or at_least(version, "3.0-5"):
        return predictions
    return _margins(predictions, objective or "", num_class)


def _margins(predictions: np.ndarray, objective: str, num_class: int | None) -> np.ndarray:
    """The raw margins XGBoost 1.2-1.7 handed ``feval``, from the transformed predictions."""
    if objective == "multi:softmax":  # class labels: a row whose argmax is the class stands for the margins
        return np.eye(int(num_class or predictions.max() + 1))[predictions.astype(int)]
    if objective == "multi:softprob":
        return np.log(np.clip(predictions, 1e-300, None))  # the margins up to a per-row constant
    if objective in _LOGIT_LINK:
        clipped = np.clip(predictions, 1e-15, 1 - 1e-15)
        return np.log(clipped / (1 - clipped))
    if objective in _LOG_LINK:
        return np.log(np.clip(predictions, 1e-300, None))
    if objective == "binary:hinge":
        return predictions * 2 - 1
    return predictions


def _score(name: str, predictions: np.ndarray, labels: np.ndarray, version: str) -> float:
    if name in _ON_VALUES:
        return _ON_VALUES[name](labels, predictions)
    if at_least(version, "1.2-1") and predictions.size == 0:
        return 0.0
    return _ON_CLASSES[name](labels, _classes(predictions, version))


def _classes(predictions: np.ndarray, version: str) -> np.ndarray:
    if predictions.ndim > 1:
        return np.argmax(predictions, axis=-1)
    if at_least(version, "1.2-1"):
        return (predictions > 0.0).astype(int)
    return np.rint(predictions)  # Python's round(): halves to even
