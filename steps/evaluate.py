"""Evaluate step: the approved champion and the new model (the challenger) on the same frozen gold rows, in one step.

Paths: under $SAGELOCAL_PROCESSING_ROOT (set by the offline runner) or /opt/ml/processing on SageMaker;
each can also be given as an argument.

Reads model/model.tar.gz (the challenger: the built-in algorithm's artifact, holding ``xgboost-model``),
champion/champion.json (the approved model package the run script resolved, or ``{"version": null}``) and
champion/model.tar.gz when there is one, gold/gold.csv (``row_id``, ``label``, features) and train/train.csv.
Labels: 1 = malignant (the positive class), 0 = benign; the models output P(malignant).

Writes evaluation/evaluation.json in the layout of Model Monitor's model-quality statistics (the pipeline reads
``binary_classification_metrics.auc.value``, ``...true_positive_rate.value`` (the malignant sensitivity) and
``champion_challenger.not_worse``), with
the class names, the gold set's version, both models' metrics, the paired comparison and the decision;
evaluation/gold-predictions.csv (``row_id, label, probability``: a model-quality baseline dataset); and
baseline/baseline.csv, the data-quality baseline dataset in the columns the endpoint's capture holds: the
challenger's P(malignant) on the training rows, then the 30 features (``--baseline-first-column label`` keeps
the walkthrough's label column instead, which Model Monitor then flags with a data_type_check on every run).

**Not worse** (the challenger may replace the champion only if it is not worse), precisely: the lower bound of
the 95 % paired bootstrap CI of AUC(challenger) − AUC(champion) on the gold rows (2,000 resamples, fixed seed) is
above −margin, and McNemar's exact test at the 0.5 threshold does not find the challenger significantly
(p < 0.05) more often wrong. With no champion, nothing is compared and the challenger is not worse by definition.
Registered only if also AUC ≥ the AUC threshold and malignant sensitivity ≥ its minimum.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost
from scipy import stats
from sklearn import metrics

MODEL_ARCHIVE = "model.tar.gz"
MODEL_FILE = "xgboost-model"
CLASS_NAMES = {0: "benign", 1: "malignant"}
POSITIVE = 1
DECISION_THRESHOLD = 0.5  # P(malignant) at or above this is predicted malignant
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20261128
CONFIDENCE = 0.95
MCNEMAR_ALPHA = 0.05
# The comparison table: (key, name shown) in the order people read them.
NAMED_METRICS = (("auc", "AUC"), ("malignant_sensitivity", "malignant sensitivity"),
                 ("specificity", "specificity (benign)"), ("accuracy", "accuracy"),
                 ("malignant_precision", "malignant precision"), ("f1", "F1 (malignant)"))


def processing_root() -> Path:
    return Path(os.environ.get("SAGELOCAL_PROCESSING_ROOT", "/opt/ml/processing"))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    root = processing_root()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("model", "champion", "gold", "train", "evaluation", "baseline"):
        parser.add_argument(f"--{name}-dir", type=Path, default=root / name)
    parser.add_argument("--auc-threshold", type=float, default=0.9)
    parser.add_argument("--min-malignant-sensitivity", type=float, default=0.9)
    parser.add_argument("--non-inferiority-margin", type=float, default=0.01,
                        help="δ: the challenger is not worse if the CI's lower bound is above −δ")
    parser.add_argument("--baseline-first-column", choices=("prediction", "label"), default="prediction")
    return parser.parse_args(argv)


def fail(message: str) -> None:
    raise SystemExit(f"evaluate: {message}")


def load_booster(model_dir: Path) -> xgboost.Booster:
    archive = model_dir / MODEL_ARCHIVE
    if not archive.is_file():
        fail(f"no {MODEL_ARCHIVE} in {model_dir}")
    with tarfile.open(archive) as tar, tempfile.TemporaryDirectory() as scratch:
        if MODEL_FILE not in tar.getnames():
            fail(f"{archive} holds no {MODEL_FILE!r} (found {tar.getnames()})")
        # Copy the one member by hand: no archive path ever decides where a file lands.
        model_path = Path(scratch) / MODEL_FILE
        model_path.write_bytes(tar.extractfile(MODEL_FILE).read())
        booster = xgboost.Booster()
        booster.load_model(str(model_path))
    return booster


def read_champion(champion_dir: Path) -> tuple[dict, xgboost.Booster | None]:
    """champion.json and, when it names an approved package, that package's model."""
    path = champion_dir / "champion.json"
    if not path.is_file():
        fail(f"missing {path} (the run script writes it: the approved champion, or version null)")
    described = json.loads(path.read_text())
    return described, (load_booster(champion_dir) if described.get("version") is not None else None)


def read_gold(gold_dir: Path) -> pd.DataFrame:
    path = gold_dir / "gold.csv"
    if not path.is_file():
        fail(f"missing {path}")
    gold = pd.read_csv(path, dtype={"row_id": str})
    if not gold["label"].isin((0, 1)).all() or gold["label"].nunique() < 2:
        fail(f"{path} needs 0/1 labels of both classes")
    return gold


def predict(booster: xgboost.Booster, features: np.ndarray) -> np.ndarray:
    return booster.predict(xgboost.DMatrix(features))


def metric(value: float) -> dict:
    # One gold set gives no spread; Model Monitor writes the string "NaN" in that case.
    return {"value": float(value), "standard_deviation": "NaN"}


def named_metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    predicted = (probabilities >= DECISION_THRESHOLD).astype(int)
    (tn, fp), (fn, tp) = metrics.confusion_matrix(labels, predicted, labels=[0, 1])
    named = {"auc": metrics.roc_auc_score(labels, probabilities),
             "malignant_sensitivity": tp / (tp + fn), "specificity": tn / (tn + fp),
             "accuracy": (tp + tn) / len(labels), "malignant_precision": tp / (tp + fp) if tp + fp else 0.0,
             "f1": metrics.f1_score(labels, predicted, zero_division=0)}
    return {name: float(value) for name, value in named.items()}


def model_quality_metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    """Model Monitor's binary_classification_metrics, positive class 1 (malignant)."""
    named = named_metrics(labels, probabilities)
    predicted = (probabilities >= DECISION_THRESHOLD).astype(int)
    matrix = metrics.confusion_matrix(labels, predicted, labels=[0, 1])
    return {
        # Rows are the actual label, columns the predicted one, as in Model Monitor's confusion_matrix.
        "confusion_matrix": {str(actual): {str(guess): int(matrix[actual][guess]) for guess in (0, 1)}
                             for actual in (0, 1)},
        "recall": metric(named["malignant_sensitivity"]),
        "precision": metric(named["malignant_precision"]),
        "accuracy": metric(named["accuracy"]),
        "true_positive_rate": metric(named["malignant_sensitivity"]),
        "true_negative_rate": metric(named["specificity"]),
        "false_positive_rate": metric(1 - named["specificity"]),
        "false_negative_rate": metric(1 - named["malignant_sensitivity"]),
        "f1": metric(named["f1"]),
        "auc": metric(named["auc"]),
    }


def bootstrap_aucs(labels: np.ndarray, scores: list[np.ndarray], resamples: int, seed: int) -> list[np.ndarray]:
    """Each model's AUC on the same resamples of the rows (paired); resamples with one class are dropped."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(labels), size=(resamples, len(labels)))
    sampled = labels[rows]
    positives = sampled.sum(axis=1)
    keep = (positives > 0) & (positives < len(labels))
    rows, sampled, positives = rows[keep], sampled[keep], positives[keep]
    negatives = len(labels) - positives
    aucs = []
    for score in scores:
        # Mann-Whitney: AUC from the ranks of the positives (ties share their average rank).
        ranks = stats.rankdata(score[rows], axis=1)
        rank_sum = (ranks * sampled).sum(axis=1)
        aucs.append((rank_sum - positives * (positives + 1) / 2) / (positives * negatives))
    return aucs


def compare(labels: np.ndarray, champion: np.ndarray, challenger: np.ndarray, margin: float,
            resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> dict:
    """The paired comparison on the same rows: bootstrap CI of the AUC difference, McNemar, not-worse."""
    champion_aucs, challenger_aucs = bootstrap_aucs(labels, [champion, challenger], resamples, seed)
    differences = challenger_aucs - champion_aucs
    tail = (1 - CONFIDENCE) / 2 * 100
    lower, upper = np.percentile(differences, [tail, 100 - tail])
    difference = metrics.roc_auc_score(labels, challenger) - metrics.roc_auc_score(labels, champion)
    champion_right = (champion >= DECISION_THRESHOLD) == labels
    challenger_right = (challenger >= DECISION_THRESHOLD) == labels
    only_challenger_right = int((challenger_right & ~champion_right).sum())
    only_champion_right = int((champion_right & ~challenger_right).sum())
    discordant = only_challenger_right + only_champion_right
    p_value = stats.binomtest(min(only_challenger_right, only_champion_right), discordant).pvalue if discordant else 1.0
    significantly_more_errors = p_value < MCNEMAR_ALPHA and only_champion_right > only_challenger_right
    return {
        "auc_difference": {"value": float(difference), "ci_lower": float(lower), "ci_upper": float(upper),
                           "confidence": CONFIDENCE, "resamples": int(len(differences)), "seed": seed},
        "mcnemar": {"threshold": DECISION_THRESHOLD, "only_challenger_right": only_challenger_right,
                    "only_champion_right": only_champion_right, "p_value": float(p_value), "alpha": MCNEMAR_ALPHA},
        "non_inferiority_margin": margin,
        "not_worse": int(bool(lower > -margin) and not significantly_more_errors),
    }


def decide(named: dict, comparison: dict | None, args: argparse.Namespace) -> dict:
    """The same three rules the pipeline's condition applies, each with the reason it holds or fails."""
    checks = {
        "auc": (named["auc"] >= args.auc_threshold,
                f"AUC {named['auc']:.4f} {'meets' if named['auc'] >= args.auc_threshold else 'is below'} "
                f"the threshold {args.auc_threshold:g}"),
        "malignant_sensitivity": (
            named["malignant_sensitivity"] >= args.min_malignant_sensitivity,
            f"malignant sensitivity {named['malignant_sensitivity']:.4f} "
            f"{'meets' if named['malignant_sensitivity'] >= args.min_malignant_sensitivity else 'is below'} "
            f"the minimum {args.min_malignant_sensitivity:g}"),
    }
    if comparison is None:
        checks["not_worse"] = (True, "no approved champion to compare with")
    else:
        difference, mcnemar = comparison["auc_difference"], comparison["mcnemar"]
        above = difference["ci_lower"] > -args.non_inferiority_margin
        checks["not_worse"] = (bool(comparison["not_worse"]),
                               f"{'not worse' if comparison['not_worse'] else 'worse'} than the champion: AUC "
                               f"difference {difference['value']:+.4f}, 95 % CI [{difference['ci_lower']:+.4f}, "
                               f"{difference['ci_upper']:+.4f}] (lower bound {'above' if above else 'not above'} "
                               f"-{args.non_inferiority_margin:g}), McNemar p {mcnemar['p_value']:.3f} "
                               f"({mcnemar['only_challenger_right']} rows only the challenger got right, "
                               f"{mcnemar['only_champion_right']} only the champion)")
    register = all(holds for holds, _ in checks.values())
    failed = [reason for holds, reason in checks.values() if not holds]
    return {"register": int(register), "checks": {name: {"holds": bool(holds), "reason": reason}
                                                  for name, (holds, reason) in checks.items()},
            "verdict": ("register the challenger: " + "; ".join(reason for _, reason in checks.values())
                        if register else "refuse the challenger: " + "; ".join(failed))}


def gold_version(gold_dir: Path) -> str:
    return hashlib.sha256((gold_dir / "gold.csv").read_bytes()).hexdigest()[:12]


def evaluation_report(args: argparse.Namespace) -> tuple[dict, pd.DataFrame]:
    gold = read_gold(args.gold_dir)
    labels, features = gold["label"].to_numpy(), gold.drop(columns=["row_id", "label"]).to_numpy()
    challenger = predict(load_booster(args.model_dir), features)
    champion_described, champion_booster = read_champion(args.champion_dir)
    named = named_metrics(labels, challenger)
    comparison, champion = None, None
    if champion_booster is not None:
        champion = predict(champion_booster, features)
        comparison = compare(labels, champion, challenger, args.non_inferiority_margin)
    decision = decide(named, comparison, args)
    report = {
        "version": 0.0,
        "dataset": {"item_count": int(len(labels))},
        "class_names": {str(label): name for label, name in CLASS_NAMES.items()},
        "positive_class": {"label": POSITIVE, "name": CLASS_NAMES[POSITIVE]},
        "gold_set": {"version": gold_version(args.gold_dir), "rows": int(len(labels))},
        "binary_classification_metrics": model_quality_metrics(labels, challenger),
        "champion_challenger": {
            "champion": {**champion_described,
                         "metrics": named_metrics(labels, champion) if champion is not None else None},
            "challenger": {"metrics": named},
            "comparison": comparison,
            # 1 when there is no champion: the pipeline's condition reads this path in both cases.
            "not_worse": int(decision["checks"]["not_worse"]["holds"]),
        },
        "decision": decision,
    }
    predictions = pd.DataFrame({"row_id": gold["row_id"], "label": labels, "probability": challenger})
    return report, predictions


def baseline_dataset(args: argparse.Namespace) -> pd.DataFrame:
    """What the capture will hold, row for row: P(malignant) (or the label) and then the 30 features."""
    train = pd.read_csv(args.train_dir / "train.csv", header=None)
    features = train.iloc[:, 1:]
    if args.baseline_first_column == "label":
        return train
    probabilities = predict(load_booster(args.model_dir), features.to_numpy())
    return pd.concat([pd.Series(probabilities, name="p"), features], axis=1)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report, predictions = evaluation_report(args)
    args.evaluation_dir.mkdir(parents=True, exist_ok=True)
    (args.evaluation_dir / "evaluation.json").write_text(json.dumps(report, indent=2) + "\n")
    predictions.to_csv(args.evaluation_dir / "gold-predictions.csv", index=False)
    args.baseline_dir.mkdir(parents=True, exist_ok=True)
    baseline_dataset(args).to_csv(args.baseline_dir / "baseline.csv", header=False, index=False)
    champion = report["champion_challenger"]["champion"]
    against = f"champion version {champion['version']}" if champion.get("version") is not None else "no champion"
    print(f"evaluate: challenger vs {against} on the same {report['gold_set']['rows']} gold rows "
          f"(gold set {report['gold_set']['version']}): {report['decision']['verdict']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
