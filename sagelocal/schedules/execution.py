"""One monitoring execution, run as Model Monitor runs it: stage the window's capture, run the analyzer
container's contract (``python -m sagelocal.monitor.analyzer`` with its environment) in a subprocess, and
put the reports at ``{output}/{endpoint}/{schedule}/yyyy/mm/dd/hh/``.

Staging is the reader that tolerates crashes: each capture file is read with ``read_capture_file`` (a torn
last line is skipped with a warning) and only the window's complete records are handed to the analyzer.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sagelocal.hosting.capture import capture_files, read_capture_file
from sagelocal.storage import LocalS3

NO_DATA = "Job inputs had no data"
_STATUS_BY_EXIT = {0: "Completed", 3: "CompletedWithViolations"}


@dataclass
class Outcome:
    status: str
    failure_reason: str | None = None
    report_uri: str | None = None
    metrics: list = field(default_factory=list)
    violations: dict = field(default_factory=dict)  # constraint_check_type -> count


def run_execution(s3: LocalS3, capture_uri: str, definition: dict, endpoint: str, schedule: str,
                  start: datetime, end: datetime, report_hour: datetime) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="sagelocal-monitoring-") as scratch:
        job = Path(scratch)
        records = stage_capture(s3.path(capture_uri.rstrip("/")) / endpoint, job / "input" / endpoint, start, end)
        if records == 0:
            return Outcome("Failed", NO_DATA)
        output = job / "output"
        output.mkdir()
        env = _environment(s3, definition, job, endpoint, schedule, start, end)
        limit = (definition.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds", 3600)
        try:
            done = subprocess.run([sys.executable, "-m", "sagelocal.monitor.analyzer"], env=env,
                                  capture_output=True, text=True, timeout=limit)
        except subprocess.TimeoutExpired:
            return Outcome("Failed", f"Job exceeded its MaxRuntimeInSeconds of {limit}")
        message = _read(job / "message") or done.stderr.strip()[-500:]
        status = _STATUS_BY_EXIT.get(done.returncode)
        if status is None:
            return Outcome("Failed", message or f"Analyzer exited with status {done.returncode}")
        base = _output_uri(definition).rstrip("/")
        report_uri = f"{base}/{endpoint}/{schedule}/{report_hour:%Y/%m/%d/%H}"
        s3.copy_in(output, report_uri)
        return Outcome(status, None, report_uri, _metrics(job / "metrics"), _violations(output))


def stage_capture(source: Path, target: Path, start: datetime, end: datetime) -> int:
    """Copy the capture records with start <= inferenceTime < end, keeping the key layout; count them."""
    count = 0
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        for variant in sorted(p for p in source.glob("*") if p.is_dir()):
            folder = variant / f"{hour:%Y/%m/%d/%H}"
            for path in capture_files(folder) if folder.is_dir() else []:
                lines = [json.dumps(r, separators=(",", ":")) for r in read_capture_file(path)
                         if start <= _time(r) < end]
                if lines:
                    destination = target / path.relative_to(source)
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    destination.write_text("\n".join(lines) + "\n")
                    count += len(lines)
        hour += timedelta(hours=1)
    return count


def _time(record: dict) -> datetime:
    return datetime.strptime(record["eventMetadata"]["inferenceTime"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=timezone.utc)


def _environment(s3: LocalS3, definition: dict, job: Path, endpoint: str, schedule: str, start: datetime,
                 end: datetime) -> dict:
    env = dict(os.environ)
    env.update(definition.get("Environment") or {})
    baseline = definition.get("BaselineConfig") or {}
    for key, resource in (("baseline_constraints", "ConstraintsResource"),
                          ("baseline_statistics", "StatisticsResource")):
        uri = (baseline.get(resource) or {}).get("S3Uri")
        if uri:
            local = job / "baseline" / Path(uri).name
            local.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(s3.path(uri), local)
            env[key] = str(local)
    env.update({
        "dataset_format": json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput",
                                                                                      "endpointOutput"]}}),
        "dataset_source": str(job / "input"),
        "output_path": str(job / "output"),
        "start_time": f"{start:%Y-%m-%dT%H:%M:%SZ}",
        "end_time": f"{end:%Y-%m-%dT%H:%M:%SZ}",
        "publish_cloudwatch_metrics": env.get("publish_cloudwatch_metrics", "Enabled"),
        "sagemaker_endpoint_name": endpoint,
        "sagemaker_monitoring_schedule_name": schedule,
        "output_message_file": str(job / "message"),
        "cloudwatch_metrics_directory": str(job / "metrics"),
    })
    return env


def _output_uri(definition: dict) -> str:
    return definition["MonitoringOutputConfig"]["MonitoringOutputs"][0]["S3Output"]["S3Uri"]


def _read(path: Path) -> str:
    return path.read_text().strip() if path.is_file() else ""


def _metrics(folder: Path) -> list[dict]:
    """CloudWatch metric records the analyzer wrote (JSON lines or JSON arrays, one or more files)."""
    records = []
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if not path.is_file():
            continue
        text = path.read_text().strip()
        try:
            parsed = json.loads(text)
            records.extend(parsed if isinstance(parsed, list) else [parsed])
        except ValueError:
            records.extend(json.loads(line) for line in text.splitlines() if line.strip())
    return [r for r in records if isinstance(r, dict) and "MetricName" in r]


def _violations(output: Path) -> dict:
    path = output / "constraint_violations.json"
    if not path.is_file():
        return {}
    counts: dict[str, int] = {}
    for violation in json.loads(path.read_text()).get("violations", []):
        kind = violation.get("constraint_check_type", "unknown")
        counts[kind] = counts.get(kind, 0) + 1
    return counts
