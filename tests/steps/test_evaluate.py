"""evaluate.py: champion and challenger on the same gold rows, the paired comparison, the decision, the baseline."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from steps_support import run, train_model, write_champion


def report(root: Path) -> dict:
    return json.loads((root / "evaluation" / "evaluation.json").read_text())


def test_first_run_has_no_champion_and_names_the_classes(evaluated):
    evaluation = report(evaluated)
    assert evaluation["class_names"] == {"0": "benign", "1": "malignant"}
    assert evaluation["positive_class"] == {"label": 1, "name": "malignant"}
    assert evaluation["gold_set"]["rows"] == evaluation["dataset"]["item_count"] == 114
    metrics = evaluation["binary_classification_metrics"]
    matrix = metrics["confusion_matrix"]
    malignant = matrix["1"]["0"] + matrix["1"]["1"]
    assert malignant == 42, "the gold set's malignant cases are label 1"
    assert metrics["true_positive_rate"]["value"] == pytest.approx(matrix["1"]["1"] / malignant)
    assert metrics["recall"] == metrics["true_positive_rate"] and metrics["auc"]["value"] > 0.95
    judged = evaluation["champion_challenger"]
    assert judged["champion"] == {"version": None, "metrics": None} and judged["comparison"] is None
    assert judged["not_worse"] == 1 and evaluation["decision"]["register"] == 1
    assert judged["challenger"]["metrics"]["malignant_sensitivity"] == metrics["true_positive_rate"]["value"]
    assert "no approved champion to compare with" in evaluation["decision"]["verdict"]


def test_gold_predictions_are_a_model_quality_baseline_dataset(evaluated):
    predictions = pd.read_csv(evaluated / "evaluation" / "gold-predictions.csv", dtype={"row_id": str})
    gold = pd.read_csv(evaluated / "gold" / "gold.csv", dtype={"row_id": str})
    assert list(predictions.columns) == ["row_id", "label", "probability"]
    assert predictions["row_id"].tolist() == gold["row_id"].tolist()
    assert predictions["probability"].between(0, 1).all()


def test_baseline_holds_what_the_capture_holds(evaluated, tmp_path):
    baseline = pd.read_csv(evaluated / "baseline" / "baseline.csv", header=None)
    train = pd.read_csv(evaluated / "train" / "train.csv", header=None)
    assert baseline.shape == train.shape == (284, 31)
    assert baseline[0].between(0, 1).all() and not baseline[0].isin((0, 1)).all(), "P(malignant), not the label"
    assert baseline.iloc[:, 1:].to_numpy() == pytest.approx(train.iloc[:, 1:].to_numpy())
    root = copy_root(evaluated, tmp_path)
    result = run("steps/evaluate.py", root, "--baseline-first-column", "label")
    assert result.returncode == 0, result.stderr
    walkthrough = pd.read_csv(root / "baseline" / "baseline.csv", header=None)
    assert walkthrough.equals(train), "the walkthrough's option: the label in _c0"


def copy_root(source: Path, target: Path) -> Path:
    for name in ("gold", "train", "model", "champion"):
        shutil.copytree(source / name, target / name)
    return target


@pytest.fixture(scope="module")
def champion_root(evaluated, tmp_path_factory) -> Path:
    """The first model approved as champion version 1, and room for a challenger beside it."""
    root = copy_root(evaluated, tmp_path_factory.mktemp("judged"))
    shutil.rmtree(root / "champion")
    write_champion(root / "champion", 1)
    shutil.copy(evaluated / "model" / "model.tar.gz", root / "champion" / "model.tar.gz")
    return root


def test_a_deliberately_worse_challenger_is_refused(champion_root, tmp_path):
    root = copy_root(champion_root, tmp_path)
    shutil.rmtree(root / "model")
    train_model(root, root / "model", shuffle_labels_seed=7)  # trained on shuffled labels
    result = run("steps/evaluate.py", root)
    assert result.returncode == 0, result.stderr
    evaluation = report(root)
    judged = evaluation["champion_challenger"]
    difference = judged["comparison"]["auc_difference"]
    assert difference["ci_lower"] < difference["ci_upper"] < -0.01
    assert judged["not_worse"] == 0 and evaluation["decision"]["register"] == 0
    assert judged["champion"]["version"] == 1 and judged["champion"]["metrics"]["auc"] > 0.95
    assert evaluation["decision"]["verdict"].startswith("refuse the challenger:")
    assert "worse than the champion" in evaluation["decision"]["verdict"]
    assert "challenger vs champion version 1 on the same 114 gold rows" in result.stdout


def test_a_challenger_as_good_as_the_champion_is_not_worse(champion_root, tmp_path):
    root = copy_root(champion_root, tmp_path)
    result = run("steps/evaluate.py", root)  # the challenger is the champion's own model
    assert result.returncode == 0, result.stderr
    judged = report(root)["champion_challenger"]
    comparison = judged["comparison"]
    assert comparison["auc_difference"] == {"value": 0.0, "ci_lower": 0.0, "ci_upper": 0.0, "confidence": 0.95,
                                            "resamples": 2000, "seed": 20261128}
    assert comparison["mcnemar"]["only_challenger_right"] == comparison["mcnemar"]["only_champion_right"] == 0
    assert judged["not_worse"] == 1 and judged["champion"]["metrics"] == judged["challenger"]["metrics"]


def test_the_comparison_on_a_fixed_seed_gives_the_same_numbers_twice(champion_root, tmp_path):
    root = copy_root(champion_root, tmp_path)
    shutil.rmtree(root / "model")
    train_model(root, root / "model", shuffle_labels_seed=11)
    reports = []
    for _ in range(2):
        assert run("steps/evaluate.py", root).returncode == 0
        reports.append((root / "evaluation" / "evaluation.json").read_bytes())
    assert reports[0] == reports[1]
    comparison = json.loads(reports[0])["champion_challenger"]["comparison"]
    assert comparison["auc_difference"]["seed"] == 20261128 and comparison["auc_difference"]["resamples"] == 2000


def test_mcnemar_counts_the_rows_each_model_alone_got_right(champion_root, tmp_path):
    root = copy_root(champion_root, tmp_path)
    shutil.rmtree(root / "model")
    train_model(root, root / "model", shuffle_labels_seed=3)
    assert run("steps/evaluate.py", root).returncode == 0
    challenger = pd.read_csv(root / "evaluation" / "gold-predictions.csv")
    evaluation = report(root)
    labels = challenger["label"].to_numpy()
    challenger_right = (challenger["probability"].to_numpy() >= 0.5) == labels
    accuracy = evaluation["champion_challenger"]["champion"]["metrics"]["accuracy"]
    mcnemar = evaluation["champion_challenger"]["comparison"]["mcnemar"]
    # Champion right = challenger right - only-challenger + only-champion, row for row.
    assert (challenger_right.sum() - mcnemar["only_challenger_right"] + mcnemar["only_champion_right"]) == round(
        accuracy * len(labels))
    assert 0 <= mcnemar["p_value"] <= 1 and np.isfinite(mcnemar["p_value"])


def test_a_missing_champion_file_is_named(evaluated, tmp_path):
    root = copy_root(evaluated, tmp_path)
    (root / "champion" / "champion.json").unlink()
    result = run("steps/evaluate.py", root)
    assert result.returncode != 0 and "champion.json (the run script writes it" in result.stderr


def test_an_archive_without_the_model_is_named(evaluated, tmp_path):
    import tarfile

    root = copy_root(evaluated, tmp_path)
    with tarfile.open(root / "model" / "model.tar.gz", "w:gz") as archive:
        archive.add(root / "gold" / "gold.csv", arcname="model.bin")
    result = run("steps/evaluate.py", root)
    assert result.returncode != 0 and "holds no 'xgboost-model'" in result.stderr
