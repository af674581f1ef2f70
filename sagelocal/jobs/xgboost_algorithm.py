"""The built-in XGBoost algorithm's container contract, run as ``python -m sagelocal.jobs.xgboost_algorithm``.

Reads ``$SAGELOCAL_ML_ROOT`` (standing for /opt/ml): input/config/hyperparameters.json (every value a
string), input/config/inputdataconfig.json and the CSV channels input/data/train and input/data/validation
(label in the first column, no header). Writes model/xgboost-model, logs each round's metrics to stdout in
the algorithm's format (``[0]\ttrain-logloss:0.4\tvalidation-logloss:0.5``) and, on bad input, writes the
reason to output/failure and exits 1, as the container does.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

# The algorithm's hyperparameters and their types; anything else is rejected as the container rejects it.
_INT = ("num_round", "max_depth", "num_class", "max_bin", "max_leaves", "seed", "early_stopping_rounds",
        "num_parallel_tree", "verbosity", "nthread")
_FLOAT = ("eta", "gamma", "min_child_weight", "subsample", "colsample_bytree", "colsample_bylevel",
          "colsample_bynode", "lambda", "alpha", "scale_pos_weight", "max_delta_step", "base_score",
          "sketch_eps", "tweedie_variance_power", "rate_drop", "skip_drop")
_STRING = ("objective", "eval_metric", "tree_method", "grow_policy", "booster", "sampling_method",
           "normalize_type", "sample_type", "process_type")
CSV_TYPES = ("text/csv", "csv")
MODEL_FILE = "xgboost-model"


class AlgorithmError(Exception):
    pass


def parse_hyperparameters(raw: dict) -> tuple[dict, int, int | None]:
    """(xgboost params, num_round, early_stopping_rounds) from the job's string hyperparameters."""
    params: dict = {"seed": 0, "verbosity": 0}  # the container's defaults: seeded, quiet
    for name, text in raw.items():
        try:
            if name in _INT:
                params[name] = int(text)
            elif name in _FLOAT:
                params[name] = float(text)
            elif name in _STRING:
                params[name] = text.split(",") if name == "eval_metric" else str(text)
            else:
                raise AlgorithmError(f"unknown hyperparameter {name!r}")
        except ValueError:
            raise AlgorithmError(f"hyperparameter {name}={text!r} is not a valid {_kind(name)}") from None
    if "num_round" not in params:
        raise AlgorithmError("the hyperparameter num_round is required")
    return params, params.pop("num_round"), params.pop("early_stopping_rounds", None)


def read_channel(folder: Path, name: str, content_type: str):
    import numpy as np

    if content_type.split(";")[0].strip() not in CSV_TYPES:
        raise AlgorithmError(f"channel {name!r}: content type {content_type!r} is not supported (use text/csv)")
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    if not files:
        raise AlgorithmError(f"channel {name!r} holds no files")
    blocks = []
    for path in files:
        try:
            blocks.append(np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float32))
        except ValueError as exc:
            raise AlgorithmError(f"channel {name!r}: {path.name} is not a numeric CSV without header ({exc})") from None
    data = np.vstack(blocks)
    if data.shape[1] < 2:
        raise AlgorithmError(f"channel {name!r}: need the label and at least one feature per row")
    return data[:, 1:], data[:, 0]


def train(ml_root: Path) -> None:
    import xgboost

    config = ml_root / "input" / "config"
    params, num_round, early_stopping = parse_hyperparameters(json.loads((config / "hyperparameters.json").read_text()))
    channels = json.loads((config / "inputdataconfig.json").read_text())
    if "train" not in channels:
        raise AlgorithmError("the train channel is required")
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
    except xgboost.core.XGBoostError as exc:
        raise AlgorithmError(str(exc).splitlines()[0]) from None
    model_dir = ml_root / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(model_dir / MODEL_FILE))


def main() -> int:
    ml_root = Path(os.environ.get("SAGELOCAL_ML_ROOT", "/opt/ml"))
    try:
        train(ml_root)
    except AlgorithmError as exc:
        (ml_root / "output").mkdir(parents=True, exist_ok=True)
        (ml_root / "output" / "failure").write_text(f"AlgorithmError: {exc}")
        print(f"AlgorithmError: {exc}", file=sys.stderr)
        return 1
    return 0


def _kind(name: str) -> str:
    return "integer" if name in _INT else "number" if name in _FLOAT else "string"


if __name__ == "__main__":
    sys.exit(main())
