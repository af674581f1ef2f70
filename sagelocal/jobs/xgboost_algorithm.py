"""The built-in XGBoost algorithm's container contract, run as
``python -m sagelocal.jobs.xgboost_algorithm VERSION`` (VERSION: the container version, ``1.0-1``, ``1.7-1``, ...).

Reads ``$SAGELOCAL_ML_ROOT`` (standing for /opt/ml): input/config/hyperparameters.json (every value a string),
checked as that version's container checks them; input/config/inputdataconfig.json and the channels
input/data/train and input/data/validation. Writes model/xgboost-model as that version does (a pickled Booster
up to 1.2, XGBoost's own format from 1.3), logs each round's metrics to stdout in the algorithm's format
(``[0]\\ttrain-logloss:0.4\\tvalidation-logloss:0.5``) and, on a failure, writes the container's text to
output/failure and exits 1.
"""
from __future__ import annotations

import json
import os
import pickle
import sys
from pathlib import Path

from sagelocal.jobs.xgb_container import data, hyperparameters, metrics
from sagelocal.jobs.xgb_container.errors import ContainerFailure, user_error
from sagelocal.jobs.xgb_container.hyperparameter_table import CONTAINER_ONLY
from sagelocal.jobs.xgb_container.versions import at_least, saves_pickles

MODEL_FILE = "xgboost-model"
# Texts of XGBoost errors the container reports as the user's (xgb_constants.CUSTOMER_ERRORS); any other
# XGBoost failure is its AlgorithmError.
_CUSTOMER_ERRORS = ("label must be in [0,1] for logistic regression", "label must be in [0, num_class)",
                    "feature_names mismatch", "Check failed: preds.size() == info.labels_.size()",
                    "Check failed: !auc_error AUC: the dataset only contains pos or neg samples",
                    "Check failed: base_score > 0.0f && base_score < 1.0f base_score must be in (0,1) for logistic "
                    "loss", "Check failed: label_correct PoissonRegression: label must be nonnegative",
                    "Check failed: label_correct TweedieRegression: label must be nonnegative",
                    "Parameter reg_lambda should be greater equal to 0")


def xgboost_parameters(validated: dict, version: str) -> tuple[dict, int, int | None]:
    """(xgboost params, num_round, early_stopping_rounds) from the container's validated hyperparameters; the
    eval_metric kept is what XGBoost computes (the container computes its own metrics, ``metrics``)."""
    params = {name: value for name, value in validated.items() if name not in CONTAINER_ONLY}
    params.pop("eval_metric", None)
    native, _ = metrics.split(validated, version)
    if native:
        params["eval_metric"] = native
    if "updater" in params:
        params["updater"] = ",".join(params["updater"])
    # ``silent`` left XGBoost after 1.0, where silent=1 meant verbosity 0; the runtime keeps XGBoost quiet anyway.
    params.pop("silent", None)
    params.setdefault("seed", 0)
    params.setdefault("verbosity", 0)
    return params, validated["num_round"], validated.get("early_stopping_rounds")


def train(ml_root: Path, version: str) -> None:
    import xgboost

    config = ml_root / "input" / "config"
    validated = hyperparameters.validate(json.loads((config / "hyperparameters.json").read_text()), version)
    params, num_round, early_stopping = xgboost_parameters(validated, version)
    own_metrics = metrics.split(validated, version)[1]
    custom_metric = metrics.evaluator(own_metrics, version, params.get("objective"),
                                      params.get("num_class")) if own_metrics else None
    channels = data.validate_channels(json.loads((config / "inputdataconfig.json").read_text()))
    # The train channel's ContentType is taken for both channels, as in the container.
    fmt = data.content_format(channels["train"]["ContentType"])
    weighted_validation = hyperparameters.table_of(version)["rules"]["weighted_validation"]
    params.setdefault("nthread", os.cpu_count() or 1)
    evals = []
    for name in ("train", "validation"):
        if name not in channels:
            continue
        folder = ml_root / "input" / "data" / name
        weights = validated.get("csv_weights", 0) if name == "train" or weighted_validation else 0
        matrix = data.read_dmatrix(folder, fmt, weights)
        if matrix is None:
            raise user_error(f"No data in {'training' if name == 'train' else name} channel path {folder}")
        evals.append((matrix, name))
    stopping = _early_stopping(validated, version, early_stopping if len(evals) > 1 else None)
    try:
        booster = xgboost.train(params, evals[0][0], num_boost_round=num_round, evals=evals, verbose_eval=True,
                                custom_metric=custom_metric, **stopping)
    except xgboost.core.XGBoostError as error:
        text = str(error)
        if any(known in text for known in _CUSTOMER_ERRORS):
            raise user_error(text) from None
        raise ContainerFailure("AlgorithmError", f"XGB train call failed with exception:\n {text}") from None
    model_dir = ml_root / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    save_model(booster, model_dir / MODEL_FILE, version)


def _early_stopping(validated: dict, version: str, rounds: int | None) -> dict:
    """xgboost.train's early-stopping arguments as the container of ``version`` gives them: up to 1.2 XGBoost's own
    (its last metric, maximized only for the names it knows); from 1.3 a callback on the validation channel's
    chosen metric, maximized for the container's list, that keeps the best round's model."""
    import xgboost

    if not rounds:
        return {}
    if not at_least(version, "1.3-1"):
        return {"early_stopping_rounds": rounds}
    metric = metrics.early_stopping_metric(validated)
    if metric is None:
        return {}
    return {"callbacks": [xgboost.callback.EarlyStopping(rounds=rounds, data_name="validation", metric_name=metric,
                                                         maximize=metric in metrics.MAXIMIZED, save_best=True)]}


def save_model(booster, path: Path, version: str) -> None:
    """As the container of ``version`` saves it: pickled up to 1.2 (the template's evaluate.py unpickles it),
    XGBoost's own format from 1.3."""
    if saves_pickles(version):
        with path.open("wb") as handle:
            pickle.dump(booster, handle, protocol=4)
    else:
        booster.save_model(str(path))


def main(argv: list[str]) -> int:
    ml_root = Path(os.environ.get("SAGELOCAL_ML_ROOT", "/opt/ml"))
    try:
        train(ml_root, argv[0])
    except ContainerFailure as failure:
        (ml_root / "output").mkdir(parents=True, exist_ok=True)
        (ml_root / "output" / "failure").write_text(f"AlgorithmError: {failure.failure_text()}")
        print(failure.failure_text(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
