"""The six constraint checks of Model Monitor's data-quality job, with AWS's description strings.

Decision rules (reference §4.2): data type ratio over present values below ``datatype_check_threshold``;
completeness below the feature's ``completeness``; in-domain share (nulls count as in domain) below
``domain_content_threshold``; drift distance above its threshold (χ²: p-value below it); and columns the
current data lacks or adds relative to the constraints.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from sagelocal.monitor import drift, dtypes
from sagelocal.monitor.constraints import FeatureConstraint, MonitoringConfig
from sagelocal.monitor.jsonfmt import java_double
from sagelocal.monitor.kll import KLLSketch


@dataclass
class DriftResult:
    """Distance of one feature from its baseline: what is compared, how, and against which threshold."""

    feature: str
    kind: str  # "numerical" | "categorical"
    method: str
    distance: float
    threshold: float
    violated: bool


@dataclass
class CheckResult:
    """Violations in report order plus every computed drift (for metrics and the HTML report)."""

    violations: list = field(default_factory=list)
    drifts: dict = field(default_factory=dict)


def _violation(feature: str, check: str, description: str) -> dict:
    return {"feature_name": feature, "constraint_check_type": check, "description": description}


def _deequ_message(value: float) -> str:
    # Deequ's generic constraint message; the trailing space is AWS's (an empty hint is appended).
    return f"Value: {java_double(value)} does not meet the constraint requirement! "


def check_constraints(current: dict, features: list, config: MonitoringConfig,
                      baseline_statistics: dict | None = None) -> CheckResult:
    """Run every check of ``features``/``config`` on ``current`` profiles (by column name).

    Parameters
    ----------
    current : dict of str to ColumnProfile
        Profiles of the current data, named like the baseline.
    features : list of FeatureConstraint
    config : MonitoringConfig
    baseline_statistics : dict, optional
        Baseline ``statistics.json``; needed for drift checks.
    """
    result = CheckResult()
    if not config.evaluate_constraints:
        return result
    baseline = {f["name"]: f for f in (baseline_statistics or {}).get("features", [])}
    for feature in features:
        profile = current.get(feature.name)
        if profile is None or not feature.evaluate:
            continue
        result.violations.extend(_feature_checks(feature, profile, config))
        measured = _drift(feature, profile, baseline.get(feature.name), config)
        if measured is not None:
            result.drifts[feature.name] = measured
            if measured.violated:
                result.violations.append(_violation(feature.name, "baseline_drift_check", _drift_text(measured)))
    result.violations.extend(_column_checks(current, features))
    return result


def _feature_checks(feature: FeatureConstraint, profile, config: MonitoringConfig) -> list:
    found = []
    if profile.present and feature.inferred_type in dtypes.VALUE_TYPES:
        ratio = dtypes.matching_count(profile.type_counts, feature.inferred_type) / profile.present
        if ratio < config.datatype_check_threshold:
            found.append(_violation(feature.name, "data_type_check", (
                f"Data type match requirement is not met. Expected data type: {feature.inferred_type}, "
                f"Expected match: {java_double(config.datatype_check_threshold * 100)}%. "
                f"Observed: Only {java_double(ratio * 100)}% of data is {feature.inferred_type}.")))
    if feature.completeness is not None and profile.rows:
        observed = profile.present / profile.rows
        if observed < feature.completeness:
            found.append(_violation(feature.name, "completeness_check", _deequ_message(observed)))
    if feature.domains is not None and profile.rows:
        compliance = (profile.in_domain + profile.missing) / profile.rows
        if compliance < config.domain_content_threshold:
            found.append(_violation(feature.name, "categorical_values_check", _deequ_message(compliance)))
    return found


def _drift(feature: FeatureConstraint, profile, baseline: dict | None, config: MonitoringConfig):
    if not config.perform_comparison or baseline is None:
        return None
    numerical = baseline.get("numerical_statistics", {}).get("distribution", {}).get("kll")
    if numerical is not None and profile.count:
        sketch = KLLSketch.from_data(numerical["sketch"]["data"], numerical["sketch"]["parameters"]["k"],
                                     numerical["sketch"]["parameters"]["c"])
        if not sketch.weight:
            return None
        linf, n, m = drift.numerical_linf(sketch, profile.sketch)
        distance = drift.robust(linf, n, m, config.comparison_method)
        threshold = config.comparison_threshold
        return DriftResult(feature.name, "numerical", config.comparison_method, distance, threshold,
                           distance > threshold)
    buckets = baseline.get("string_statistics", {}).get("distribution", {}).get("categorical", {}).get("buckets")
    if not buckets or not profile.categories:
        return None
    expected = {bucket["value"]: bucket["count"] for bucket in buckets}
    threshold = config.categorical_comparison_threshold
    if config.categorical_drift_method == "ChiSquared":
        p_value = drift.chi_squared_p_value(expected, profile.categories)
        # Named choice (reference §9.3): a p-value below the threshold rejects "same distribution".
        return DriftResult(feature.name, "categorical", "ChiSquared", p_value, threshold,
                           not math.isnan(p_value) and p_value < threshold)
    linf, n, m = drift.categorical_linf(expected, profile.categories)
    distance = drift.robust(linf, n, m, config.comparison_method)
    return DriftResult(feature.name, "categorical", config.comparison_method, distance, threshold,
                       distance > threshold)


def _drift_text(measured: DriftResult) -> str:
    if measured.method == "ChiSquared":
        return (f"Baseline drift p-value: {java_double(measured.distance)} is below threshold: "
                f"{java_double(measured.threshold)}")
    # Matches both AWS parsers: "distance: (.+) exceeds threshold: (.+)" and "distance: (.+) exceeds".
    return f"Baseline drift distance: {java_double(measured.distance)} exceeds threshold: " \
           f"{java_double(measured.threshold)}"


def _column_checks(current: dict, features: list) -> list:
    expected = [feature.name for feature in features]
    known = set(expected)
    found = [_violation(name, "missing_column_check",
                        f"Column {name} of the baseline constraints is missing from the current dataset: "
                        f"it has {len(current)} columns, the constraints {len(expected)}.")
             for name in expected if name not in current]
    found += [_violation(name, "extra_column_check",
                         f"Column {name} of the current dataset is not in the baseline constraints: "
                         f"it has {len(current)} columns, the constraints {len(expected)}.")
              for name in current if name not in known]
    return found
