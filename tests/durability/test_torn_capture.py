"""A capture file with a torn line glued to the next record and a torn last line (what a crash or a full disk
left before writes were cut back): every reader skips those lines, says which, and keeps every whole record."""
import json
import sys
from pathlib import Path

from hosting.deploy import CAPTURE_URI, csv_row, deploy, feature_rows
from review.conftest import PROJECT_TEMPLATE, make_flow
from schedules.monitoring import schedule_config

from sagelocal.monitor.capture import capture_files, read_capture_file
from sagelocal.storage import LocalS3

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "steps"))
import review_start  # noqa: E402


def torn(lines: list[str]) -> bytes:
    """Six whole lines become: 1, 2, half of 3 glued to 4, 5, and half of 6 with no newline."""
    one, two, three, four, five, six = lines
    return "\n".join([one, two, three[:len(three) // 2] + four, five, six[:40]]).encode()


def capture_line(event_id: str, probability: float) -> str:
    return json.dumps({"captureData": {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "1.5,2.5", "encoding": "CSV"},
        "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": str(probability),
                           "encoding": "CSV"}},
        "eventMetadata": {"eventId": event_id, "inferenceTime": "2026-11-25T08:00:00Z"}, "eventVersion": "0"})


def test_the_monitor_reader_skips_torn_lines_and_lists_them_by_file_and_line(tmp_path):
    lines = [capture_line(f"event-{i}", 0.5) for i in range(6)]
    path = tmp_path / "capture.jsonl"
    path.write_bytes(torn(lines))
    skipped = []
    records = read_capture_file(path, skipped=skipped)
    assert [r.raw["eventMetadata"]["eventId"] for r in records] == ["event-0", "event-1", "event-4"]
    assert [s.split(": invalid JSON")[0] for s in skipped] == [f"{path}: line 3", f"{path}: line 5"]


def test_a_monitoring_window_with_torn_lines_completes_and_reports_them(local_server):
    env = deploy(local_server)
    for i, row in enumerate(feature_rows(20)):
        env["runtime"].invoke_endpoint(EndpointName="bc-endpoint", ContentType="text/csv", Body=csv_row(row),
                                       InferenceId=f"row-{i}")
    (written,) = capture_files(LocalS3(local_server.settings.s3_root).path(CAPTURE_URI))
    damaged = written.with_name("59-59-999-torn.jsonl")
    damaged.write_bytes(torn(written.read_text().splitlines()[:6]))
    env["sm"].create_monitoring_schedule(MonitoringScheduleName="hourly",
                                         MonitoringScheduleConfig=schedule_config("bc-endpoint"))
    report = local_server.app.state.backends["schedules"].run_now("hourly")
    assert report["MonitoringExecutionStatus"] == "Completed", report.get("FailureReason")
    statistics = json.loads(LocalS3(local_server.settings.s3_root).read_bytes(f"{report['ReportUri']}/statistics.json"))
    assert statistics["dataset"]["item_count"] == 20 + 3
    job = env["sm"].describe_processing_job(ProcessingJobName=report["ProcessingJobArn"].rsplit("/", 1)[-1])
    assert f"Skipped 2 capture line(s) that are not whole records: {damaged}: line 3: invalid JSON" in (
        job["ExitMessage"])
    assert f"{damaged}: line 5: invalid JSON" in job["ExitMessage"]


def test_review_start_names_each_skipped_line_and_reviews_the_whole_records(local_server, monkeypatch, capsys):
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(local_server.settings.home / "credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    key = "datacapture/bc/AllTraffic/2026/11/25/08/00-00-000-torn.jsonl"
    LocalS3(local_server.settings.s3_root).write_bytes(
        f"s3://review-bucket/{key}", torn([capture_line(f"event-{i}", 0.5) for i in range(6)]))
    flow = make_flow(local_server.client("sagemaker"), "breast-cancer-review", PROJECT_TEMPLATE.read_text(),
                     "reviewers")
    assert review_start.main(["--capture-uri", "s3://review-bucket/datacapture", "--flow-definition-arn", flow,
                              "--endpoint-url", local_server.url, "--profile", "sagelocal",
                              "--region", "us-east-1"]) == 0
    out, err = capsys.readouterr()
    assert "3 captured predictions, 3 with 0.1 < p < 0.9; started 3 human loops" in out
    assert f"review: skipped s3://review-bucket/{key}: line 3: invalid JSON" in err
    assert f"review: skipped s3://review-bucket/{key}: line 5: invalid JSON" in err
    assert "review: skipped 2 capture line(s) that are not whole records" in err
