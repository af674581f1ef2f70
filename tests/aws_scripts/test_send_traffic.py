"""send_traffic.py: one InvokeEndpoint per test row (label dropped), the CSV read from S3 under Stubber."""
import io

from botocore.response import StreamingBody

import send_traffic


def body(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


def test_rows_from_s3_one_request_each(stubbed_clients, capsys):
    stubbed_clients.client("s3")
    stubbed_clients.client("sagemaker-runtime")
    csv = b"1,0.1,0.2\n0,0.3,0.4\n"
    stubbed_clients["s3"].add_response("get_object", {"Body": body(csv)}, {"Bucket": "b", "Key": "test/test.csv"})
    for row, answer in ((b"0.1,0.2", b"0.93"), (b"0.3,0.4", b"0.02")):
        stubbed_clients["sagemaker-runtime"].add_response(
            "invoke_endpoint", {"Body": body(answer), "ContentType": "text/csv"},
            {"EndpointName": "breast-cancer-xgboost", "ContentType": "text/csv", "Accept": "text/csv", "Body": row})
    assert send_traffic.main(["s3://b/test/test.csv"]) == 0
    assert "sent 2 rows to breast-cancer-xgboost: 1 predicted positive" in capsys.readouterr().out


def test_local_file_and_max_rows(tmp_path, stubbed_clients):
    stubbed_clients.client("sagemaker-runtime")
    path = tmp_path / "test.csv"
    path.write_text("1,5\n0,6\n1,7\n")
    stubbed_clients["sagemaker-runtime"].add_response(
        "invoke_endpoint", {"Body": body(b"0.5")},
        {"EndpointName": "e", "ContentType": "text/csv", "Accept": "text/csv", "Body": b"5"})
    assert send_traffic.main([str(path), "--endpoint-name", "e", "--max-rows", "1"]) == 0
