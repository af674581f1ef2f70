"""A runtime SIGKILLed mid-monitoring: the restart ends the execution and its job, kills the analyzer and removes
its scratch folder, and the scheduled fire is not lost (it was not recorded as done, so it runs again)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hosting.deploy import csv_row, deploy, feature_rows
from hosting.process import ServerProcess
from schedules.monitoring import schedule_config

from sagelocal.jobs.processes import ProcessId
from sagelocal.jobs.store import JobStore

# The scheduler's own entry point, at a moment just after the next hourly fire.
RUN_DUE = """import sys
from datetime import datetime
from sagelocal.schedules.cli import _backend
_backend().run_due(now=datetime.fromisoformat(sys.argv[1]))
"""


def analyzer_of_the_running_job(store: JobStore, seconds: float = 60) -> tuple[ProcessId, Path]:
    """The monitoring job's analyzer process and scratch folder, once the job has recorded them."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for row in store.db.query("SELECT description FROM jobs"):
            description = json.loads(row["description"])
            if description.get("Process"):
                return ProcessId.parse(description["Process"]), Path(description["Scratch"])
        time.sleep(0.02)
    raise AssertionError("the monitoring job never started its analyzer")


def test_a_runtime_killed_mid_monitoring_is_settled_and_the_fire_runs_again(tmp_path):
    server = ServerProcess(tmp_path / "home").start()
    try:
        clients = deploy(server)
        for row in feature_rows(30):
            clients["runtime"].invoke_endpoint(EndpointName="bc-endpoint", ContentType="text/csv", Body=csv_row(row))
        clients["sm"].create_monitoring_schedule(MonitoringScheduleName="hourly",
                                                 MonitoringScheduleConfig=schedule_config("bc-endpoint"))
        fire = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        env = dict(os.environ, SAGELOCAL_HOME=str(server.settings.home))
        due = [sys.executable, "-c", RUN_DUE, (fire + timedelta(seconds=1)).isoformat()]
        runner = subprocess.Popen(due, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        analyzer, scratch = analyzer_of_the_running_job(JobStore(server.settings))
        os.kill(analyzer.pid, signal.SIGSTOP)  # hold the analyzer mid-run, then kill the runtime under it
        runner.kill()
        runner.wait()
        assert analyzer.alive() and scratch.is_dir()

        server.kill()
        server.start()
        sagemaker = server.client("sagemaker")
        (execution,) = sagemaker.list_monitoring_executions()["MonitoringExecutionSummaries"]
        assert execution["MonitoringExecutionStatus"] == "Failed"
        assert "ended before it finished" in execution["FailureReason"]
        job = sagemaker.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].rsplit("/", 1)[-1])
        assert job["ProcessingJobStatus"] == "Failed" and "ended before it finished" in job["FailureReason"]
        assert not analyzer.alive() and not scratch.exists()

        done = subprocess.run(due, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        executions = sagemaker.list_monitoring_executions(SortOrder="Ascending", SortBy="CreationTime")[
            "MonitoringExecutionSummaries"]
        assert [e["MonitoringExecutionStatus"] for e in executions] == ["Failed", "Completed"]
        assert executions[0]["ScheduledTime"] == executions[1]["ScheduledTime"] == fire
    finally:
        server.stop()
