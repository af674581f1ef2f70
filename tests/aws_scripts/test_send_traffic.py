"""send_traffic.py: one InvokeEndpoint per production row, InferenceId = row id, under botocore's Stubber."""
import io

import pytest
from botocore.response import StreamingBody

import send_traffic

DATA = (b"row_id,split,f1,f2,label,label_source\n"
        b"bc-0001,production,0.1,0.2,,\n"
        b"bc-0002,gold,9.9,9.9,1,scikit-learn\n"
        b"bc-0003,production,0.3,0.4,,\n"
        b"bc-0004,train,8.8,8.8,0,scikit-learn\n")


def body(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


def expect(stubbed_clients, inference_id: str, row: bytes, answer: bytes, endpoint="breast-cancer-xgboost"):
    stubbed_clients["sagemaker-runtime"].add_response(
        "invoke_endpoint", {"Body": body(answer), "ContentType": "text/csv"},
        {"EndpointName": endpoint, "ContentType": "text/csv", "Accept": "text/csv", "InferenceId": inference_id,
         "Body": row})


def test_only_production_rows_are_sent_each_with_its_row_id(stubbed_clients, capsys):
    stubbed_clients.client("s3")
    stubbed_clients.client("sagemaker-runtime")
    stubbed_clients["s3"].add_response("get_object", {"Body": body(DATA)}, {"Bucket": "b", "Key": "input/data.csv"})
    expect(stubbed_clients, "bc-0001", b"0.1,0.2", b"0.93")
    expect(stubbed_clients, "bc-0003", b"0.3,0.4", b"0.02")
    assert send_traffic.main(["s3://b/input/data.csv"]) == 0
    out = capsys.readouterr().out
    assert "sent 2 production rows to breast-cancer-xgboost, InferenceId = row id: 1 predicted malignant" in out
    assert "2 rows of other splits not sent" in out


def test_a_drifted_copy_scales_the_named_features(tmp_path, stubbed_clients, capsys):
    stubbed_clients.client("sagemaker-runtime")
    path = tmp_path / "data.csv"
    path.write_bytes(DATA)
    expect(stubbed_clients, "bc-0001-shifted", b"0.1,0.30000000000000004", b"0.5", endpoint="e")
    assert send_traffic.main([str(path), "--endpoint-name", "e", "--max-rows", "1", "--scale", "f2=1.5"]) == 0
    assert "sent 1 production rows (f2 x1.5) to e" in capsys.readouterr().out


def test_a_file_without_row_ids_or_an_unknown_feature_is_refused(tmp_path, stubbed_clients):
    stubbed_clients.client("sagemaker-runtime")
    path = tmp_path / "data.csv"
    path.write_text("1,5\n0,6\n")
    with pytest.raises(SystemExit, match="needs a header with a row_id column"):
        send_traffic.main([str(path)])
    path.write_bytes(DATA)
    with pytest.raises(SystemExit, match="--scale names no feature of the CSV: f9"):
        send_traffic.main([str(path), "--scale", "f9=2"])
