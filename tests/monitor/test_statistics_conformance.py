"""statistics.json reproduced from the real QualityCheck fixture: every number, bucket and sketch item, and the text."""
import json

import pytest

from sagelocal.monitor import jsonfmt
from sagelocal.monitor.api import profile_dataset

# Keys a newer container (2024 file) writes that the 2021 fixture's container did not.
NEWER_KEYS = ("approximate_num_distinct_values", "completeness")


@pytest.fixture
def data_quality(fixtures_dir):
    return fixtures_dir / "model-monitor-quality-check-step" / "data_quality"


def test_statistics_match_aws_exactly(data_quality):
    ours = profile_dataset(data_quality / "baseline_dataset.csv", "csv", header=False)
    expected = json.loads((data_quality / "statistics.json").read_text())
    for feature in ours["features"]:
        stats = feature["numerical_statistics"]
        assert set(stats) - set(expected["features"][0]["numerical_statistics"]) == set(NEWER_KEYS)
        for key in NEWER_KEYS:
            stats.pop(key)
    assert ours == expected
    # Parsed equality ignores float formatting and int/float; the text comparison does not.
    assert jsonfmt.dumps(ours) == (data_quality / "statistics.json").read_text()


def test_newer_fields_are_consistent(data_quality):
    ours = profile_dataset(data_quality / "baseline_dataset.csv", "csv", header=False)
    first = ours["features"][0]["numerical_statistics"]
    assert first["completeness"] == 1.0
    assert first["approximate_num_distinct_values"] == 3  # _c0 holds 1.0, 2.0, 3.0


@pytest.mark.parametrize("value,text", [(2048.0, "2048.0"), (3.8e7, "3.8E7"), (1.4402689218907343e10,
                         "1.4402689218907343E10"), (0.001, "0.001"), (0.0005, "5.0E-4"), (1e7, "1.0E7"),
                         (9999999.5, "9999999.5"), (-0.25, "-0.25"), (0.0, "0.0")])
def test_java_double_formatting(value, text):
    assert jsonfmt.java_double(value) == text


def test_real_2024_statistics_round_trip_through_our_writer(fixtures_dir):
    path = fixtures_dir / "model-monitor-real-baseline-2024" / "statistics.json"
    # The 2024 file was committed with a final newline that Jackson does not write.
    assert jsonfmt.dumps(json.loads(path.read_text())) == path.read_text().removesuffix("\n")


def test_buckets_recomputed_from_real_2024_sketches_match_bit_for_bit(fixtures_dir):
    from sagelocal.monitor.kll import KLLSketch
    from sagelocal.monitor.profile import kll_buckets

    document = json.loads((fixtures_dir / "model-monitor-real-baseline-2024" / "statistics.json").read_text())
    numeric = [f["numerical_statistics"] for f in document["features"] if "numerical_statistics" in f]
    assert len(numeric) == 8
    for stats in numeric:
        kll = stats["distribution"]["kll"]
        sketch = KLLSketch.from_data(kll["sketch"]["data"], kll["sketch"]["parameters"]["k"],
                                     kll["sketch"]["parameters"]["c"])
        assert sketch.weight == stats["common"]["num_present"]
        assert kll_buckets(sketch, stats["min"], stats["max"]) == kll["buckets"]
