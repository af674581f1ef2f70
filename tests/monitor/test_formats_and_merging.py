"""JSON lines, Parquet, streamed CSV (bounded memory), and profiles merged file by file."""
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sagelocal.monitor import api, reader
from sagelocal.monitor.drift import numerical_linf
from sagelocal.monitor.profile import merge_profiles, statistics_document


def table(rows=5000, seed=0):
    rng = np.random.default_rng(seed)
    return pa.table({"x": rng.normal(size=rows).round(4), "n": rng.integers(0, 9, rows),
                     "s": rng.choice(["a", "b", "c"], rows)})


def summary(statistics, distinct=True):
    """Everything but the sketch items (which depend on how the data was cut), and the distinct counts if asked."""
    out = []
    for feature in statistics["features"]:
        stats = dict(feature.get("numerical_statistics") or feature["string_statistics"])
        stats.pop("distribution", None)
        if not distinct:
            stats.pop("approximate_num_distinct_values", None)
        out.append((feature["name"], feature["inferred_type"], stats))
    return out


def assert_close(got, expected):
    """Equal structure and strings; numbers equal to 1e-12 relative (sums depend on chunking)."""
    if isinstance(expected, dict):
        assert got.keys() == expected.keys()
        for key in expected:
            assert_close(got[key], expected[key])
    elif isinstance(expected, (list, tuple)):
        assert len(got) == len(expected)
        for left, right in zip(got, expected):
            assert_close(left, right)
    elif isinstance(expected, float):
        assert got == pytest.approx(expected, rel=1e-12)
    else:
        assert got == expected


def test_csv_json_and_parquet_profile_alike(tmp_path):
    data = table()
    data.to_pandas().to_csv(tmp_path / "d.csv", index=False)
    data.to_pandas().to_json(tmp_path / "d.jsonl", orient="records", lines=True)
    pq.write_table(data, tmp_path / "d.parquet", row_group_size=1000)
    from_csv = api.profile_dataset(tmp_path / "d.csv", "csv", header=True)
    assert [f["inferred_type"] for f in from_csv["features"]] == ["Fractional", "Integral", "String"]
    for other in (api.profile_dataset(tmp_path / "d.jsonl", "json"),
                  api.profile_dataset(tmp_path / "d.parquet", "parquet")):
        # Spark hashes a typed long or double, not its text, so only the distinct counts may differ.
        assert_close(summary(other, distinct=False), summary(from_csv, distinct=False))


def test_streamed_csv_equals_in_memory_read(tmp_path, monkeypatch):
    data = table(rows=60_000, seed=1)
    data.to_pandas().to_csv(tmp_path / "d.csv", index=False)
    whole = api.profile_dataset(tmp_path / "d.csv", "csv", header=True)
    monkeypatch.setattr(reader, "STREAM_THRESHOLD", 1000)
    monkeypatch.setattr(reader, "BLOCK_SIZE", 64 << 10)
    chunks = list(reader.read_chunks(tmp_path / "d.csv", "csv", header=True))
    assert len(chunks) > 10 and all(c.num_rows < 10_000 for c in chunks)
    streamed = api.profile_dataset(tmp_path / "d.csv", "csv", header=True)
    assert_close(summary(streamed), summary(whole))
    buckets = streamed["features"][0]["numerical_statistics"]["distribution"]["kll"]["buckets"]
    exact = whole["features"][0]["numerical_statistics"]["distribution"]["kll"]["buckets"]
    assert max(abs(a["count"] - b["count"]) for a, b in zip(buckets, exact)) <= 0.005 * 60_000


def test_capture_files_profiled_one_by_one_and_merged_equal_the_whole(tmp_path):
    rng = np.random.default_rng(3)
    values = rng.gamma(2.0, size=(6, 4000))
    folder = tmp_path / "capture" / "ep" / "AllTraffic" / "2024" / "05" / "01" / "03"
    folder.mkdir(parents=True)
    for index, part in enumerate(values):
        lines = [
            '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT",'
            f'"data":"{v:.5f},{index}","encoding":"CSV"}},"endpointOutput":{{"observedContentType":"text/csv",'
            f'"mode":"OUTPUT","data":"{v * 2:.5f}","encoding":"CSV"}}}},"eventMetadata":{{"eventId":"e{i}",'
            f'"inferenceTime":"2024-05-01T03:{index:02d}:00Z"}},"eventVersion":"0"}}'
            for i, v in enumerate(part)]
        (folder / f"{index:02d}-00-000-file.jsonl").write_text("\n".join(lines) + "\n")
    names = ["prediction", "x", "file"]
    whole = api.profile_columns(tmp_path / "capture", "capture", names=names)
    parts = [api.profile_columns(path, "capture", names=names) for path in sorted(folder.iterdir())]
    merged = merge_profiles(parts)
    assert_close(summary(statistics_document(merged)), summary(statistics_document(whole)))
    for name in ("prediction", "x"):
        assert merged[name].sketch.weight == 24_000
        assert numerical_linf(merged[name].sketch, whole[name].sketch)[0] < 0.005


def test_hashes_depend_on_the_string_only():
    from sagelocal.monitor import hll

    values = pa.array(["a", "b", "a", "ab", "ba", "a" * 70, "a" * 70, "", ""])
    whole, part = hll.empty(), hll.empty()
    hll.add_text(whole, values)
    hll.add_text(part, values.slice(2, 4))
    hll.add_text(part, pa.array(["b", "a" * 70, "", "a"]))
    assert whole.tolist() == part.tolist() and hll.estimate(whole) == 6


def test_many_distinct_texts_profile_as_when_counted(monkeypatch):
    """Past the probe's category limit every row is classified and hashed as itself, with the counted result."""
    from sagelocal.monitor import profile

    rows = [None if i % 9 == 0 else ("7" if i % 5 == 0 else f"v{i % 6000}") for i in range(20_000)]
    table = pa.table({"t": pa.array(rows, pa.string())})

    def profiled():
        found = profile.ColumnProfile("t", domain=frozenset({"v1", "v2", "7"}))
        profile.add_table({"t": found}, table)
        return found

    per_row = profiled()
    monkeypatch.setattr(profile, "_PROBE_ROWS", 0)  # an empty probe: always count distinct values
    counted = profiled()
    assert per_row.type_counts == counted.type_counts and per_row.type_counts["Integral"] > 0
    assert (per_row.missing, per_row.in_domain, per_row.categories) == (counted.missing, counted.in_domain, None)
    assert per_row.count == counted.count and per_row.total == counted.total
    assert per_row.registers.tolist() == counted.registers.tolist()


@pytest.mark.parametrize("stream", [False, True])
def test_late_text_and_infinity_restart_with_those_columns_as_text(tmp_path, monkeypatch, stream):
    if stream:
        monkeypatch.setattr(reader, "STREAM_THRESHOLD", 1000)
        monkeypatch.setattr(reader, "BLOCK_SIZE", 256 << 10)
    rows = [f"{i}.5,{i},{i}" for i in range(150_000)] + ["oops,inf,7"]
    path = tmp_path / "late.csv"
    path.write_text("a,b,c\n" + "\n".join(rows) + "\n")
    a, b, c = api.profile_dataset(path, "csv", header=True)["features"]
    assert (a["inferred_type"], b["inferred_type"], c["inferred_type"]) == ("String", "String", "Integral")
    assert a["string_statistics"]["common"]["num_present"] == 150_001
    assert c["numerical_statistics"]["sum"] == sum(range(150_000)) + 7
