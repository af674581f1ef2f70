"""The one table of job descriptions (``jobs.db``), whoever ran the job: CreateProcessingJob, a pipeline step or
a monitoring execution. Each row is the job's Describe*Job response, so DescribeProcessingJob answers for all
three kinds as AWS does.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sagelocal.config import Settings
from sagelocal.errors import ResourceNotFound, ValidationError
from sagelocal.storage.sqlite import Database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (kind, name)
);
"""
# Kept in the row for the runtime (the benchmark, the QualityCheck step), never shown by Describe*Job.
_RUNTIME_FIELDS = ("ProcessSeconds", "ExitCode")
_TERMINAL = ("Completed", "Failed", "Stopped")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class JobStore:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.db = Database(settings.db_path("jobs"), _SCHEMA)

    def put(self, kind: str, description: dict) -> None:
        """Record a finished job's description (``kind`` is Processing or Training), replacing an earlier one."""
        with self.db.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO jobs VALUES (?, ?, ?)",
                         (kind, description[f"{kind}JobName"], json.dumps(description, default=str)))

    def start_processing_job(self, name: str, request: dict, **fields) -> dict:
        """Record a new InProgress processing job; a name already used is a ValidationException, as on AWS."""
        now = _now()
        arn = self.settings.arn("processing-job", name.lower())
        description = {**request, **fields, "ProcessingJobName": name, "ProcessingJobArn": arn,
                       "ProcessingJobStatus": "InProgress", "CreationTime": now, "ProcessingStartTime": now,
                       "LastModifiedTime": now}
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM jobs WHERE kind = 'Processing' AND name = ?", (name,)).fetchone():
                raise ValidationError("Job name must be unique within an AWS account and region, and a job with "
                                      f"this name already exists ({arn})")
            conn.execute("INSERT INTO jobs VALUES ('Processing', ?, ?)", (name, json.dumps(description)))
        return description

    def update_processing_job(self, name: str, fields: dict) -> dict:
        """Merge ``fields`` into a processing job's description; a terminal status also sets its end time."""
        now = _now()
        with self.db.transaction() as conn:
            row = conn.execute("SELECT description FROM jobs WHERE kind = 'Processing' AND name = ?",
                               (name,)).fetchone()
            description = json.loads(row["description"]) | fields | {"LastModifiedTime": now}
            if description["ProcessingJobStatus"] in _TERMINAL:
                description["ProcessingEndTime"] = now
            conn.execute("UPDATE jobs SET description = ? WHERE kind = 'Processing' AND name = ?",
                         (json.dumps(description, default=str), name))
        return description

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


def _response(text: str) -> dict:
    description = {k: v for k, v in json.loads(text).items() if k not in _RUNTIME_FIELDS}
    return {k: (datetime.fromisoformat(v) if k.endswith("Time") and isinstance(v, str) else v)
            for k, v in description.items()}
