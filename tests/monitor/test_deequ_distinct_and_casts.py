"""Distinct counts, odd spellings and Spark's casts, held against Deequ itself.

Expected values come from Spark's own XXH64 test vectors (``XXH64Suite``) and from real Deequ 2.0.7-spark-3.5,
built from its source tag and run on Spark 3.5.1 (``ColumnProfilerRunner`` with KLL profiling, every CSV column
read as text as Model Monitor reads it) on exactly the data these tests write. The same build reproduces all 14
distinct counts of AWS's real 2024 statistics file on that file's dataset.
"""
import numpy as np
import pyarrow as pa
import pytest

from sagelocal.monitor import api, constraints, hll, profile

_PRIME = 2654435761


def spark_test_buffer() -> np.ndarray:
    """XXH64Suite's 101 bytes: byte i is bits 24..31 of PRIME squared i times (mod 2**64)."""
    out, seed = [], _PRIME
    for _ in range(101):
        out.append((seed >> 24) & 0xFF)
        seed = seed * seed % 2 ** 64
    return np.array(out, dtype=np.uint8)


@pytest.mark.parametrize("length, seed, expected", [
    (0, 0, 0xEF46DB3751D8E999), (0, _PRIME, 0xAC75FDA2929B17EF), (1, 0, 0x4FCE394CC88952D8),
    (1, _PRIME, 0x739840CB819FA723), (4, 0, 0x9256E58AA397AEF1), (4, _PRIME, 0x9D5FFDFB928AB4B),
    (8, 0, 0xF74CB1451B32B8CF), (8, _PRIME, 0x9C44B77FBCC302C5), (14, 0, 0xCFFA8DB881BC3A3D),
    (14, _PRIME, 0x5B9611585EFCC9CB), (101, 0, 0x0EAB543384F878AD), (101, _PRIME, 0xCAA65939306F1E21)])
def test_xxhash64_matches_sparks_known_values(length, seed, expected):
    [hashed] = hll.text_hashes(pa.array([spark_test_buffer()[:length].tobytes()], pa.binary()), seed)
    assert hashed.tolist() == [expected]


def test_values_of_many_lengths_hash_as_each_alone():
    data = spark_test_buffer().tobytes()
    values = [data[start:start + length] for start, length in ((3, 40), (0, 101), (50, 9), (7, 0), (0, 33), (9, 9))]
    together = np.concatenate(list(hll.text_hashes(pa.array(values, pa.binary()).slice(1))))  # offsets not from 0
    alone = [int(next(hll.text_hashes(pa.array([value], pa.binary())))[0]) for value in values[1:]]
    assert sorted(together.tolist()) == sorted(alone)


def write_columns(path, columns: dict, rows: int):
    path.write_text(",".join(columns) + "\n" + "".join(
        ",".join(values[row] for values in columns.values()) + "\n" for row in range(rows)))
    return path


def test_categorical_decision_at_the_threshold_follows_deequs_estimate(tmp_path):
    # Column k<n> holds n distinct categories. Deequ estimates (122 → 120) and writes a histogram, (123 → 121)
    # and does not: the decision is taken on the estimate, never on the true count.
    deequ = {110: 109, 111: 109, 112: 110, 113: 111, 114: 113, 115: 113, 116: 114, 117: 114, 118: 115, 119: 116,
             120: 118, 121: 119, 122: 120, 123: 121, 124: 123, 125: 124, 126: 125, 127: 126, 128: 128}
    path = write_columns(tmp_path / "boundary.csv",
                         {f"k{n}": [f"cat{i % n}" for i in range(300)] for n in deequ}, 300)
    features = api.profile_dataset(path, "csv", header=True)["features"]
    got = {int(f["name"][1:]): f["string_statistics"] for f in features}
    assert {n: stats["distinct_count"] for n, stats in got.items()} == {n: float(d) for n, d in deequ.items()}
    assert {n for n, stats in got.items() if "distribution" in stats} == {n for n, d in deequ.items() if d <= 120}
    suggested = constraints.suggest_constraints({"features": features})["features"]
    assert {int(f["name"][1:]) for f in suggested if "domains" in f.get("string_constraints", {})} == \
        set(range(110, 123))


def test_four_spellings_of_one_are_four_values_and_spark_nulls_what_it_cannot_cast(tmp_path):
    path = tmp_path / "spellings.csv"
    path.write_text("one,integral,fractional,spaced\n1,5,1.5, 5\n1.0,- 5,- 5,- 0\n"
                    "01,99999999999999999999,3,+ 2\n+1,7,99999999999999999999,4\n")
    features = {f["name"]: (f["inferred_type"], f["numerical_statistics"])
                for f in api.profile_dataset(path, "csv", header=True)["features"]}
    # Deequ: (type, distinct, mean, sum, min, max). "- 5" is null in both casts, a 20-digit integer is null in an
    # Integral column's long cast and kept in a Fractional one's double cast, " 5" is trimmed to 5.
    deequ = {"one": ("Fractional", 4, 1.0, 4.0, 1.0, 1.0), "integral": ("Integral", 4, 6.0, 12.0, 5.0, 7.0),
             "fractional": ("Fractional", 4, 3.333333333333333e19, 1.0e20, 1.5, 1.0e20),
             "spaced": ("Integral", 4, 4.5, 9.0, 4.0, 5.0)}
    for name, (kind, distinct, mean, total, low, high) in deequ.items():
        got_kind, stats = features[name]
        assert (got_kind, stats["approximate_num_distinct_values"], stats["mean"], stats["sum"], stats["min"],
                stats["max"]) == (kind, distinct, mean, total, low, high), name
        assert stats["common"]["num_present"] == 4


def test_integer_heavy_columns_estimate_as_deequ(tmp_path):
    # 100,000 distinct integers and their multiples of 1000: Deequ says 97,299 and 95,096 (within its 5 %
    # standard error; the old mixer said 79,436).
    path = tmp_path / "integers.csv"
    path.write_text("i,j\n" + "".join(f"{row},{row * 1000}\n" for row in range(100_000)))
    features = api.profile_dataset(path, "csv", header=True)["features"]
    assert [f["numerical_statistics"]["approximate_num_distinct_values"] for f in features] == [97299, 95096]
    assert [f["inferred_type"] for f in features] == ["Integral", "Integral"]


def test_late_text_in_a_number_column_makes_it_string(tmp_path):
    # Every value is typed, not a first sample: ".5" far down a float column is Deequ's String.
    path = tmp_path / "late.csv"
    path.write_text("x\n" + "1.25\n" * 300_000 + ".5\n")  # past the old 1 MB type sample
    feature = api.profile_dataset(path, "csv", header=True)["features"][0]
    assert feature["inferred_type"] == "String"


def test_overlapping_parts_merge_to_deequs_count_of_the_whole(tmp_path):
    # Parts profiled apart (as capture files are) and merged count the union: rows 0-59,999 and 40,000-99,999 of
    # the integer column above hold its 100,000 distinct values, which real Deequ counts as 97,299.
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text("i\n" + "".join(f"{row}\n" for row in range(60_000)))
    second.write_text("i\n" + "".join(f"{row}\n" for row in range(40_000, 100_000)))
    parts = [api.profile_columns(path, "csv", header=True) for path in (first, second)]
    [feature] = profile.statistics_document(profile.merge_profiles(parts))["features"]
    assert feature["numerical_statistics"]["approximate_num_distinct_values"] == 97299
