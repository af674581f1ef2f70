"""One monitoring execution, run as Model Monitor runs it: the execution's processing job request (see
:mod:`sagelocal.schedules.processing_job`) in a scratch folder that is the job's sandbox (``jobs.sandbox``: the
folder's ``ml/`` is /opt/ml there, as for every processing job; the user's record-preprocessor and post-analytics
scripts run in it), the window's capture staged under its ``dataset_source``, the analyzer container's contract
(``python -m sagelocal.monitor.analyzer``) run by the job runner (a process group of its own, recorded with the
job), and the reports copied to the job's output, ``{output}/{endpoint}/{schedule}/yyyy/mm/dd/hh/``.

Staging is the reader that tolerates crashes and full disks: each capture file is read with the monitor's
``read_capture_file``, only the window's whole records are handed to the analyzer, and the lines that are not
whole records are skipped and reported in the job's ExitMessage (the first few, by file and line). A ModelQuality
execution first merges the staged capture with its ground truth, as AWS's ground-truth merge job does (see
:mod:`sagelocal.monitor.groundtruth_merge`), in the same process: AWS's second processing job is not recorded.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sagelocal.jobs.container import JobFailed, JobStopped, base_environment, download, run_process
from sagelocal.jobs.processing import ANALYZER_OUTPUTS, CONTAINER_OUTPUT, CONTAINER_ROOT, local_path
from sagelocal.jobs.sandbox import CONTAINER_ML, JobSandbox
from sagelocal.jobs.store import JobTracker
from sagelocal.monitor import groundtruth_merge
from sagelocal.monitor.capture import capture_files, read_capture_file
from sagelocal.storage import LocalS3

GROUND_TRUTH_ROOT = "/opt/ml/processing/groundtruth"  # where AWS's ground-truth merge job reads the labels

NO_DATA = "Job inputs had no data"
_STATUS_BY_EXIT = {0: "Completed", 3: "CompletedWithViolations"}
# The container each analysis_type runs (Model Monitor's analyzer for data and model quality), and the types that
# analyse the capture merged with its ground truth.
_ANALYZERS = {"MODEL_BIAS": "sagelocal.clarify.monitor_analyzer",
              "MODEL_EXPLAINABILITY": "sagelocal.clarify.monitor_analyzer"}
_MERGED = ("MODEL_QUALITY", "MODEL_BIAS")


@dataclass
class Outcome:
    status: str
    failure_reason: str | None = None
    report_uri: str | None = None
    metrics: list = field(default_factory=list)
    violations: dict = field(default_factory=dict)  # constraint_check_type -> count
    exit_message: str | None = None  # the analyzer's message when it completed


def run_execution(s3: LocalS3, capture_uri: str, request: dict, endpoint: str, start: datetime,
                  end: datetime, tracker: JobTracker, isolation: str, log_folder: Path | None = None) -> Outcome:
    """Run the execution's processing job ``request`` over the capture records with start <= time < end.

    ``tracker`` is the job's record: it holds the scratch folder and the analyzer's process group, so a crash
    leaves neither behind, and it says when StopProcessingJob asks the job to stop. ``isolation`` is the jobs'
    (``Settings.job_isolation``). The analyzer's stdout and stderr are kept in ``log_folder`` (the job's
    CloudWatch log stream), and container paths, never the scratch folder, appear in what the execution reports.
    """
    with tracker.scratch() as scratch:
        sandbox = JobSandbox(isolation, Path(scratch), writable=(CONTAINER_ROOT, CONTAINER_OUTPUT))
        root, container_output = sandbox.host(CONTAINER_ROOT), sandbox.host(CONTAINER_OUTPUT)
        environment = request["Environment"]
        dataset = local_path(root, environment["dataset_source"])
        skipped: list[str] = []
        if stage_capture(s3.path(capture_uri.rstrip("/")) / endpoint, dataset / endpoint, start, end, skipped) == 0:
            return Outcome("Failed", _reporting(NO_DATA, skipped))
        for item in request["ProcessingInputs"]:
            target = local_path(root, item["S3Input"]["LocalPath"])
            if not target.is_relative_to(dataset) and not download(s3, item["S3Input"]["S3Uri"], target):
                return Outcome("Failed", f"ClientError: input {item['InputName']!r}: {item['S3Input']['S3Uri']} "
                                         "does not exist")
        if environment.get("analysis_type") in _MERGED:
            captured = sum(1 for path in dataset.rglob("*.jsonl") for _ in path.open())
            if merge_ground_truth(dataset, local_path(root, GROUND_TRUTH_ROOT)) == 0:
                return Outcome("Failed", _reporting(f"{NO_DATA}: none of the {captured} captured inferences of the "
                                                    "window has a ground-truth record (merged on inferenceId, else "
                                                    "eventId)", skipped))
        output = request["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]
        output_folder = local_path(root, output["LocalPath"])
        output_folder.mkdir(parents=True, exist_ok=True)
        variables = {k: sandbox.seen(v) for k, v in (environment | ANALYZER_OUTPUTS).items()}
        limit = request["StoppingCondition"]["MaxRuntimeInSeconds"]
        try:
            module = _ANALYZERS.get(environment.get("analysis_type"), "sagelocal.monitor.analyzer")
            done = sandbox.outcome(run_process(sandbox.command([sys.executable, "-m", module]),
                                               base_environment(sandbox.home, variables), Path(scratch), limit,
                                               tracker))
        except JobStopped:
            return Outcome("Stopped", "Stopped: StopProcessingJob was called on the execution's job")
        except JobFailed as failure:
            return Outcome("Failed", failure.reason)
        if (unmade := sandbox.setup_failure(done)) is not None:
            return Outcome("Failed", unmade.reason)

        def in_container(text: str) -> str:  # without isolation the analyzer saw the folder's paths
            return text.replace(str(sandbox.host(CONTAINER_ML)), CONTAINER_ML)

        if log_folder is not None:
            log_folder.mkdir(parents=True, exist_ok=True)
            for log in ("stdout.log", "stderr.log"):
                (log_folder / log).write_text(in_container((Path(scratch) / log).read_text(errors="replace")))
        message = in_container(_read(container_output / "message") or done.stderr_tail[-500:])
        status = _STATUS_BY_EXIT.get(done.returncode)
        if status is None:
            return Outcome("Failed", message or f"Analyzer exited with status {done.returncode}")
        s3.copy_in(output_folder, output["S3Uri"])
        return Outcome(status, None, output["S3Uri"], _metrics(container_output / "metrics"),
                       _violations(output_folder), _reporting(message, skipped) or None)


def capture_folders(s3: LocalS3, capture_uri: str, endpoint: str, start: datetime,
                    end: datetime) -> list[tuple[str, str]]:
    """(S3 URI, key below the endpoint's prefix) of each variant's capture folder for the hours of the window."""
    source = s3.path(capture_uri.rstrip("/")) / endpoint
    return [(s3.uri(folder), folder.relative_to(source).as_posix()) for folder in _hour_folders(source, start, end)]


def stage_capture(source: Path, target: Path, start: datetime, end: datetime, skipped: list) -> int:
    """Copy the capture records with start <= inferenceTime < end, keeping the key layout; count them. Lines that
    are not whole records are left out and added to ``skipped``."""
    count = 0
    for folder in _hour_folders(source, start, end):
        for path in capture_files(folder):
            records = read_capture_file(path, start, end, skipped=skipped)
            if records:
                destination = target / path.relative_to(source)
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_text("".join(json.dumps(r.raw, separators=(",", ":")) + "\n" for r in records))
                count += len(records)
    return count


def merge_ground_truth(dataset: Path, ground_truth: Path) -> int:
    """Replace each staged capture file with its merged records (the ground-truth merger's output, kept in the
    capture's layout); count them. Ground truth is read hour by hour, so a later label replaces an earlier one."""
    files = sorted(p for p in ground_truth.rglob("*") if p.is_file()) if ground_truth.is_dir() else []
    labels = groundtruth_merge.read_ground_truth(files)
    count = 0
    for path in sorted(dataset.rglob("*.jsonl")):
        records = groundtruth_merge.merged([json.loads(line) for line in path.open() if line.strip()], labels)
        path.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records))
        count += len(records)
    return count


def ground_truth_folders(s3: LocalS3, uri: str, start: datetime, end: datetime) -> list[tuple[str, str]]:
    """(S3 URI, ``yyyy/mm/dd/hh``) of the ground-truth hour folders that exist for the hours [start, end] touches."""
    prefix, found = s3.path(uri.rstrip("/")), []
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour <= end:
        if (prefix / f"{hour:%Y/%m/%d/%H}").is_dir():
            found.append((f"{uri.rstrip('/')}/{hour:%Y/%m/%d/%H}", f"{hour:%Y/%m/%d/%H}"))
        hour += timedelta(hours=1)
    return found


def _reporting(message: str, skipped: list[str], shown: int = 3) -> str:
    """``message`` with the capture lines staging skipped, if any (the count and the first ``shown``)."""
    if not skipped:
        return message
    listed = "; ".join(skipped[:shown]) + ("; ..." if len(skipped) > shown else "")
    note = f"Skipped {len(skipped)} capture line(s) that are not whole records: {listed}"
    return f"{message} ({note})" if message else note


def _hour_folders(source: Path, start: datetime, end: datetime) -> list[Path]:
    """The capture folders ``source/<variant>/yyyy/mm/dd/hh`` that exist for the hours [start, end) touches."""
    folders = []
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        variants = sorted(p for p in source.glob("*") if p.is_dir()) if source.is_dir() else []
        folders += [v / f"{hour:%Y/%m/%d/%H}" for v in variants if (v / f"{hour:%Y/%m/%d/%H}").is_dir()]
        hour += timedelta(hours=1)
    return folders


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
