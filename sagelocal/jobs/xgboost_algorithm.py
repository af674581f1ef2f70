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

from sagelocal.jobs.xgb_container import hyperparameters
from sagelocal.jobs.xgb_container.errors import ContainerFailure, user_error
from sagelocal.jobs.xgb_container.hyperparameter_table import CONTAINER_ONLY
from sagelocal.jobs.xgb_container.versions import saves_pickles

CSV_TYPES = ("text/csv", "csv")
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


def xgboost_parameters(validated: dict) -> tuple[dict, int, int | None]:
    """(xgboost params, num_round, early_stopping_rounds) from the container's validated hyperparameters."""
    params = {name: value for name, value in validated.items() if name not in CONTAINER_ONLY}
    if "updater" in params:
        params["updater"] = ",".join(params["updater"])
    # ``silent`` left XGBoost after 1.0, where silent=1 meant verbosity 0; the runtime keeps XGBoost quiet anyway.
    params.pop("silent", None)
    params.setdefault("seed", 0)
    params.setdefault("verbosity", 0)
    return params, validated["num_round"], validated.get("early_stopping_rounds")


def read_channel(folder: Path, name: str, content_type: str):
    import numpy as np

    if content_type.split(";")[0].strip() not in CSV_TYPES:
        raise user_error(f"channel {name!r}: content type {content_type!r} is not supported (use text/csv)")
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    if not files:
        raise user_error(f"No data in {name} channel path {folder}")
    blocks = []
    for path in files:
        try:
            blocks.append(np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float32))
        except ValueError as exc:
            raise user_error(f"Failed to load csv data with exception:\n{exc}") from None
    data = np.vstack(blocks)
    return data[:, 1:], data[:, 0]


def train(ml_root: Path, version: str) -> None:
    import xgboost

    config = ml_root / "input" / "config"
    validated = hyperparameters.validate(json.loads((config / "hyperparameters.json").read_text()), version)
    params, num_round, early_stopping = xgboost_parameters(validated)
    channels = json.loads((config / "inputdataconfig.json").read_text())
    if "train" not in channels:
        raise user_error("Missing required channel: train")
    params.setdefault("nthread", os.cpu_count() or 1)
    evals, matrices = [], {}
    for name in ("train", "validation"):
        if name in channels:
            features, labels = read_channel(ml_root / "input" / "data" / name, name,
                                            channels[name].get("ContentType", "text/csv"))
            matrices[name] = xgboost.DMatrix(features, label=labels)
            evals.append((matrices[name], name))
    try:
        booster = xgboost.train(params, matrices["train"], num_boost_round=num_round, evals=evals,
                                early_stopping_rounds=early_stopping if "validation" in matrices else None,
                                verbose_eval=True)
    except xgboost.core.XGBoostError as error:
        text = str(error)
        if any(known in text for known in _CUSTOMER_ERRORS):
            raise user_error(text) from None
        raise ContainerFailure("AlgorithmError", f"XGB train call failed with exception:\n {text}") from None
    model_dir = ml_root / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    save_model(booster, model_dir / MODEL_FILE, version)


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
