"""Hyperparameter checks as the container of each version makes them (sagemaker_algorithm_toolkit's
``Hyperparameters.validate`` with the container's rules), in its order and with its texts:

0. aliases become their names (``learning_rate`` -> ``eta``); 1. a missing required one fails;
2. each value is parsed (an unknown name is "Extraneous"); 3. each value is checked against its range;
4. the rules between hyperparameters run, each after the ones it depends on.
"""
from __future__ import annotations

import ast
import math

from sagelocal.jobs.xgb_container.errors import ContainerFailure, user_error
from sagelocal.jobs.xgb_container.hyperparameter_table import REQUIRED, version_table
from sagelocal.jobs.xgb_container.versions import LEGACY

# The legacy image predates the open-source container; its closest table is the first one.
_TABLE_OF_LEGACY = "0.90-1"
_DEPENDENCIES = {"updater": ("booster", "process_type"), "objective": ("num_class",), "eval_metric": ("objective",),
                 "monotone_constraints": ("tree_method",), "interaction_constraints": ("tree_method",)}


class Interval:
    """An interval written as the container prints it: ``[0, 1]``, ``(0, +inf)``, ``(-2147483648, 2147483647)``."""

    def __init__(self, text: str):
        self.text = text
        low, high = text[1:-1].split(", ")
        self.low = -math.inf if low == "-inf" else float(low)
        self.high = math.inf if high == "+inf" else float(high)
        self.low_open, self.high_open = text[0] == "(", text[-1] == ")"

    def __contains__(self, value) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below


def table_of(version: str) -> dict:
    return version_table(_TABLE_OF_LEGACY if version == LEGACY else version)


def validate(raw: dict, version: str) -> dict:
    """The validated hyperparameters (parsed values) of a job's string hyperparameters, or ContainerFailure."""
    table = table_of(version)
    specs = table["specs"]
    given = {table["aliases"].get(name, name): value for name, value in raw.items()}
    for name in REQUIRED:
        if name not in given:
            raise user_error(f"Missing required hyperparameter: {name}")
    parsed = {}
    for name, text in given.items():
        if name not in specs:
            raise user_error(f"Extraneous hyperparameter found: {name}")
        parsed[name] = _parse(name, specs[name][0], text)
    for name, value in parsed.items():
        _check_range(name, value, specs[name], table)
    checked: dict = {}
    for name in _dependency_order(parsed):
        _check_rule(name, parsed[name], {d: checked[d] for d in _DEPENDENCIES.get(name, ()) if d in checked}, table)
        checked[name] = parsed[name]
    return checked


def _parse(name: str, kind: str, text: str):
    try:
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
        if kind in ("list", "metrics"):
            return text.split(",")
        if kind in ("tuple", "nested"):
            value = ast.literal_eval(text)
            if not isinstance(value, (tuple, list)):
                raise ValueError(text)
            return value
        return text
    except (ValueError, SyntaxError):
        raise user_error(f"Hyperparameter {name}: could not parse value (caused by ValueError)") from None


def _check_range(name: str, value, spec: tuple, table: dict) -> None:
    kind, allowed = spec
    if kind in ("int", "float"):
        if value not in Interval(allowed):
            raise user_error(f"Hyperparameter {name}: {value} is not in {allowed}")
    elif kind == "category":
        if table["rules"]["gpu_refused"] and name in ("tree_method", "predictor") and "gpu" in value:
            raise user_error("GPU training is not supported yet.")
        if value not in allowed:
            raise user_error(f"Hyperparameter {name}: {value} is not in {list(allowed)}")
    elif kind == "tuning":
        names = [f"validation:{metric}" for metric in table["metrics"]]
        if value not in names:
            raise user_error(f"Hyperparameter {name}: {value} is not in {names}")
    elif kind == "metrics":
        if not all(_known_metric(metric, table["metrics"]) for metric in value):
            raise user_error(f"Hyperparameter {name}: value {value} not in range {list(table['metrics'])}")
    elif kind == "nested":
        interval = Interval(allowed)
        if any(item not in interval for inner in value for item in inner):
            raise user_error(f"Hyperparameter {name}: value {value} not in range {allowed}")
    elif any(item not in allowed for item in value):  # list, tuple
        raise user_error(f"Hyperparameter {name}: value {value} not in range {list(allowed)}")


def _known_metric(metric: str, metrics: tuple) -> bool:
    if "<function" in metric:
        raise user_error(f"User defined evaluation metric {metric} is not supported yet.")
    if "@" not in metric:
        return metric in metrics
    name, threshold = (part.strip() for part in metric.split("@")[:2])
    if name not in ("error", "ndcg", "map"):
        raise user_error(f"Metric '{metric}' is not supported. Parameter 'eval_metric' with customized threshold "
                         "should be one of these options: 'error', 'ndcg', 'map'.")
    try:
        float(threshold)
    except ValueError:
        raise user_error(f"Threshold value 't' in '{name}@t' expects float input.") from None
    return True


def _dependency_order(names) -> list[str]:
    """Each hyperparameter after the given ones it depends on."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        for dependency in _DEPENDENCIES.get(name, ()):
            if dependency in names:
                visit(dependency)
        order.append(name)

    for name in names:
        visit(name)
    return order


def _check_rule(name: str, value, dependencies: dict, table: dict) -> None:
    if name == "objective" and value in ("multi:softmax", "multi:softprob") and "num_class" not in dependencies:
        raise user_error("Require input for parameter 'num_class' for multi-classification")
    elif name == "eval_metric":
        _check_metrics_fit_objective(value, dependencies, table["rules"]["objective_always"])
    elif name == "monotone_constraints" and dependencies.get("tree_method") not in ("exact", "hist"):
        raise user_error("monotone_constraints can be used only when the tree_method parameter is set to either "
                         "'exact' or 'hist'.")
    elif name == "interaction_constraints" and dependencies.get("tree_method") not in ("exact", "hist", "approx"):
        raise user_error("interaction_constraints can be used only when the tree_method parameter is set to either "
                         "'exact', 'hist' or 'approx'.")
    elif name == "updater":
        _check_updater(value, dependencies, table["updater_rule"])


def _check_metrics_fit_objective(metrics: list, dependencies: dict, objective_always: bool) -> None:
    # The container reads the objective without a default: with none given, it fails on the lookup itself.
    if (objective_always or "auc" in metrics) and "objective" not in dependencies:
        raise ContainerFailure("KeyError", "'objective'")
    if "auc" in metrics and not dependencies["objective"].startswith(("binary:", "rank:")):
        raise user_error("Metric 'auc' can only be applied for classification and ranking problems.")
    if objective_always and "aft-nloglik" in metrics and dependencies["objective"] != "survival:aft":
        raise user_error("Metric 'aft-nloglik' can only be applied for 'survival:aft' objective.")


def _check_updater(updaters: list, dependencies: dict, rule: dict) -> None:
    if dependencies.get("booster") == "gblinear":
        if not (len(updaters) == 1 and updaters[0] in ("shotgun", "coord_descent")):
            # The container formats a generator here by mistake; this is the text it meant.
            raise user_error("Linear updater should be one of these options: 'shotgun', 'coord_descent'.")
    elif dependencies.get("process_type") == "update":
        if not all(updater in ("refresh", "prune") for updater in updaters):
            raise user_error("process_type 'update' can only be used with updater 'refresh' and 'prune'")
    else:
        if not all(updater in rule["tree_plugins"] for updater in updaters):
            raise user_error(rule["tree_message"])
        if sum(updater in rule["grow_plugins"] for updater in updaters) > 1:
            raise user_error(rule["grow_message"])
