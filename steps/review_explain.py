"""Review step, optional part: why the model leaned the way it did, for each case sent to review.

Local SHAP values of the approved model version (the one the endpoint serves), computed as the pipeline's
ModelExplainabilityCheck computes its analysis (``pipelines/breast_cancer/clarify_checks.py``): Kernel SHAP (the
``shap`` package, which SageMaker Clarify runs) on P(malignant), against one baseline row, the k-means centre of
every captured case (the "average case" of the traffic), with a fixed number of coalition samples and seed. For
each row the contributions sum to the row's P(malignant) minus the baseline's, so a reviewer reads each one as
"this feature's value moved the probability by this much". The task shows the features with the largest
contributions, largest first.

Needs numpy, xgboost and shap beside boto3 (``review_start.py --explain``).
"""
from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np

NUM_SAMPLES = 64  # as the pipeline's explainability check: seconds for a review batch, 30 features
SEED = 20261128
TOP_FEATURES = 5


def load_model(s3, bucket: str, key: str):
    """The XGBoost booster in a model package's model.tar.gz (``s3://bucket/key``)."""
    from evaluate import load_booster  # steps/evaluate.py: how the project opens a model archive

    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "model.tar.gz"
        s3.download_file(bucket, key, str(archive))
        with warnings.catch_warnings():  # the built-in algorithm's file has no extension: xgboost says it guesses
            warnings.filterwarnings("ignore", message=".*Unknown file format")
            return load_booster(Path(scratch))


def explain(booster, rows: list[dict], population: list[dict], top: int = TOP_FEATURES) -> list[dict]:
    """For each of ``rows`` (review_start's rows): ``{"baseline": P(malignant) of the average case, "features":
    [{"name", "value", "contribution"}, ...]}``, the ``top`` largest |contribution| first; ``population`` (every
    captured row) gives the baseline."""
    import shap
    import xgboost

    def predict(matrix: np.ndarray) -> np.ndarray:
        return booster.predict(xgboost.DMatrix(matrix))

    features = np.array([[float(feature["value"]) for feature in row["features"]] for row in rows])
    background = shap.kmeans(np.array([[float(f["value"]) for f in row["features"]] for row in population]), 1)
    explainer = shap.KernelExplainer(predict, background)
    np.random.seed(SEED)  # KernelExplainer samples coalitions with numpy's global generator
    values = np.asarray(explainer.shap_values(features, nsamples=NUM_SAMPLES, l1_reg=False, silent=True))
    baseline = float(np.ravel(explainer.expected_value)[0])
    explained = []
    for row, contributions in zip(rows, values.reshape(features.shape)):
        order = np.argsort(-np.abs(contributions), kind="stable")[:top]
        explained.append({"baseline": baseline, "features": [
            {"name": row["features"][i]["name"], "value": row["features"][i]["value"],
             "contribution": float(contributions[i])} for i in order]})
    return explained
