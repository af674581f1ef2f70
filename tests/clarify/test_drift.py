"""The checks of an analysis against a baseline analysis.json, in the shapes of the Developer Guide's examples
(awsdocs/amazon-sagemaker-developer-guide, doc_source/clarify-model-monitor-bias-drift-violations.md and
clarify-model-monitor-model-attribution-drift-violations.md)."""
from __future__ import annotations

import pytest

from sagelocal.clarify import drift


def bias_analysis(**values) -> dict:
    """analysis.json's post-training section as the guide's clarify-processing-job-run.md example shows it."""
    return {"version": "1.0", "post_training_bias_metrics": {
        "label": "target", "label_value_or_threshold": "1",
        "facets": {"Age": [{"value_or_threshold": "40", "metrics": [
            {"name": name, "description": f"{name} description", "value": value} for name, value in values.items()]}]}}}


def shap_analysis(values: dict) -> dict:
    return {"version": "1.0", "explanations": {"kernel_shap": {"label0": {
        "global_shap_values": values, "expected_value": 0.5}}}}


def test_a_metric_farther_from_zero_than_its_baseline_is_a_violation():
    # The guide: against a DPPL baseline of 0.2, 0.1 is no violation and -0.3 is one.
    baseline = bias_analysis(DPPL=0.2, DI=0.9)
    assert drift.violations(baseline, bias_analysis(DPPL=0.1, DI=-0.5)) == {"version": "1.0", "violations": []}
    found = drift.violations(baseline, bias_analysis(DPPL=-0.3, DI=0.5))
    assert found == {"version": "1.0", "violations": [{
        "facet": "Age", "facet_value": "40", "metric_name": "DPPL", "constraint_check_type": "bias_drift_check",
        "description": "Value -0.3 does not meet the constraint requirement"}]}


def test_a_metric_without_a_value_is_not_checked():
    assert drift.violations(bias_analysis(DI="Infinity"), bias_analysis(DI=None))["violations"] == []
    assert drift.violations(bias_analysis(DI=1.0), bias_analysis(DI="Infinity"))["violations"][0]["metric_name"] == "DI"


def test_feature_attribution_drift_is_the_ndcg_of_the_global_shap_ranking():
    baseline = shap_analysis({"a": 0.5, "b": 0.3, "c": 0.1, "d": 0.05})
    assert drift.violations(baseline, shap_analysis({"a": 0.6, "b": 0.2, "c": 0.1, "d": 0.0}))["violations"] == []
    [violation] = drift.violations(baseline, shap_analysis({"a": 0.0, "b": 0.05, "c": 0.3, "d": 0.5}))["violations"]
    assert violation["label"] == "label0" and violation["metric_name"] == "shap"
    assert violation["constraint_check_type"] == "feature_attribution_drift_check"
    score = float(violation["description"].split()[3])
    assert score < drift.NDCG_THRESHOLD and violation["description"] == \
        f"Feature attribution drift {score} exceeds threshold 0.9"


@pytest.mark.parametrize("current", [{"version": "1.0"}, shap_analysis({"a": 1.0})])
def test_sections_the_baseline_lacks_are_not_checked(current):
    assert drift.violations(bias_analysis(DPPL=0.0), current)["violations"] == []
