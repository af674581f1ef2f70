"""The evaluation metrics the XGBoost container computes itself (accuracy, f1, mse, r2, rmse, ... by version),
reported in DescribeTrainingJob's FinalMetricDataList as the container logs them, checked against scikit-learn on
the trained model's own predictions."""
from __future__ import annotations

import pickle
import re
import tarfile

import numpy as np
import pytest
import xgboost
from sklearn import metrics as sk

from jobs.test_xgboost_versions import image, training_request
from sagelocal.config import Settings
from sagelocal.jobs.training import run_training_job
from sagelocal.jobs.xgb_container.versions import saves_pickles
from sagelocal.storage.s3 import LocalS3


def rows(rng, count: int, classes: int) -> np.ndarray:
    features = rng.normal(size=(count, 3))
    score = features[:, 0] + 0.5 * features[:, 1] + rng.normal(scale=0.7, size=count)
    labels = np.digitize(score, np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1])) if classes else score
    return np.column_stack([labels, features])


def placed(tmp_path, classes: int) -> tuple[Settings, np.ndarray]:
    """(settings, validation rows) with train and validation channels of ``classes`` classes (0: regression)."""
    settings = Settings(home=tmp_path)
    rng = np.random.default_rng(7)
    s3 = LocalS3(settings.s3_root)
    validation = rows(rng, 80, classes)
    for channel, table in (("train", rows(rng, 240, classes)), ("validation", validation)):
        s3.write_bytes(f"s3://data/{channel}/{channel}.csv",
                       "\n".join(",".join(f"{v:.6g}" for v in row) for row in table).encode())
    return settings, validation


def train(settings: Settings, version: str, hyperparameters: dict) -> tuple[dict, xgboost.Booster]:
    """The job's final metrics, by name, and the model it trained."""
    job = run_training_job(settings, "job-metrics", training_request(image(version), {"num_round": "4",
                                                                                       **hyperparameters}))
    with tarfile.open(LocalS3(settings.s3_root).path(job["ModelArtifacts"]["S3ModelArtifacts"])) as archive:
        raw = archive.extractfile("xgboost-model").read()
    booster = pickle.loads(raw) if saves_pickles(version) else xgboost.Booster(model_file=bytearray(raw))
    return {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}, booster


def validation_predictions(booster, validation: np.ndarray, margin: bool = False) -> np.ndarray:
    return booster.predict(xgboost.DMatrix(validation[:, 1:]), output_margin=margin)


def logged(value: float) -> float:
    return pytest.approx(value, abs=1e-5)  # XGBoost logs five decimals


@pytest.mark.parametrize("version", ["1.0-1", "1.3-1", "3.2-0"])
def test_regression_metrics_the_container_computes(tmp_path, version):
    settings, validation = placed(tmp_path, 0)
    names = {"1.0-1": "mse,rmse", "1.3-1": "mse,rmse,mae,r2", "3.2-0": "mse,r2"}[version]
    final, booster = train(settings, version, {"objective": "reg:squarederror", "eval_metric": names})
    predicted, labels = validation_predictions(booster, validation), validation[:, 0]
    expected = {"mse": sk.mean_squared_error, "rmse": sk.root_mean_squared_error, "mae": sk.mean_absolute_error,
                "r2": sk.r2_score}
    # With no metric left for XGBoost itself, the container drops eval_metric: XGBoost logs its default, rmse.
    assert {name.split(":")[1] for name in final} == set(names.split(",")) | {"rmse"}
    for name in names.split(","):
        assert final[f"validation:{name}"] == logged(expected[name](labels, predicted))


@pytest.mark.parametrize("classes", [2, 3])
@pytest.mark.parametrize("version", ["0.90-2", "1.0-1", "1.2-2", "1.7-1"])
def test_class_metrics_read_the_predictions_as_that_version_did(tmp_path, version, classes):
    """Up to 1.0 the rounded prediction, 1.2-1.7 the margin's sign (the argmax of a row of classes): the class."""
    settings, validation = placed(tmp_path, classes)
    objective = {"objective": "binary:logistic"} if classes == 2 else {"objective": "multi:softmax",
                                                                        "num_class": "3"}
    final, booster = train(settings, version, {**objective, "eval_metric": "accuracy,f1"})
    predicted = validation_predictions(booster, validation)
    labels = validation[:, 0]
    assert final["validation:accuracy"] == logged(sk.accuracy_score(labels, np.rint(predicted)))
    assert final["validation:f1"] == logged(sk.f1_score(labels, np.rint(predicted), average="macro"))
    assert "validation:logloss" in final or "validation:mlogloss" in final  # XGBoost's default metric stays


def test_from_3_0_the_container_reads_probabilities_as_margins(tmp_path):
    """XGBoost 3 hands its custom metric the probability; the container still tests ``> 0``: every row is class 1."""
    settings, validation = placed(tmp_path, 2)
    final, _ = train(settings, "3.0-5", {"objective": "binary:logistic", "eval_metric": "accuracy,f1_binary"})
    labels = validation[:, 0]
    assert final["validation:accuracy"] == logged(labels.mean())
    assert final["validation:f1_binary"] == logged(sk.f1_score(labels, np.ones_like(labels)))


def test_the_tuning_objective_metric_is_computed_too(tmp_path):
    settings, validation = placed(tmp_path, 2)
    final, booster = train(settings, "1.7-1", {"objective": "binary:logistic", "eval_metric": "auc",
                                               "_tuning_objective_metric": "validation:f1_binary"})
    margins = validation_predictions(booster, validation, margin=True)
    assert set(final) == {"train:auc", "validation:auc", "train:f1_binary", "validation:f1_binary"}
    assert final["validation:f1_binary"] == logged(sk.f1_score(validation[:, 0], margins > 0))


def logged_rounds(settings: Settings, metric: str) -> list[float]:
    """Each round's validation ``metric`` as the job logged it."""
    log = (settings.home / "jobs" / "job-metrics" / "stdout.log").read_text()
    return [float(value) for value in re.findall(rf"validation-{metric}:(-?[0-9.]+)", log)]


@pytest.mark.parametrize("version", ["1.3-1", "3.2-0"])
def test_from_1_3_early_stopping_maximizes_the_container_s_metric_and_keeps_the_best_round(tmp_path, version):
    settings, _ = placed(tmp_path, 2)
    _, booster = train(settings, version, {"objective": "binary:logistic", "eval_metric": "logloss,f1",
                                           "early_stopping_rounds": "3", "num_round": "60", "eta": "0.5"})
    scores = logged_rounds(settings, "f1")
    best = int(np.argmax(scores))
    # Stopped on f1 (the last metric given) going up, not down; the model saved is the best round's.
    assert len(scores) < 60 and max(scores[best:]) == scores[best]
    assert booster.num_boosted_rounds() == best + 1
