"""Capture on a full or a read-only disk, with a real server whose home is a small tmpfs or a read-only bind
mount (in a mount namespace of its own): every prediction is answered, every capture file holds whole lines
only, the records the disk did not take are counted on /metrics, and monitoring over the hour still runs."""
import errno
import json
import os
import re
import subprocess
import sys

import httpx
import pytest
from botocore.exceptions import ClientError
from durability.namespaced import NamespacedServer, namespaces_work

from hosting.deploy import CAPTURE_URI, csv_row, deploy, feature_rows
from schedules.monitoring import schedule_config

from sagelocal.credentials import load_or_create
from sagelocal.monitor.capture import capture_files

pytestmark = pytest.mark.skipif(not namespaces_work(), reason="needs root and mount namespaces")


def invoke(runtime, row, inference_id: str) -> int:
    try:
        return runtime.invoke_endpoint(EndpointName="bc-endpoint", ContentType="text/csv", Body=csv_row(row),
                                       InferenceId=inference_id)["ResponseMetadata"]["HTTPStatusCode"]
    except ClientError as error:
        return error.response["ResponseMetadata"]["HTTPStatusCode"]


def fill(path) -> None:
    """Write ``path`` until the disk is full (ENOSPC)."""
    block = b"\0" * (1 << 16)
    with open(path, "wb", buffering=0) as handle:
        while True:
            try:
                handle.write(block)
            except OSError as error:
                assert error.errno == errno.ENOSPC, error
                return


def captured_ids(server) -> list[str]:
    """The inference ids in the capture files, every line read strictly: whole JSON records, newline-ended."""
    ids = []
    for path in capture_files(server.settings.s3_root / CAPTURE_URI[len("s3://"):] / "bc-endpoint"):
        data = path.read_bytes()
        assert data.endswith(b"\n"), f"{path} ends in a torn line"
        ids += [json.loads(line)["eventMetadata"]["inferenceId"] for line in data.splitlines()]
    return ids


def dropped(server) -> int:
    secret = load_or_create(server.settings).secret_access_key
    page = httpx.get(server.url + "/metrics", headers={"Authorization": f"Bearer {secret}"}).text
    match = re.search(r'^sagelocal_capture_records_dropped_total\{endpoint="bc-endpoint",variant="AllTraffic"\} '
                      r'(\d+)$', page, re.MULTILINE)
    assert match, page
    return int(match.group(1))


def test_a_brief_full_disk_answers_every_invoke_and_leaves_only_whole_capture_lines(tmp_path):
    home = tmp_path / "home"
    server = NamespacedServer(home, setup=f'mount -t tmpfs -o size=24m,mode=0700 tmpfs "{home}"').start()
    try:
        env = deploy(server)
        filler = server.settings.home / "filler"
        statuses = []
        for i, row in enumerate(feature_rows(400)):
            if i == 100:
                fill(filler)
            if i == 300:
                filler.unlink()
            statuses.append(invoke(env["runtime"], row, f"row-{i}"))
        assert statuses == [200] * 400
        ids = captured_ids(server)
        assert len(ids) == len(set(ids)) and 0 < len(ids) < 400, "the disk must really have been full a while"
        assert len(ids) + dropped(server) == 400
        assert "dropping capture records" in server.log_text() and "written again" in server.log_text()
        assert {f"row-{i}" for i in range(100)} | {f"row-{i}" for i in range(300, 400)} <= set(ids)

        env["sm"].create_monitoring_schedule(MonitoringScheduleName="hourly",
                                             MonitoringScheduleConfig=schedule_config("bc-endpoint"))
        run = subprocess.run(["nsenter", "-t", str(server.process.pid), "-m", "--", sys.executable, "-m", "sagelocal",
                              "monitor", "run-schedule", "hourly", "--now"],
                             env=dict(os.environ, SAGELOCAL_HOME=str(home)), capture_output=True, text=True,
                             timeout=300)
        assert run.returncode == 0 and " Completed " in run.stdout, run.stdout + run.stderr[-2000:]
        (execution,) = env["sm"].list_monitoring_executions()["MonitoringExecutionSummaries"]
        job = env["sm"].describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].rsplit("/", 1)[-1])
        assert "Skipped" not in job.get("ExitMessage", "")  # the torn writes were cut back: nothing to skip
    finally:
        server.stop()


def test_a_read_only_home_answers_every_invoke_and_captures_again_once_writable(tmp_path):
    home = tmp_path / "home"
    server = NamespacedServer(home).start()
    try:
        env = deploy(server)
        server.in_namespace("sh", "-c", f'mount --bind "{home}" "{home}" && mount -o remount,ro,bind "{home}"')
        with pytest.raises(OSError) as refused:
            (server.settings.home / "probe").write_bytes(b"x")
        assert refused.value.errno == errno.EROFS
        rows = feature_rows(55)
        assert [invoke(env["runtime"], row, f"ro-{i}") for i, row in enumerate(rows[:50])] == [200] * 50
        server.in_namespace("umount", str(home))
        assert [invoke(env["runtime"], row, f"rw-{i}") for i, row in enumerate(rows[50:])] == [200] * 5
        assert sorted(captured_ids(server)) == [f"rw-{i}" for i in range(5)]
        assert dropped(server) == 50
    finally:
        server.stop()


def test_a_server_started_on_a_read_only_home_serves_and_refuses_writes_by_name(tmp_path):
    """A home that is read-only from the start (a remounted disk, a full-disk emergency): start-up work that
    needs a write (releasing review holds, settling a crash) is skipped with a warning, reads are answered, and a
    write fails with an AWS-shaped error naming the file it could not write, not a traceback."""
    home = tmp_path / "home"
    first = NamespacedServer(home).start()
    try:
        deploy(first)
    finally:
        first.stop()
    server = NamespacedServer(home, setup=f'mount --bind "{home}" "{home}" && mount -o remount,ro,bind "{home}"')
    server.start()
    try:
        sm = server.client("sagemaker")
        assert sm.describe_endpoint(EndpointName="bc-endpoint")["EndpointStatus"] == "InService"
        with pytest.raises(ClientError) as refused:
            sm.create_model_package_group(ModelPackageGroupName="written-later")
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        assert "cannot be written" in refused.value.response["Error"]["Message"]
        assert "read-only or full" in refused.value.response["Error"]["Message"]
        assert "skipped" in server.log_text()
    finally:
        server.stop()
