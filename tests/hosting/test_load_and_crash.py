"""Load and faults: one capture record per acknowledged request, and none lost to a SIGKILL."""
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from hosting.deploy import CAPTURE_URI, csv_row, deploy, feature_rows
from hosting.process import ServerProcess

from sagelocal.credentials import load_or_create
from sagelocal.monitor.capture import capture_files, read_capture_file
from sagelocal.storage import LocalS3

# The benchmark's load generator (benchmarks/ is not a package that pytest puts on the path).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks import serving_client  # noqa: E402


def _requests(settings, port, endpoint, count, prefix):
    key = load_or_create(settings)
    rows = feature_rows(100)
    ids = [f"{prefix}-{i:06d}" for i in range(count)]
    bodies = [csv_row(rows[i % 100]).encode() for i in range(count)]
    raw = serving_client.presign(port, endpoint, bodies, ids, key.access_key_id, key.secret_access_key)
    return list(zip(ids, raw))


def _captured_ids(settings, endpoint):
    root = LocalS3(settings.s3_root).path(CAPTURE_URI) / endpoint
    return Counter(r.raw["eventMetadata"]["inferenceId"] for p in capture_files(root) for r in read_capture_file(p))


def test_concurrent_load_has_no_errors_and_one_record_per_request(local_server):
    deploy(local_server)
    port = int(local_server.url.rsplit(":", 1)[1])
    result = serving_client.run_load(port, _requests(local_server.settings, port, "bc-endpoint", 2000, "load"),
                                     concurrency=32, timeout=120)
    assert result.statuses == {200: 2000} and result.connection_errors == 0
    captured = _captured_ids(local_server.settings, "bc-endpoint")
    assert set(captured) == set(result.acknowledged) and set(captured.values()) == {1}


def test_sigkill_mid_load_loses_no_acknowledged_record(tmp_path):
    server = ServerProcess(tmp_path / "home").start()
    try:
        deploy(server)
        requests = _requests(server.settings, server.port, "bc-endpoint", 20_000, "crash")
        results = {}
        load = threading.Thread(target=lambda: results.setdefault(
            "load", serving_client.run_load(server.port, requests, concurrency=16, timeout=60)))
        load.start()
        time.sleep(1.5)
        server.kill()  # SIGKILL while requests are in flight
        load.join(timeout=90)
        acknowledged = results["load"].acknowledged
        assert 0 < len(acknowledged) < len(requests), "the kill must land in the middle of the load"

        server.start()  # same home, same port: state and capture files survive
        captured = _captured_ids(server.settings, "bc-endpoint")  # every file parses (a torn tail is skipped)
        assert set(acknowledged) <= set(captured)
        assert set(captured.values()) == {1}
        # In-flight requests may be captured without being acknowledged, never more than were in flight.
        assert len(captured) - len(acknowledged) <= 16
        sm, runtime = server.client("sagemaker"), server.client("sagemaker-runtime")
        assert sm.describe_endpoint(EndpointName="bc-endpoint")["EndpointStatus"] == "InService"
        answer = runtime.invoke_endpoint(EndpointName="bc-endpoint", ContentType="text/csv",
                                         Body=csv_row(feature_rows(1)[0]), InferenceId="after-restart")
        assert 0 <= float(answer["Body"].read()) <= 1
        assert _captured_ids(server.settings, "bc-endpoint")["after-restart"] == 1
    finally:
        server.stop()
