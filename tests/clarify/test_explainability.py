"""Kernel SHAP through the shadow endpoint (the endpoints' own XGBoost serving code): the efficiency property
holds for every row, the configured aggregation gives the global values, and the outputs have Clarify's shapes."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sagelocal.clarify import analysis, config, dataset, outputs
from sagelocal.clarify.explain import aggregate, kernel_shap
from sagelocal.clarify.shadow import ShadowEndpoint
from clarify.models import IMAGE, model_archive, training_rows

FEATURES = 6


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    x, y = training_rows(400, FEATURES)
    archive = model_archive(tmp_path_factory.mktemp("model"), x, y)
    return ShadowEndpoint.from_model(archive, IMAGE, {"content_type": "text/csv", "accept_type": "text/csv"})


def shap_settings(**overrides) -> config.ShapSettings:
    body = {"baseline": [[0.0] * FEATURES], "num_samples": 40, "agg_method": "mean_abs", "seed": 7} | overrides
    return config.parse({"dataset_type": "text/csv", "predictor": {"model_name": "m"},
                         "methods": {"shap": body}}).shap


@pytest.mark.parametrize("use_logit", [False, True])
def test_shap_values_add_up_to_the_prediction_minus_the_baseline_prediction(endpoint, use_logit):
    rows, _ = training_rows(25, FEATURES, seed=1)
    explanation = kernel_shap(endpoint.predict, rows, shap_settings(use_logit=use_logit))
    predictions = endpoint.predict(rows)
    baseline = endpoint.predict(np.zeros((1, FEATURES)))[0]
    if use_logit:  # the attributions then explain the log-odds
        predictions, baseline = np.log(predictions / (1 - predictions)), np.log(baseline / (1 - baseline))
    assert explanation.expected_value == pytest.approx(baseline, abs=1e-9)
    np.testing.assert_allclose(explanation.local.sum(axis=1), predictions - baseline, atol=1e-6, rtol=0)


def test_the_shap_values_find_the_features_the_model_uses(endpoint):
    # The label depends on features 0, 1, 2 (in that order of weight); 3, 4, 5 are noise.
    rows, _ = training_rows(60, FEATURES, seed=2)
    explanation = kernel_shap(endpoint.predict, rows, shap_settings(num_samples=200))
    assert list(np.argsort(-explanation.global_values)[:2]) == [0, 1]
    assert endpoint.requests > 0  # every evaluation went through the serving code


def test_the_in_process_scores_are_the_ones_a_text_csv_request_answers(endpoint):
    """The shadow endpoint hands the serving code the matrix its CSV parser would make; the scores must be the
    very numbers the batch text/csv request gives (repr-exact floats both ways), missing values included."""
    rows, _ = training_rows(300, FEATURES, seed=3)
    rows = rows * np.random.default_rng(3).uniform(0.5, 2.0, rows.shape)  # full float64 precision
    rows[5, 2] = np.nan
    body = "\n".join(",".join("" if np.isnan(v) else repr(v) for v in row) for row in rows.tolist())
    answer = endpoint.server.invoke("text/csv", body.encode(), batch=True).body
    assert endpoint.predict(rows).tolist() == np.array(answer.decode().split(), dtype=float).tolist()


def test_the_vectorised_explainer_gives_shaps_own_values(endpoint):
    """The one step kernel_shap vectorises (which features differ from the background) must leave shap's answer
    unchanged: the same features found varying (equal to the baseline, within isclose, or NaN on both sides are
    not), and the same SHAP values for the same seed."""
    import shap

    from sagelocal.clarify.explain import _explainer_class

    rows, _ = training_rows(12, FEATURES, seed=4)
    background = rows[:2].copy()
    background[:, 3] = np.nan
    rows[5] = background[0] + 1e-12  # equal within tolerance to the first background row, not to the second
    rows[6, :] = background[0, :]
    rows[6, 1] = background[1, 1]
    rows[7, 3] = np.nan
    ours, theirs = (cls(endpoint.predict, background) for cls in (_explainer_class(), shap.KernelExplainer))
    for row in rows:
        assert ours.varying_groups(row[None, :]).tolist() == theirs.varying_groups(row[None, :]).tolist()
    values = []
    for explainer in (ours, theirs):
        np.random.seed(3)
        values.append(np.asarray(explainer.shap_values(rows, nsamples=30, l1_reg=False, silent=True)))
    assert values[0].tolist() == values[1].tolist()


def test_aggregations_are_clarifys_three():
    local = np.array([[1.0, -2.0], [-3.0, 4.0], [2.0, 0.0]])
    assert aggregate(local, "mean_abs").tolist() == [2.0, 2.0]
    assert aggregate(local, "median").tolist() == [1.0, 0.0]
    assert aggregate(local, "mean_sq").tolist() == pytest.approx([14 / 3, 20 / 3])


def test_outputs_have_clarifys_layout(endpoint, tmp_path):
    """analysis.json's explanations section as the Developer Guide shows it (awsdocs/amazon-sagemaker-developer-guide,
    doc_source/clarify-processing-job-run.md: explanations.kernel_shap.label0.{global_shap_values, expected_value});
    explanations_shap/out.csv with one ``<feature>_label0`` column per feature, as the SageMaker Studio book's
    reader of a real out.csv strips them (``str.replace(c, '_label0', '')``)."""
    rows, labels = training_rows(30, FEATURES, seed=3)
    headers = ["target"] + [f"f{i}" for i in range(FEATURES)]
    frame = pd.DataFrame(np.column_stack([labels, rows]), columns=headers).astype({"target": int})
    analysis_config = config.parse({
        "dataset_type": "text/csv", "headers": headers, "label": "target",
        "predictor": {"model_name": "m", "instance_type": "ml.m5.xlarge", "initial_instance_count": 1},
        "methods": {"shap": {"baseline": [[0.0] * FEATURES], "num_samples": 30, "agg_method": "mean_abs",
                             "use_logit": False, "save_local_shap_values": True},
                    "report": {"name": "report", "title": "Analysis Report"}}})
    result = analysis.analyze(analysis_config, dataset.from_frame(frame, analysis_config), endpoint.predict)
    written = outputs.write(tmp_path, result, analysis_config.report)
    assert sorted(path.relative_to(tmp_path).as_posix() for path in written) == [
        "analysis.json", "explanations_shap/out.csv", "report.html"]
    document = json.loads((tmp_path / "analysis.json").read_text())
    label0 = document["explanations"]["kernel_shap"]["label0"]
    assert list(label0) == ["global_shap_values", "expected_value"] and list(label0["global_shap_values"]) == \
        headers[1:]
    local = pd.read_csv(tmp_path / "explanations_shap" / "out.csv")
    assert list(local.columns) == [f"f{i}_label0" for i in range(FEATURES)] and len(local) == 30
    assert "Feature attributions" in (tmp_path / "report.html").read_text()


def test_with_every_coalition_kernel_shap_gives_the_exact_values_treeshap_computes(endpoint):
    """Six features have 2^6 - 2 = 62 coalitions besides the empty and the full one: with num_samples at least that,
    KernelExplainer enumerates them all and its values are the exact interventional Shapley values. With use_logit
    they explain the log-odds, the trees' own output, which shap's TreeExplainer computes exactly from the trees.
    (Its ``model_output="probability"`` is not the exact Shapley value of the probability, so it is no reference.)"""
    import shap

    rows, _ = training_rows(20, FEATURES, seed=4)
    baseline = np.full((1, FEATURES), 0.1)
    settings = shap_settings(baseline=baseline.tolist(), num_samples=100, use_logit=True)
    kernel = kernel_shap(endpoint.predict, rows, settings, workers=2)
    tree = shap.TreeExplainer(endpoint.server.booster, data=baseline, model_output="raw",
                              feature_perturbation="interventional")
    exact = np.asarray(tree.shap_values(rows)).reshape(rows.shape)
    np.testing.assert_allclose(kernel.local, exact, atol=1e-5)  # the endpoint reads float32 CSV values
