"""Suggested constraints as AWS writes them; constraint files of every era read; corrupt files rejected."""
import json

import pytest

from sagelocal.errors import UserError
from sagelocal.monitor import jsonfmt
from sagelocal.monitor.constraints import read_constraints, suggest_constraints


def load(path):
    return json.loads(path.read_text())


def test_suggestions_reproduce_the_real_2024_constraints_byte_for_byte(fixtures_dir):
    folder = fixtures_dir / "model-monitor-real-baseline-2024"
    ours = suggest_constraints(load(folder / "statistics.json"))
    assert ours == load(folder / "constraints.json")
    # The committed file has a final newline Jackson does not write.
    assert jsonfmt.dumps(ours) == (folder / "constraints.json").read_text().removesuffix("\n")


def test_suggestions_match_the_2021_quality_check_features(fixtures_dir):
    folder = fixtures_dir / "model-monitor-quality-check-step" / "data_quality"
    ours = suggest_constraints(load(folder / "statistics.json"))
    real = load(folder / "good_cases" / "constraints.json")
    assert ours["features"] == real["features"]
    # 2021 containers did not write the categorical_* keys; everything they did write agrees.
    for key, value in real["monitoring_config"]["distribution_constraints"].items():
        assert ours["monitoring_config"]["distribution_constraints"][key] == value


def test_domains_only_for_low_cardinality_strings_with_few_singletons():
    def feature(buckets):
        return {"name": "s", "inferred_type": "String", "string_statistics": {
            "common": {"num_present": 10, "num_missing": 0}, "distinct_count": float(len(buckets)),
            "distribution": {"categorical": {"buckets": buckets}}}}

    many = [{"value": f"v{i}", "count": 5} for i in range(10)]
    singled = many[:8] + [{"value": "a", "count": 1}, {"value": "b", "count": 1}]  # 2 of 10 seen once
    got = suggest_constraints({"features": [feature(many), feature(singled)]})["features"]
    assert got[0]["string_constraints"]["domains"] == [f"v{i}" for i in range(10)]
    assert "string_constraints" not in got[1]


def test_negative_minimum_gets_no_is_non_negative():
    # Reference §9.5: real files only ever show `true`; we omit the key otherwise (Deequ suggests nothing).
    stats = {"features": [{"name": "x", "inferred_type": "Fractional", "numerical_statistics": {
        "common": {"num_present": 3, "num_missing": 1}, "min": -1.0}}]}
    (feature,) = suggest_constraints(stats)["features"]
    assert "num_constraints" not in feature and feature["completeness"] == 0.75


def test_reads_2024_2021_and_2019_files(fixtures_dir):
    features, config = read_constraints(fixtures_dir / "model-monitor-real-baseline-2024" / "constraints.json")
    state = next(f for f in features if f.name == "state")
    assert len(state.domains) == 54 and config.categorical_drift_method == "LInfinity"
    assert (config.comparison_method, config.datatype_check_threshold) == ("Robust", 1.0)
    features, config = read_constraints(
        fixtures_dir / "model-monitor-quality-check-step" / "data_quality" / "good_cases" / "constraints.json")
    assert config.categorical_comparison_threshold == config.comparison_threshold == 0.1
    features, config = read_constraints(fixtures_dir / "model-monitor-sdk" / "constraints.json")
    # 2019 keys: enable_comparisons (bool) and min_domain_mass; overrides inside string_constraints.
    assert config.perform_comparison is True and config.domain_content_threshold == 1.0
    assert config.comparison_threshold == 1.0
    assert [f.evaluate for f in features] == [True, True]


def test_both_override_spellings_disable_a_feature(tmp_path):
    path = tmp_path / "constraints.json"
    path.write_text(json.dumps({"features": [
        {"name": "a", "inferred_type": "String", "string_constraints": {
            "domains": ["x"], "monitoring_config_overrides": {"evaluate_constraints": "Disabled"}}},
        {"name": "b", "inferred_type": "Integral", "monitoringConfigOverrides": {"emit_metrics": "Disabled"}},
    ], "monitoring_config": {"emit_metrics": "Enabled"}}))
    a, b = read_constraints(path)[0]
    assert (a.evaluate, a.emit_metrics) == (False, True)
    assert (b.evaluate, b.emit_metrics) == (True, False)


@pytest.mark.parametrize("text,message", [
    ('{"features": [', "line 1, column 15"),
    ('[]', "must be a JSON object"),
    ('{"features": {}}', '"features" list'),
    ('{"features": [{"inferred_type": "String"}]}', "features[0]: needs a \"name\""),
    ('{"features": [{"name": "a", "inferred_type": "Text"}]}', "unknown inferred_type 'Text'"),
    ('{"features": [], "monitoring_config": {"distribution_constraints": {"comparison_method": "Fancy"}}}',
     "comparison_method must be one of Simple, Robust"),
    ('{"features": [], "monitoring_config": {"datatype_check_threshold": "high"}}',
     "datatype_check_threshold must be a number"),
])
def test_corrupt_constraints_give_one_error_naming_the_file(tmp_path, text, message):
    path = tmp_path / "constraints.json"
    path.write_text(text)
    with pytest.raises(UserError) as caught:
        read_constraints(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_real_statistics_files_read_and_corrupt_ones_are_named(fixtures_dir, tmp_path):
    from sagelocal.monitor.constraints import read_statistics

    for path in (fixtures_dir / "model-monitor-real-baseline-2024" / "statistics.json",
                 fixtures_dir / "model-monitor-quality-check-step" / "data_quality" / "statistics.json",
                 fixtures_dir / "model-monitor-sdk" / "statistics.json"):
        assert read_statistics(path)["features"]
    path = tmp_path / "statistics.json"
    path.write_text(json.dumps({"features": [{"name": "x", "numerical_statistics": {"distribution": {"kll": {
        "sketch": {"parameters": {"c": 0.64, "k": 2048.0}, "data": [[1.0, "two"]]}}}}}]}))
    with pytest.raises(UserError, match=r"features\[0\] \(x\): kll.sketch needs"):
        read_statistics(path)
