"""Bad input: one clear error naming file and row (exit 2 from the CLI), or a violation; never a traceback."""
import json
import subprocess
import sys

import pytest

from sagelocal.cli import main
from sagelocal.errors import UserError
from sagelocal.monitor import api

ROOT_ARGS = [sys.executable, "-m", "sagelocal", "monitor"]


@pytest.mark.parametrize("content,message", [
    (b"a,b\n1,2\n3\n4,5\n", "row 3: expected 2 fields, got 1"),
    (b"a,b\n1,x\n2,\xff\xfe\n", "row 3: not UTF-8 text"),
    (b"", "empty file"),
    (b"\xff,b\n1,2\n", "row 1: not UTF-8 text"),
    (b"a,a\n1,2\n", "row 1: header has empty or repeated column names: ['a', 'a']"),
])
def test_unreadable_csv_is_one_line_naming_file_and_row(tmp_path, capsys, content, message):
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    status = main(["monitor", "baseline", "--dataset", str(path), "--header", "--output", str(tmp_path / "out")])
    error = capsys.readouterr().err
    assert status == 2
    assert error == f"sagelocal: error: {path}: {message}\n"
    assert not (tmp_path / "out" / "statistics.json").exists()  # nothing presented as a report


def test_cli_error_is_not_a_traceback(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b\n1,2\n3\n")
    done = subprocess.run(ROOT_ARGS + ["baseline", "--dataset", str(path), "--header", "--output",
                                       str(tmp_path / "o")], capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr and done.stderr.count("\n") == 1


def test_nan_and_infinity_are_text_values_as_in_deequ(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b,c\n1,NaN,0.5\n2,inf,1.5\n3,4.5,-Infinity\n")
    stats = api.profile_dataset(path, "csv", header=True)
    assert [f["inferred_type"] for f in stats["features"]] == ["Integral", "String", "String"]


def test_nan_in_monitored_numeric_column_is_a_data_type_violation(tmp_path):
    (tmp_path / "base.csv").write_text("a\n1.5\n2.5\n")
    api.run_baseline(tmp_path / "base.csv", tmp_path / "b", header=True)
    (tmp_path / "cur.csv").write_text("a\n1.5\nNaN\n")
    result = api.run_monitoring(tmp_path / "cur.csv", "csv", tmp_path / "b" / "statistics.json",
                                tmp_path / "b" / "constraints.json", tmp_path / "o", header=True)
    assert [v["constraint_check_type"] for v in result.violations if v["feature_name"] == "a"] == [
        "data_type_check"]
    assert "Only 50.0% of data is Fractional" in result.violations[0]["description"]


def test_mixed_types_follow_deequs_column_rule(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("ints,mixed,bools,words,spaced\n1,1,true,x,- 5\n2,2.5,false,3,+ 6\n3,x,true,4,7\n")
    stats = api.profile_dataset(path, "csv", header=True)
    assert [f["inferred_type"] for f in stats["features"]] == ["Integral", "String", "Boolean", "String",
                                                                "Integral"]
    # Deequ's regex types "- 5" and "+ 6" as Integral, but Spark's long cast makes them null (real Deequ 2.0.7
    # on Spark 3.5 leaves them out of every numeric statistic).
    spaced = stats["features"][4]["numerical_statistics"]
    assert (spaced["min"], spaced["max"], spaced["sum"], spaced["common"]["num_present"]) == (7.0, 7.0, 7.0, 3)


def test_a_late_non_numeric_value_switches_the_column_to_text(tmp_path):
    # The first block says float64; the conversion error on a later row sends the column to the regex path.
    path = tmp_path / "data.csv"
    rows = [f"{i}.5" for i in range(200_000)] + ["oops"]
    path.write_text("a\n" + "\n".join(rows) + "\n")
    (feature,) = api.profile_dataset(path, "csv", header=True)["features"]
    assert feature["inferred_type"] == "String" and feature["string_statistics"]["common"]["num_present"] == 200_001


def test_unknown_and_missing_columns_are_violations(tmp_path):
    (tmp_path / "base.csv").write_text("a,b\n1,2\n")
    api.run_baseline(tmp_path / "base.csv", tmp_path / "b", header=True)
    (tmp_path / "cur.csv").write_text("a,zzz\n1,2\n")
    result = api.run_monitoring(tmp_path / "cur.csv", "csv", tmp_path / "b" / "statistics.json",
                                tmp_path / "b" / "constraints.json", tmp_path / "o", header=True)
    assert {(v["feature_name"], v["constraint_check_type"]) for v in result.violations} == {
        ("b", "missing_column_check"), ("zzz", "extra_column_check")}


def test_corrupt_constraints_fail_the_run_with_one_line(tmp_path, capsys):
    (tmp_path / "cur.csv").write_text("a\n1\n")
    (tmp_path / "stats.json").write_text(json.dumps({"features": []}))
    (tmp_path / "constraints.json").write_text('{"features": [{"name": "a", "inferred_type": 5')
    status = main(["monitor", "run", "--dataset", str(tmp_path / "cur.csv"), "--format", "csv", "--header",
                   "--baseline-statistics", str(tmp_path / "stats.json"), "--baseline-constraints",
                   str(tmp_path / "constraints.json"), "--output", str(tmp_path / "o")])
    assert status == 2
    assert capsys.readouterr().err.startswith(f"sagelocal: error: {tmp_path / 'constraints.json'}: constraints is "
                                              "not valid JSON (line 1")
    assert not (tmp_path / "o").exists()


def test_bad_json_lines_name_the_row(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text('{"a": 1}\n{"a": 2\n')
    with pytest.raises(UserError) as caught:
        api.profile_dataset(path, "json")
    assert str(caught.value) == f"{path}: row 2: invalid JSON (Expecting ',' delimiter)"


def test_integral_constraint_gets_the_exact_per_value_split(tmp_path):
    # The sample says float64, but the constraint is Integral: the column is read as text so that
    # "1" counts as Integral and "2.5" does not (Deequ's per-value regexes), not 0 % as a float column would.
    (tmp_path / "base.csv").write_text("a\n1\n2\n")
    api.run_baseline(tmp_path / "base.csv", tmp_path / "b", header=True)
    (tmp_path / "cur.csv").write_text("a\n1\n2.5\n3\n4.0\n")
    result = api.run_monitoring(tmp_path / "cur.csv", "csv", tmp_path / "b" / "statistics.json",
                                tmp_path / "b" / "constraints.json", tmp_path / "o", header=True)
    assert "Only 50.0% of data is Integral." in result.violations[0]["description"]


def test_sample_with_deequ_string_forms_reads_the_column_as_text(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b,c\n.5,1 ,1\n1.5,2, 2\n")  # " 2" is Integral to Deequ (optional space), "1 " is not
    stats = api.profile_dataset(path, "csv", header=True)
    assert [f["inferred_type"] for f in stats["features"]] == ["String", "String", "Integral"]
