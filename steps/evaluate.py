"""Evaluate step: score the test set with the trained XGBoost model and write evaluation.json.

Paths: under $SAGELOCAL_PROCESSING_ROOT (set by the offline runner) or /opt/ml/processing on SageMaker;
each can also be given as an argument.

Reads model/model.tar.gz (the built-in algorithm's artifact, holding ``xgboost-model``) and test/test.csv
(label first, no header); writes evaluation/evaluation.json in the layout of Model Monitor's model-quality
statistics, so the pipeline reads the AUC at ``binary_classification_metrics.auc.value``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost
from sklearn import metrics

MODEL_ARCHIVE = "model.tar.gz"
MODEL_FILE = "xgboost-model"
# The model outputs P(label = 1); a probability at or above this is predicted as 1.
DECISION_THRESHOLD = 0.5


def processing_root() -> Path:
    return Path(os.environ.get("SAGELOCAL_PROCESSING_ROOT", "/opt/ml/processing"))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    root = processing_root()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=root / "model")
    parser.add_argument("--test-dir", type=Path, default=root / "test")
    parser.add_argument("--output-dir", type=Path, default=root / "evaluation")
    return parser.parse_args(argv)


def load_booster(model_dir: Path) -> xgboost.Booster:
    archive = model_dir / MODEL_ARCHIVE
    if not archive.is_file():
        raise SystemExit(f"evaluate: no {MODEL_ARCHIVE} in {model_dir}")
    with tarfile.open(archive) as tar, tempfile.TemporaryDirectory() as scratch:
        if MODEL_FILE not in tar.getnames():
            raise SystemExit(f"evaluate: {archive} holds no {MODEL_FILE!r} (found {tar.getnames()})")
        # Copy the one member by hand: no archive path ever decides where a file lands.
        model_path = Path(scratch) / MODEL_FILE
        model_path.write_bytes(tar.extractfile(MODEL_FILE).read())
        booster = xgboost.Booster()
        booster.load_model(str(model_path))
    return booster


def read_test(test_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    path = test_dir / "test.csv"
    if not path.is_file():
        raise SystemExit(f"evaluate: missing {path}")
    frame = pd.read_csv(path, header=None)
    labels = frame.iloc[:, 0].to_numpy()
    if not np.isin(labels, (0, 1)).all():
        raise SystemExit(f"evaluate: the first column of {path} must be the 0/1 label")
    return frame.iloc[:, 1:].to_numpy(), labels


def metric(value: float) -> dict:
    # One test set gives no spread; Model Monitor writes the string "NaN" in that case.
    return {"value": float(value), "standard_deviation": "NaN"}


def evaluation_report(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    predicted = (probabilities >= DECISION_THRESHOLD).astype(int)
    matrix = metrics.confusion_matrix(labels, predicted, labels=[0, 1])
    return {
        "version": 0.0,
        "dataset": {"item_count": int(len(labels))},
        "binary_classification_metrics": {
            # Rows are the actual label, columns the predicted one, as in Model Monitor's confusion_matrix.
            "confusion_matrix": {str(actual): {str(guess): int(matrix[actual][guess]) for guess in (0, 1)}
                                 for actual in (0, 1)},
            "accuracy": metric(metrics.accuracy_score(labels, predicted)),
            "precision": metric(metrics.precision_score(labels, predicted, zero_division=0)),
            "recall": metric(metrics.recall_score(labels, predicted, zero_division=0)),
            "f1": metric(metrics.f1_score(labels, predicted, zero_division=0)),
            "auc": metric(metrics.roc_auc_score(labels, probabilities)),
        },
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    booster = load_booster(args.model_dir)
    features, labels = read_test(args.test_dir)
    if len(set(labels)) < 2:
        raise SystemExit("evaluate: the test set holds one class only, so AUC is undefined")
    report = evaluation_report(labels, booster.predict(xgboost.DMatrix(features)))
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "evaluation.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"evaluate: AUC {report['binary_classification_metrics']['auc']['value']:.4f} on {len(labels)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
