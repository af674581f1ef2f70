"""The step scripts run as the offline runner runs them: subprocesses with SAGELOCAL_PROCESSING_ROOT set."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xgboost

ROOT = Path(__file__).resolve().parents[2]
HYPERPARAMETERS = {"max_depth": 5, "eta": 0.2, "gamma": 4, "min_child_weight": 6, "subsample": 0.8,
                   "objective": "binary:logistic"}


def run(script: str, processing_root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SAGELOCAL_PROCESSING_ROOT": str(processing_root)}
    return subprocess.run([sys.executable, str(ROOT / script), *args], env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    """A processing root after make_input_data.py and preprocess.py ran, as in the pipeline."""
    root = tmp_path_factory.mktemp("processing")
    made = run("scripts/make_input_data.py", root, str(root / "input" / "data" / "breast-cancer.csv"))
    assert made.returncode == 0, made.stderr
    result = run("steps/preprocess.py", root)
    assert result.returncode == 0, result.stderr
    return root


def read(root: Path, relative: str) -> pd.DataFrame:
    return pd.read_csv(root / relative, header=None)


def test_input_data_has_a_header_and_the_label_last(processed):
    frame = pd.read_csv(processed / "input" / "data" / "breast-cancer.csv")
    assert frame.shape == (569, 31)
    assert list(frame.columns[[0, -1]]) == ["mean radius", "label"]


def test_split_matches_the_walkthrough(processed):
    train, test = read(processed, "train/train.csv"), read(processed, "test/test.csv")
    assert train.shape == (455, 31) and test.shape == (114, 31)
    assert test[0].value_counts().to_dict() == {1: 71, 0: 43}
    source = pd.read_csv(processed / "input" / "data" / "breast-cancer.csv")
    # The walkthrough's first test rows are the data set's rows 204, 70 and 131, label first.
    for position, index in enumerate((204, 70, 131)):
        expected = [source.loc[index, "label"], *source.drop(columns="label").loc[index]]
        assert test.iloc[position].tolist() == pytest.approx(expected)


def test_files_have_no_header_and_no_index(processed):
    first_line = (processed / "train" / "train.csv").read_text().splitlines()[0].split(",")
    assert len(first_line) == 31 and first_line[0] in ("0", "1")
    [float(value) for value in first_line]  # a header row would raise ValueError here


def test_validation_is_the_test_set_and_the_baseline_is_train(processed):
    assert (processed / "validation" / "validation.csv").read_bytes() == (processed / "test" / "test.csv").read_bytes()
    assert (processed / "baseline" / "baseline.csv").read_bytes() == (processed / "train" / "train.csv").read_bytes()


def test_paths_can_be_given_as_arguments(processed, tmp_path):
    result = run("steps/preprocess.py", tmp_path / "unused", "--input-dir", str(processed / "input" / "data"),
                 "--train-dir", str(tmp_path / "t"), "--validation-dir", str(tmp_path / "v"),
                 "--test-dir", str(tmp_path / "s"), "--baseline-dir", str(tmp_path / "b"))
    assert result.returncode == 0, result.stderr
    assert read(tmp_path, "t/train.csv").shape == (455, 31)
    assert not (tmp_path / "unused").exists()


def test_preprocess_names_a_missing_input(tmp_path):
    (tmp_path / "input" / "data").mkdir(parents=True)
    result = run("steps/preprocess.py", tmp_path)
    assert result.returncode != 0
    assert f"expected exactly one .csv file in {tmp_path / 'input' / 'data'}, found 0" in result.stderr


def test_preprocess_names_a_headerless_input(processed, tmp_path):
    (tmp_path / "input" / "data").mkdir(parents=True)
    (tmp_path / "input" / "data" / "x.csv").write_bytes((processed / "train" / "train.csv").read_bytes())
    result = run("steps/preprocess.py", tmp_path)
    assert result.returncode != 0 and "has no 'label' column" in result.stderr


def train_model(processed: Path, model_dir: Path) -> None:
    """The built-in algorithm's artifact: model.tar.gz holding the booster saved as ``xgboost-model``."""
    train = read(processed, "train/train.csv")
    # Arrays, not frames: the built-in algorithm's models carry no feature names.
    features = xgboost.DMatrix(train.iloc[:, 1:].to_numpy(), label=train[0].to_numpy())
    booster = xgboost.train(HYPERPARAMETERS, features, num_boost_round=100)
    model_dir.mkdir(parents=True)
    booster.save_model(str(model_dir / "xgboost-model.ubj"))
    with tarfile.open(model_dir / "model.tar.gz", "w:gz") as archive:
        archive.add(model_dir / "xgboost-model.ubj", arcname="xgboost-model")


def test_evaluate_writes_the_model_quality_report(processed):
    train_model(processed, processed / "model")
    result = run("steps/evaluate.py", processed)
    assert result.returncode == 0, result.stderr
    report = json.loads((processed / "evaluation" / "evaluation.json").read_text())
    metrics = report["binary_classification_metrics"]
    assert metrics["auc"]["value"] > 0.9 and metrics["auc"]["standard_deviation"] == "NaN"
    for name in ("accuracy", "precision", "recall", "f1"):
        assert 0.8 < metrics[name]["value"] <= 1.0
    matrix = metrics["confusion_matrix"]
    assert sum(matrix[actual][guess] for actual in "01" for guess in "01") == 114
    assert matrix["1"]["0"] + matrix["1"]["1"] == 71
    assert report["dataset"]["item_count"] == 114
    assert np.isclose(metrics["accuracy"]["value"], (matrix["0"]["0"] + matrix["1"]["1"]) / 114)


def test_evaluate_names_an_archive_without_the_model(processed, tmp_path):
    (tmp_path / "model").mkdir()
    with tarfile.open(tmp_path / "model" / "model.tar.gz", "w:gz") as archive:
        archive.add(processed / "test" / "test.csv", arcname="model.bin")
    result = run("steps/evaluate.py", tmp_path, "--test-dir", str(processed / "test"))
    assert result.returncode != 0 and "holds no 'xgboost-model'" in result.stderr



def run_baseline(dataset: Path, output: Path) -> subprocess.CompletedProcess:
    """The baseline script in the processing data-quality mode's job environment, paths made local; the
    library folder is the repository root, which holds the sagelocal package as the job's download does."""
    env = {"dataset_format": '{"csv": {"header": false}}', "dataset_source": str(dataset),
           "output_path": str(output / "data-quality"), "publish_cloudwatch_metrics": "Disabled",
           "output_message_file": str(output / "message")}
    return subprocess.run([sys.executable, str(ROOT / "steps" / "data_quality_baseline.py"), "--library", str(ROOT)],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def test_data_quality_baseline_runs_the_library_analyzer_on_the_baseline(processed, tmp_path):
    result = run_baseline(processed / "baseline", tmp_path)
    assert result.returncode == 0, result.stderr
    statistics = json.loads((tmp_path / "data-quality" / "statistics.json").read_text())
    assert statistics["dataset"]["item_count"] == 455
    assert [feature["name"] for feature in statistics["features"]] == [f"_c{i}" for i in range(31)]
    constraints = json.loads((tmp_path / "data-quality" / "constraints.json").read_text())
    assert [feature["name"] for feature in constraints["features"]] == [f"_c{i}" for i in range(31)]


def test_data_quality_baseline_fails_with_the_analyzer_reason(tmp_path):
    (tmp_path / "baseline").mkdir()
    result = run_baseline(tmp_path / "baseline", tmp_path)
    assert result.returncode == 1
    assert (tmp_path / "message").read_text().endswith("Job inputs had no data")
