"""Checks of a new analysis against a baseline one (analysis.json is also the constraints file of Clarify's checks
and monitors), in constraint_violations.json's shape.

- Bias drift (``bias_drift_check``): a metric whose value is farther from 0 than the baseline's is a violation
  ("if the analysis result is -0.3 against a baseline of 0.2, a violation is logged").
- Feature attribution drift (``feature_attribution_drift_check``): the nDCG of the new global SHAP values against
  the baseline's ranking; below 0.9 is a violation.
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import ndcg_score

from sagelocal.clarify.bias import POST_TRAINING, PRE_TRAINING

NDCG_THRESHOLD = 0.9
VERSION = "1.0"


def violations(baseline: dict, current: dict) -> dict:
    found = []
    for section in (PRE_TRAINING, POST_TRAINING):
        if section in baseline and section in current:
            found += _bias_drift(baseline[section], current[section])
    found += _attribution_drift(baseline.get("explanations") or {}, current.get("explanations") or {})
    return {"version": VERSION, "violations": found}


def _bias_drift(baseline: dict, current: dict) -> list[dict]:
    found = []
    for facet, groups in current["facets"].items():
        reference = {group["value_or_threshold"]: group for group in baseline["facets"].get(facet, [])}
        for group in groups:
            limits = {metric["name"]: metric.get("value")
                      for metric in reference.get(group["value_or_threshold"], {}).get("metrics", [])}
            for metric in group["metrics"]:
                value, limit = _number(metric.get("value")), _number(limits.get(metric["name"]))
                if value is None or limit is None or abs(value) <= abs(limit):
                    continue
                found.append({"facet": facet, "facet_value": group["value_or_threshold"],
                              "metric_name": metric["name"], "constraint_check_type": "bias_drift_check",
                              "description": f"Value {metric['value']} does not meet the constraint requirement"})
    return found


def _attribution_drift(baseline: dict, current: dict) -> list[dict]:
    found = []
    for method, labels in current.items():
        for label, explanation in labels.items():
            reference = (baseline.get(method) or {}).get(label)
            if not reference:
                continue
            names = list(reference["global_shap_values"])
            expected = np.array([[abs(reference["global_shap_values"][name]) for name in names]])
            observed = np.array([[abs(explanation["global_shap_values"].get(name, 0.0)) for name in names]])
            score = float(ndcg_score(expected, observed)) if len(names) > 1 else 1.0
            if score < NDCG_THRESHOLD:
                found.append({"label": label, "metric_name": "shap",
                              "constraint_check_type": "feature_attribution_drift_check",
                              "description": f"Feature attribution drift {score} exceeds threshold {NDCG_THRESHOLD}"})
    return found


def _number(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        return float(value.replace("Infinity", "inf"))
    return float(value)
