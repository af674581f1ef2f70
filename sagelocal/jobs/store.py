"""The one table of job descriptions (``jobs.db``), whoever ran the job: CreateProcessingJob, a pipeline step or
a monitoring execution. Each row is the job's Describe*Job response, so DescribeProcessingJob answers for all
three kinds as AWS does.

A job is recorded InProgress when it starts and holds, beside its description, who runs it: the runtime
process that owns it (``Owner``), the job's own process (``Process``, the leader of its process group) and any
scratch folder outside the home. That is what :meth:`JobStore.settle_interrupted` reads after a crash: a job
whose owner is gone is ended as AWS would show it, its process group killed and its scratch removed.
StopProcessingJob only writes Stopping here: whichever process runs the job sees it and kills the job's group.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Callable

from sagelocal.clock import utc_now_iso
from sagelocal.config import Settings
from sagelocal.errors import ResourceNotFound, ValidationError
from sagelocal.jobs.container import JobFailed, JobStopped, check_job_name
from sagelocal.jobs.processes import ProcessId, interrupted
from sagelocal.storage.sqlite import Database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (kind, name)
);
"""
# Kept in the row for the runtime (the benchmark, the QualityCheck step, crash recovery), never shown by Describe.
_RUNTIME_FIELDS = ("ProcessSeconds", "ExitCode", "Owner", "Process", "Scratch")
_OWNERSHIP_FIELDS = ("Owner", "Process", "Scratch")
_TERMINAL = ("Completed", "Failed", "Stopped")
_RUNNING = ("InProgress", "Stopping")
SCRATCH_PREFIX = "sagelocal-job-"  # the only folders outside the home the runtime removes (see ``_remove_scratch``)


def _status(kind: str) -> str:
    return f"{kind}JobStatus"


class JobStore:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.db = Database(settings.db_path("jobs"), _SCHEMA)

    def put(self, kind: str, description: dict) -> None:
        """Record a job's description (``kind`` is Processing or Training), replacing an earlier one."""
        with self.db.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO jobs VALUES (?, ?, ?)",
                         (kind, description[f"{kind}JobName"], json.dumps(description, default=str)))

    def start_job(self, kind: str, name: str, request: dict, unique: bool = True, **fields) -> dict:
        """Record a new InProgress job owned by this process; a name already used is a ValidationException, as on
        AWS. With ``unique=False`` a job the caller already recorded is left as it is."""
        now = utc_now_iso()
        arn = self.settings.arn(f"{kind.lower()}-job", name.lower())
        description = {**request, **fields, f"{kind}JobName": name, f"{kind}JobArn": arn, _status(kind): "InProgress",
                       "CreationTime": now, f"{kind}StartTime": now, "LastModifiedTime": now,
                       "Owner": str(ProcessId.current())}
        with self.db.transaction() as conn:
            row = conn.execute("SELECT description FROM jobs WHERE kind = ? AND name = ?", (kind, name)).fetchone()
            if row is not None and unique:
                raise ValidationError("Job name must be unique within an AWS account and region, and a job with "
                                      f"this name already exists ({arn})")
            if row is not None:
                return json.loads(row["description"])
            conn.execute("INSERT INTO jobs VALUES (?, ?, ?)", (kind, name, json.dumps(description)))
        return description

    def update_job(self, kind: str, name: str, fields: dict) -> dict:
        """Merge ``fields`` into a job's description; a terminal status also sets its end time."""
        with self.db.transaction() as conn:
            return self._update(conn, kind, name, fields)

    def run(self, kind: str, name: str, request: dict, work: Callable[["JobTracker"], dict]) -> dict:
        """Run one job with its record kept from start to end, whoever runs it.

        The job is recorded InProgress (unless its creator already did), ``work(tracker)`` runs it and returns its
        description, or raises JobFailed with it; the end is recorded either way (Stopped when a stop killed it,
        Failed with the reason when it failed or the runtime broke). Returns the recorded description.
        """
        check_job_name(name)
        self.start_job(kind, name, request, unique=False)
        kept = ("CreationTime", f"{kind}StartTime")  # when the job was recorded, not when its process began
        try:
            description = work(JobTracker(self, kind, name))
        except JobStopped:
            self.update_job(kind, name, {_status(kind): "Stopped"})
            raise
        except JobFailed as failure:
            ending = {k: v for k, v in failure.description.items() if k not in kept}
            self.update_job(kind, name, ending | {_status(kind): "Failed", "FailureReason": failure.reason})
            raise
        except BaseException as error:  # a bug, a bad path or an interrupt must still end the job, with the reason
            self.update_job(kind, name, {_status(kind): "Failed", "FailureReason":
                                         f"InternalServerError: {type(error).__name__}: {error}"})
            raise
        ended = self.update_job(kind, name, {k: v for k, v in description.items() if k not in kept})
        return {k: v for k, v in ended.items() if k not in _OWNERSHIP_FIELDS}

    def tracker(self, kind: str, name: str) -> "JobTracker":
        """The running job's side of its record, for a runner that records its start and end itself."""
        return JobTracker(self, kind, name)

    def request_stop(self, kind: str, name: str) -> None:
        """StopProcessingJob: an InProgress job becomes Stopping; the process running it kills it and ends it
        Stopped. A job whose runner is gone is settled at once."""
        with self.db.transaction() as conn:
            description = self._row(conn, kind, name)
            status = description[_status(kind)]
            if status not in _RUNNING:
                raise ValidationError(f"The {kind.lower()} job {name} is {status}: only an InProgress job can be "
                                      "stopped.")
            self._update(conn, kind, name, {_status(kind): "Stopping"})
        self.settle_interrupted()

    def stop_requested(self, kind: str, name: str) -> bool:
        row = self.db.query_one("SELECT json_extract(description, ?) AS status FROM jobs WHERE kind = ? AND name = ?",
                                (f"$.{_status(kind)}", kind, name))
        return row is not None and row["status"] == "Stopping"

    def settle_interrupted(self) -> list[str]:
        """End every running job whose owning process is gone: kill what is left of its process group, remove its
        scratch folder, and record it Stopped (when a stop was asked) or Failed with the reason. Jobs that a live
        process still runs are left alone. Returns the names of the jobs it ended."""
        settled = []
        for row in self.db.query("SELECT kind, name, description FROM jobs WHERE json_extract(description, "
                                 "'$.' || kind || 'JobStatus') IN ('InProgress', 'Stopping')"):
            description = json.loads(row["description"])
            reason = interrupted(description.get("Owner"), "job")
            if reason is None:
                continue
            process = ProcessId.parse(description.get("Process"))
            if process is not None:
                process.kill_group()
            _remove_scratch(description.get("Scratch"))
            kind = row["kind"]
            ending = ({_status(kind): "Stopped"} if description[_status(kind)] == "Stopping" else
                      {_status(kind): "Failed", "FailureReason": reason})
            self.update_job(kind, row["name"], ending)
            settled.append(row["name"])
        return settled

    def describe(self, kind: str, name: str) -> dict:
        """The job's Describe*Job response; an unknown name is a ValidationException, as on AWS."""
        row = self.db.query_one("SELECT description FROM jobs WHERE kind = ? AND name = ?", (kind, name))
        if row is None:
            raise ResourceNotFound(f"Could not find requested job with name {name}", code="ValidationException")
        return _response(row["description"])

    def all(self, kind: str) -> list[dict]:
        """Every job of a kind, as Describe*Job responses (in no particular order)."""
        return [_response(r["description"]) for r in
                self.db.query("SELECT description FROM jobs WHERE kind = ?", (kind,))]

    def _row(self, conn, kind: str, name: str) -> dict:
        row = conn.execute("SELECT description FROM jobs WHERE kind = ? AND name = ?", (kind, name)).fetchone()
        if row is None:
            raise ResourceNotFound(f"Could not find requested job with name {name}", code="ValidationException")
        return json.loads(row["description"])

    def _update(self, conn, kind: str, name: str, fields: dict) -> dict:
        now = utc_now_iso()
        description = self._row(conn, kind, name) | fields | {"LastModifiedTime": now}
        if description[_status(kind)] in _TERMINAL:
            description[f"{kind}EndTime"] = now
        conn.execute("UPDATE jobs SET description = ? WHERE kind = ? AND name = ?",
                     (json.dumps(description, default=str), kind, name))
        return description


class JobTracker:
    """One running job's side of the store: where its process and scratch are, and whether a stop was asked."""

    def __init__(self, store: JobStore, kind: str, name: str):
        self.store, self.kind, self.name = store, kind, name

    def process_started(self, pid: int) -> None:
        identity = ProcessId.of(pid)
        if identity is not None:
            self.store.update_job(self.kind, self.name, {"Process": str(identity)})

    def scratch(self) -> tempfile.TemporaryDirectory:
        """A scratch folder outside the home for this job, recorded so that a crash does not leave it behind."""
        folder = tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX)
        self.store.update_job(self.kind, self.name, {"Scratch": folder.name})
        return folder

    def stop_requested(self) -> bool:
        return self.store.stop_requested(self.kind, self.name)


def _remove_scratch(folder: str | None) -> None:
    """Remove a job's recorded scratch folder, only if it is one the runtime made (directly in the temporary
    directory, with our prefix): the store is never trusted to name any other folder for deletion."""
    if not folder:
        return
    path = Path(folder)
    if path.parent == Path(tempfile.gettempdir()) and path.name.startswith(SCRATCH_PREFIX) and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)


def _response(text: str) -> dict:
    description = {k: v for k, v in json.loads(text).items() if k not in _RUNTIME_FIELDS}
    return {k: (datetime.fromisoformat(v) if k.endswith("Time") and isinstance(v, str) else v)
            for k, v in description.items()}
