"""Capture files: every fixture line read whole, output columns first, AWS's errors, windows, preprocessing."""
import json
from datetime import datetime, timezone

import pytest

from sagelocal.errors import UserError
from sagelocal.monitor import api
from sagelocal.monitor.capture import read_capture_file
from sagelocal.monitor.reader import capture_table


def capture_files(fixtures_dir):
    return sorted((fixtures_dir / "data-capture").glob("*.jsonl")) + sorted(
        (fixtures_dir / "model-monitor-sdk").glob("capture*.jsonl"))


def test_every_fixture_line_reads_without_loss(fixtures_dir):
    for path in capture_files(fixtures_dir):
        lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        assert [record.raw for record in read_capture_file(path)] == lines, path


def test_output_columns_come_first(fixtures_dir):
    (first, *_) = read_capture_file(fixtures_dir / "data-capture" / "intro-notebook-capture.jsonl")
    (row,) = first.rows()
    assert row[0] == "0.036397725343704224"
    assert row[1:4] == ["132", "10", "182.9"] and len(row) == 1 + 69


def test_json_payloads_flatten_in_document_order(fixtures_dir):
    (first, _) = read_capture_file(fixtures_dir / "model-monitor-sdk" / "captured-data.jsonl")
    assert first.rows() == [["3.5", "4.0", "5.5", "1.0", "2.0", "5.0"]]


@pytest.mark.parametrize("name,encodings", [
    ("issue-2785-capture-csv-in-json-out.jsonl", "Encoding is CSV for endpointInput, but Encoding is JSON for "
                                                 "endpointOutput"),
    ("issue-2629-capture-base64-inferenceId.jsonl", "Encoding is JSON for endpointInput, but Encoding is BASE64 "
                                                    "for endpointOutput"),
])
def test_encoding_mismatch_is_aws_message(fixtures_dir, name, encodings):
    (record,) = read_capture_file(fixtures_dir / "data-capture" / name)
    with pytest.raises(UserError) as caught:
        record.rows()
    assert str(caught.value).endswith(f"line 1: Encoding mismatch: {encodings}. We currently only support the "
                                      "same type of input and output encoding at the moment.")


def test_window_and_no_data(fixtures_dir):
    path = fixtures_dir / "data-capture" / "intro-notebook-capture.jsonl"
    start = datetime(2022, 4, 18, 0, 21, 49, tzinfo=timezone.utc)
    inside = read_capture_file(path, start=start)
    assert 0 < len(inside) < 3
    with pytest.raises(UserError, match="^Job inputs had no data$"):
        capture_table([path], [], start=datetime(2030, 1, 1, tzinfo=timezone.utc))


def test_capture_columns_take_baseline_names_by_position(fixtures_dir, tmp_path):
    # As in the churn notebook: a baseline whose first column is the Integral label; capture puts the
    # predicted probability there, so the label's data_type_check fails with "Only 0.0% ... Integral".
    path = fixtures_dir / "data-capture" / "intro-notebook-capture.jsonl"
    names = ["Churn"] + [f"f{i}" for i in range(69)]
    (tmp_path / "baseline.csv").write_text(",".join(names) + "\n" + "\n".join(
        ",".join(["1"] + ["0"] * 69) for _ in range(5)) + "\n")
    baseline = api.run_baseline(tmp_path / "baseline.csv", tmp_path / "base", header=True)
    result = api.run_monitoring(path, "capture", tmp_path / "base" / "statistics.json",
                                tmp_path / "base" / "constraints.json", tmp_path / "out")
    assert result.statistics["features"][0]["name"] == "Churn"
    assert {"feature_name": "Churn", "constraint_check_type": "data_type_check", "description": (
        "Data type match requirement is not met. Expected data type: Integral, Expected match: 100.0%. "
        "Observed: Only 0.0% of data is Integral.")} in result.violations
    assert baseline.status == "Completed"


def test_preprocessor_rows_and_dropped_records(fixtures_dir, tmp_path):
    script = tmp_path / "pre.py"
    script.write_text(
        "import json\n"
        "def preprocess_handler(inference_record):\n"
        "    if inference_record.event_metadata.event_id.startswith('f9'):\n"
        "        return []\n"
        "    prediction = json.loads(inference_record.endpoint_output.data)['predictions'][0]\n"
        "    return {'0': prediction, '1': inference_record.endpoint_input.encoding}\n")
    from sagelocal.monitor.capture import load_handler

    table = capture_table([fixtures_dir / "model-monitor-sdk" / "captured-data.jsonl"], ["y", "enc"],
                          preprocessor=load_handler(script, "preprocess_handler"))
    assert table.to_pylist() == [{"y": "3.5", "enc": "JSON"}]
