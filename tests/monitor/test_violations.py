"""The six checks, Simple/Robust, LInfinity/ChiSquared, and descriptions AWS's parsers accept."""
import json
import re

import numpy as np
import pytest

from sagelocal.monitor import api
from sagelocal.monitor.constraints import suggest_constraints


def write_csv(path, header, rows):
    path.write_text("\n".join([",".join(header)] + [",".join(map(str, row)) for row in rows]) + "\n")
    return path


def monitor(tmp_path, baseline_rows, current_rows, header=("a", "b"), current_header=None, config=None,
            edit=None):
    """Baseline on one CSV, monitor another; ``config`` updates monitoring_config, ``edit`` the features."""
    baseline = api.run_baseline(write_csv(tmp_path / "baseline.csv", header, baseline_rows), tmp_path / "base",
                                header=True)
    constraints = baseline.constraints
    constraints["monitoring_config"]["distribution_constraints"].update(config or {})
    if edit:
        edit(constraints["features"])
    (tmp_path / "base" / "constraints.json").write_text(json.dumps(constraints))
    current = write_csv(tmp_path / "current.csv", current_header or header, current_rows)
    return api.run_monitoring(current, "csv", tmp_path / "base" / "statistics.json",
                              tmp_path / "base" / "constraints.json", tmp_path / "out", header=True)


def checks(result):
    return [(v["feature_name"], v["constraint_check_type"]) for v in result.violations]


def drift_violations(result, feature):
    return [v for v in result.violations
            if v["constraint_check_type"] == "baseline_drift_check" and v["feature_name"] == feature]


def test_good_constraints_no_violation_bad_constraints_a_data_type_check_on_c5(fixtures_dir, tmp_path):
    folder = fixtures_dir / "model-monitor-quality-check-step" / "data_quality"
    good = api.run_monitoring(folder / "baseline_dataset.csv", "csv", folder / "statistics.json",
                              folder / "good_cases" / "constraints.json", tmp_path / "good")
    assert good.status == "Completed" and good.violations == []
    bad = api.run_monitoring(folder / "baseline_dataset.csv", "csv", folder / "statistics.json",
                             folder / "bad_cases" / "constraints.json", tmp_path / "bad")
    assert bad.status == "CompletedWithViolations"
    assert bad.violations == [{"feature_name": "_c5", "constraint_check_type": "data_type_check", "description": (
        "Data type match requirement is not met. Expected data type: String, Expected match: 100.0%. "
        "Observed: Only 0.0% of data is String.")}]
    assert (tmp_path / "bad" / "constraint_violations.json").read_text().startswith(
        '{\n  "violations" : [ {\n    "feature_name" : "_c5",')


def test_data_type_ratio_counts_present_values_and_integral_satisfies_fractional(tmp_path):
    result = monitor(tmp_path, [(1, "x"), (2, "y")], [(1, "x"), ("", "y"), ("z", "x"), (3, "y")])
    # a: 3 present values, 2 Integral ⇒ 66.66…% (nulls excluded, Deequ's ignoreUnknown).
    assert result.violations[0]["description"] == (
        "Data type match requirement is not met. Expected data type: Integral, Expected match: 100.0%. "
        "Observed: Only 66.66666666666666% of data is Integral.")
    fractional = monitor(tmp_path, [(1.5, "x"), (2, "y")], [(1, "x"), (2.5, "y")])
    assert ("a", "data_type_check") not in checks(fractional)


def test_completeness_below_the_baseline_share(tmp_path):
    result = monitor(tmp_path, [(1, "x")] * 4, [(1, "x"), ("", "x"), (2, "x"), (3, "x")])
    assert {"feature_name": "a", "constraint_check_type": "completeness_check",
            "description": "Value: 0.75 does not meet the constraint requirement! "} in result.violations


def test_unseen_category_fails_categorical_values_check_nulls_count_as_known(tmp_path):
    rows = [(i, "red" if i % 2 else "blue") for i in range(40)]
    result = monitor(tmp_path, rows, [(1, "red"), (2, "green"), (3, ""), (4, "blue")])
    assert {"feature_name": "b", "constraint_check_type": "categorical_values_check",
            "description": "Value: 0.75 does not meet the constraint requirement! "} in result.violations
    assert ("b", "categorical_values_check") not in checks(monitor(tmp_path, rows, [(1, ""), (2, "red")]))


def test_numeric_drift_simple_flags_what_robust_forgives(tmp_path):
    rng = np.random.default_rng(0)
    baseline = [(round(x, 3), "k") for x in rng.normal(0, 1, 300)]
    current = [(round(x, 3), "k") for x in rng.normal(0.5, 1, 60)]
    simple = monitor(tmp_path, baseline, current, config={"comparison_method": "Simple"})
    (violation,) = drift_violations(simple, "a")
    distance = float(re.search("distance: (.+) exceeds threshold: (.+)", violation["description"]).group(1))
    assert re.search("distance: (.+) exceeds", violation["description"])  # AWS visualization utils' parser
    robust_penalty = 1.8 * np.sqrt((300 + 60) / (300 * 60))
    robust = monitor(tmp_path, baseline, current, config={"comparison_method": "Robust"})
    if distance - robust_penalty > 0.1:
        pytest.fail("pick data where Robust forgives the drift")
    assert ("a", "baseline_drift_check") not in checks(robust)


def test_categorical_linfinity_is_on_probability_masses(tmp_path):
    baseline = [(i, "red" if i % 2 else "blue") for i in range(400)]
    current = [(i, "red") for i in range(30)] + [(i, "blue") for i in range(10)]
    result = monitor(tmp_path, baseline, current, config={"comparison_method": "Simple"})
    (violation,) = drift_violations(result, "b")
    assert violation["description"] == "Baseline drift distance: 0.25 exceeds threshold: 0.1"
    # Named choice (reference §9.4): Robust applies to categorical L∞ too, as Deequ's selectMetrics does:
    # 0.25 − 1.8·sqrt((400+40)/(400·40)) < 0 ⇒ 0.
    robust = monitor(tmp_path, baseline, current, config={"comparison_method": "Robust"})
    assert not drift_violations(robust, "b")


def test_chi_squared_flags_drift_when_the_p_value_is_below_the_threshold(tmp_path):
    # Named choice (reference §9.3): violation iff p-value < categorical_comparison_threshold.
    baseline = [(i, "red" if i % 2 else "blue") for i in range(400)]
    drifted = [(i, "red") for i in range(70)] + [(i, "blue") for i in range(30)]
    same = [(i, "red") for i in range(50)] + [(i, "blue") for i in range(50)]
    config = {"categorical_drift_method": "ChiSquared", "categorical_comparison_threshold": 0.05}
    flagged = monitor(tmp_path, baseline, drifted, config=config)
    (violation,) = drift_violations(flagged, "b")
    assert violation["description"].startswith("Baseline drift p-value: 6.3")  # chisquare([70,30],[50,50])
    assert ("b", "baseline_drift_check") not in checks(monitor(tmp_path, baseline, same, config=config))


def test_missing_and_extra_columns(tmp_path):
    missing = monitor(tmp_path, [(1, "x"), (2, "y")], [(1,), (2,)], current_header=("a",))
    assert ("b", "missing_column_check") in checks(missing)
    extra = monitor(tmp_path, [(1, "x")], [(1, "x", 5)], current_header=("a", "b", "c"))
    assert ("c", "extra_column_check") in checks(extra)


def test_disabled_evaluation_runs_no_check(tmp_path):
    def disable(features):
        features[0]["monitoringConfigOverrides"] = {"evaluate_constraints": "Disabled"}

    result = monitor(tmp_path, [(1, "x"), (2, "y")], [("z", "x"), ("w", "y")], edit=disable)
    assert ("a", "data_type_check") not in checks(result)


def test_suggested_constraints_of_current_data_are_written(tmp_path):
    result = monitor(tmp_path, [(1, "x")], [(1, "x")])
    assert result.constraints == suggest_constraints(result.statistics)
    assert (tmp_path / "out" / "message").exists() is False  # message file only where asked
