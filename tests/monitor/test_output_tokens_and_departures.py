"""Output tokens as Model Monitor's Jackson writer emits them, numeric columns Spark's cast empties, and the
departures from Deequ's own bugs that ``sagelocal.monitor``'s docstring lists ("Departures from Deequ")."""
import json
import math

import numpy as np
import pytest

from sagelocal.monitor import api, hll


def strict_json(text: str):
    """Parse as a strict JSON parser does: the bare tokens NaN, Infinity, -Infinity are errors."""
    def reject(token):
        raise ValueError(f"not JSON: {token}")
    return json.loads(text, parse_constant=reject)


def baseline(tmp_path, csv_text: str) -> tuple:
    """Run a baseline over ``csv_text``; its statistics and constraints, parsed strictly, by feature name."""
    data = tmp_path / "data.csv"
    data.write_text(csv_text)
    api.run_baseline(data, tmp_path / "out", "csv", header=True)
    statistics = strict_json((tmp_path / "out" / "statistics.json").read_text())
    constraints = strict_json((tmp_path / "out" / "constraints.json").read_text())
    return data, {f["name"]: f for f in statistics["features"]}, {f["name"]: f for f in constraints["features"]}


def test_infinities_and_nan_are_written_as_jacksons_strings_and_read_back(tmp_path):
    # "1e999" is Fractional text that Spark's double cast makes Infinity: sum and mean become NaN, as in Deequ.
    data, features, _ = baseline(tmp_path, "x\n1.5\n1e999\n-1e999\n2.5\n")
    stats = features["x"]["numerical_statistics"]
    assert (stats["min"], stats["max"], stats["sum"], stats["mean"]) == ("-Infinity", "Infinity", "NaN", "NaN")
    assert stats["distribution"]["kll"]["sketch"]["data"] == [[1.5, "Infinity", "-Infinity", 2.5]]
    # A baseline written so is accepted again: monitoring against it runs.
    result = api.run_monitoring(data, "csv", tmp_path / "out" / "statistics.json",
                                tmp_path / "out" / "constraints.json", tmp_path / "run", header=True)
    assert strict_json((tmp_path / "run" / "constraint_violations.json").read_text()) is not None
    assert result.message.startswith("Completed")


def test_minus_zero_is_unsigned_in_an_integral_column_and_kept_in_a_fractional_one(tmp_path):
    # Spark's long cast of "-0" is 0 (no negative zero); its double cast of "-0.0" is -0.0, which Jackson writes.
    # ("+ 7" is Integral text that Spark nulls: the column is read as text, not as Arrow integers.)
    _, features, constraints = baseline(tmp_path, "i,f\n-0,-0.0\n3,1.5\n+ 7,2.5\n")
    integral, fractional = features["i"]["numerical_statistics"], features["f"]["numerical_statistics"]
    assert math.copysign(1.0, integral["min"]) == 1.0 and integral["min"] == 0.0
    assert [math.copysign(1.0, v) for v in integral["distribution"]["kll"]["sketch"]["data"][0]] == [1.0, 1.0]
    assert math.copysign(1.0, fractional["min"]) == -1.0
    text = (tmp_path / "out" / "statistics.json").read_text()
    assert '"min" : 0.0' in text and '"min" : -0.0' in text
    assert "num_constraints" in constraints["i"] and constraints["i"]["num_constraints"]["is_non_negative"]


def test_a_numeric_column_whose_every_value_spark_nulls_has_no_moments(tmp_path):
    # "- 5" is Integral to Deequ's regex and null to Spark's cast: Deequ's mean, sum, std_dev, min, max and KLL
    # fail on the empty state and its profile leaves them out; counts and the distinct count remain.
    data, features, constraints = baseline(tmp_path, "spaced,n\n- 5,1\n- 6,2\n,3\n")
    assert features["spaced"]["inferred_type"] == "Integral"
    assert features["spaced"]["numerical_statistics"] == {
        "common": {"num_present": 2, "num_missing": 1}, "approximate_num_distinct_values": 2,
        "completeness": 2 / 3}
    assert "is_non_negative" not in constraints["spaced"].get("num_constraints", {})
    result = api.run_monitoring(data, "csv", tmp_path / "out" / "statistics.json",
                                tmp_path / "out" / "constraints.json", tmp_path / "run", header=True)
    assert result.message.startswith("Completed")


def deequ_raw_estimate(registers, weight) -> float:
    """Deequ's raw HyperLogLog estimate alpha * m**2 / sum(weight(r)) at p = 9."""
    m = len(registers)
    return 0.7213 / (1 + 1.079 / m) * m * m / sum(weight(int(r)) for r in registers)


def test_departure_1_register_weights_are_true_powers_of_two():
    # Deequ weighs register r by 1.0 / (1 << r), a Java int shift: 1 << 40 is 1 << 8. We use 2**-40.
    registers = np.full(hll.REGISTERS, 10, dtype=np.uint8)
    registers[0] = 40
    ours = round(deequ_raw_estimate(registers, lambda r: 2.0 ** -r))  # no empty register, raw > 5m: no bias
    deequs = round(deequ_raw_estimate(registers, lambda r: 1.0 / (1 << (r % 32))))
    assert hll.estimate(registers) == ours and ours != deequs
    assert (ours, deequs) == (378_112, 375_175)


def test_departure_2_kll_buckets_start_at_the_columns_own_minimum(tmp_path):
    # Deequ's KLL min starts at Int.MaxValue: for values all above it, its buckets would start at 2147483647.0.
    _, features, _ = baseline(tmp_path, "big,low\n3000000000,-3000000000\n3000000010,-3000000010\n")
    big = features["big"]["numerical_statistics"]["distribution"]["kll"]["buckets"]
    low = features["low"]["numerical_statistics"]["distribution"]["kll"]["buckets"]
    assert (big[0]["lower_bound"], big[-1]["upper_bound"]) == (3.0e9, 3.00000001e9)
    assert (low[0]["lower_bound"], low[-1]["upper_bound"]) == (-3.00000001e9, -3.0e9)


def test_departure_3_integral_sums_do_not_wrap(tmp_path):
    # Deequ adds a LongType column as 64-bit integers: 9e18 + 9e18 wraps to 18e18 - 2**64.
    _, features, _ = baseline(tmp_path, "i\n9000000000000000000\n9000000000000000000\n")
    stats = features["i"]["numerical_statistics"]
    assert features["i"]["inferred_type"] == "Integral"
    assert (stats["sum"], stats["mean"]) == (1.8e19, 9.0e18)
    assert float(18 * 10 ** 18 - 2 ** 64) == pytest.approx(-4.4674407370955162e17)  # what Deequ would write
