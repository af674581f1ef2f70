"""Pipeline executions and their steps in SQLite, behind SageMaker-shaped methods; the jobs the steps ran go to
the shared :class:`~sagelocal.jobs.store.JobStore` (``jobs``), where DescribeProcessingJob finds them.

Public methods named after SageMaker operations (``describe_pipeline_execution`` for
DescribePipelineExecution) take the request dict and return the response dict, so the HTTP API can serve
them unchanged. The ``record_*`` / ``start_*`` methods are the runner's side.
"""
from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sagelocal.clock import utc_now_iso
from sagelocal.config import Settings
from sagelocal.errors import ConflictError, ResourceNotFound, ValidationError
from sagelocal.jobs.processes import ProcessId, interrupted
from sagelocal.jobs.store import JobStore
from sagelocal.paging import paginate, with_token
from sagelocal.storage.sqlite import Database, renamed_database
from sagelocal.storage.sqlite import start_up

_SCHEMA = """
CREATE TABLE IF NOT EXISTS executions (
    arn TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    pipeline_name TEXT NOT NULL,
    status TEXT NOT NULL,
    start_time TEXT NOT NULL,
    end_time TEXT,
    failure_reason TEXT,
    parameters TEXT NOT NULL,
    owner TEXT,
    definition TEXT
);
CREATE TABLE IF NOT EXISTS steps (
    execution_arn TEXT NOT NULL REFERENCES executions(arn),
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    start_time TEXT NOT NULL,
    end_time TEXT,
    failure_reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 1,
    metadata TEXT NOT NULL DEFAULT '{}',
    properties TEXT NOT NULL DEFAULT '{}',
    cache_key TEXT,
    cache_source TEXT,
    process_seconds REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (execution_arn, name)
);
CREATE INDEX IF NOT EXISTS steps_cache ON steps(cache_key, status);
"""
_ID_ALPHABET = string.ascii_lowercase + string.digits
_ADDED_COLUMNS = {"owner": "TEXT", "definition": "TEXT"}  # added after the first release: older stores get them
_RUNNING = ("Executing", "Stopping")


@dataclass
class Reopened:
    """A failed execution opened again by RetryPipelineExecution: what its runner resumes from."""

    execution_id: str
    arn: str
    pipeline_name: str
    started: str
    parameters: dict
    definition: dict
    properties: dict[str, dict]  # of the steps that succeeded, which are not run again


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class PipelineStore:
    """``settings.db_path("pipeline_executions")`` holds every execution of every pipeline run offline."""

    def __init__(self, settings: Settings):
        self.settings = settings
        # Called pipelines.db before, a name that did not say it holds the executions.
        self.db = Database(renamed_database(settings.db_path("pipelines"), settings.db_path("pipeline_executions")),
                           _SCHEMA)
        start_up(lambda: self.db.add_missing_columns("executions", _ADDED_COLUMNS))
        self.jobs = JobStore(settings)

    # -- the runner's side ---------------------------------------------------------------------
    def start_execution(self, pipeline_name: str, parameters: dict, definition: dict | None = None
                        ) -> tuple[str, str, str]:
        """A new Executing execution run by this process: returns (id, execution ARN, start time)."""
        execution_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))
        arn = f"{self.pipeline_arn(pipeline_name)}/execution/{execution_id}"
        started = utc_now_iso()
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO executions VALUES (?, ?, ?, 'Executing', ?, NULL, NULL, ?, ?, ?)",
                         (arn, execution_id, pipeline_name, started, json.dumps(parameters),
                          str(ProcessId.current()), json.dumps(definition or {})))
        return execution_id, arn, started

    def reopen_execution(self, arn: str) -> Reopened:
        """RetryPipelineExecution's start: a Failed execution is Executing again, run by this process, from the
        steps that did not succeed. Any other status is refused, as on AWS."""
        with self.db.transaction() as conn:
            row = conn.execute("SELECT * FROM executions WHERE arn = ?", (arn,)).fetchone()
            if row is None:
                raise ResourceNotFound(f"Pipeline execution {arn} does not exist")
            if row["status"] != "Failed":
                raise ConflictError(f"Pipeline execution {arn} is {row['status']}: only a Failed execution can be "
                                    "retried.")
            if not json.loads(row["definition"] or "{}"):
                raise ValidationError(f"Pipeline execution {arn} was started by an older sagelocal that did not "
                                      "keep its definition: it cannot be retried; start a new execution.")
            conn.execute("UPDATE executions SET status = 'Executing', end_time = NULL, failure_reason = NULL, "
                         "owner = ? WHERE arn = ?", (str(ProcessId.current()), arn))
            succeeded = conn.execute("SELECT name, properties FROM steps WHERE execution_arn = ? AND "
                                     "status = 'Succeeded'", (arn,)).fetchall()
        return Reopened(row["id"], arn, row["pipeline_name"], row["start_time"], json.loads(row["parameters"]),
                        json.loads(row["definition"]), {r["name"]: json.loads(r["properties"]) for r in succeeded})

    def stop_requested(self, arn: str) -> bool:
        row = self.db.query_one("SELECT status FROM executions WHERE arn = ?", (arn,))
        return row is not None and row["status"] == "Stopping"

    def settle_interrupted(self) -> None:
        """End the executions (and their steps and jobs) that a runtime process left running when it died: Failed
        with the reason, or Stopped when a stop had been asked. Executions a live process runs are left alone."""
        self.jobs.settle_interrupted()
        for row in self.db.query("SELECT arn, status, owner FROM executions WHERE status IN ('Executing', 'Stopping')"):
            reason = interrupted(row["owner"], "execution")
            if reason is None:
                continue
            status = "Stopped" if row["status"] == "Stopping" else "Failed"
            now = utc_now_iso()
            with self.db.transaction() as conn:
                conn.execute("UPDATE steps SET status = ?, end_time = ?, failure_reason = ? WHERE execution_arn = ? "
                             "AND status IN ('Starting', 'Executing', 'Stopping')",
                             (status, now, None if status == "Stopped" else reason, row["arn"]))
                conn.execute("UPDATE executions SET status = ?, end_time = ?, failure_reason = ? WHERE arn = ?",
                             (status, now, None if status == "Stopped" else reason, row["arn"]))

    def finish_execution(self, arn: str, status: str, failure_reason: str | None = None) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE executions SET status = ?, end_time = ?, failure_reason = ? WHERE arn = ?",
                         (status, utc_now_iso(), failure_reason, arn))

    def record_step(self, arn: str, name: str, step_type: str, status: str, **fields) -> None:
        """Insert or update one step's row; ``fields`` are columns (metadata/properties as dicts)."""
        for key in ("metadata", "properties"):
            if key in fields:
                fields[key] = json.dumps(fields[key], default=str)
        if status == "Executing":  # (again, when a retry reruns it)
            fields |= {"start_time": utc_now_iso(), "end_time": None, "failure_reason": None}
        else:
            fields.setdefault("end_time", utc_now_iso())
        with self.db.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO steps (execution_arn, name, type, status, start_time) "
                         "VALUES (?, ?, ?, ?, ?)", (arn, name, step_type, status, utc_now_iso()))
            assignments = ", ".join(f"{column} = ?" for column in ["status", *fields])
            conn.execute(f"UPDATE steps SET {assignments} WHERE execution_arn = ? AND name = ?",
                         (status, *fields.values(), arn, name))

    def cached_step(self, pipeline_name: str, step_type: str, cache_key: str,
                    max_age: timedelta | None) -> dict | None:
        """The latest Succeeded step of this pipeline with the same type and cache key, if young enough."""
        row = self.db.query_one(
            "SELECT s.*, e.arn AS source FROM steps s JOIN executions e ON e.arn = s.execution_arn "
            "WHERE e.pipeline_name = ? AND s.type = ? AND s.cache_key = ? AND s.status = 'Succeeded' "
            "ORDER BY s.end_time DESC LIMIT 1", (pipeline_name, step_type, cache_key))
        if row is None or (max_age is not None and _time(row["end_time"]) < datetime.now(timezone.utc) - max_age):
            return None
        return {"source": row["source"], "metadata": json.loads(row["metadata"]),
                "properties": json.loads(row["properties"])}

    def pipeline_arn(self, pipeline_name: str) -> str:
        return self.settings.arn("pipeline", pipeline_name.lower())

    # -- SageMaker operations ------------------------------------------------------------------
    def describe_pipeline_execution(self, request: dict) -> dict:
        row = self._execution(request.get("PipelineExecutionArn", ""))
        return self._execution_summary(row) | {
            "PipelineArn": self.pipeline_arn(row["pipeline_name"]),
            "PipelineExecutionDisplayName": f"execution-{row['id']}",
            "FailureReason": row["failure_reason"],
            "CreationTime": _time(row["start_time"]),
            "LastModifiedTime": _time(row["end_time"] or row["start_time"]),
            "PipelineExperimentConfig": {"ExperimentName": row["pipeline_name"], "TrialName": row["id"]},
        }

    def stop_pipeline_execution(self, request: dict) -> dict:
        """Executing → Stopping: the process running the execution kills its jobs and ends it Stopped (at once
        here when that process is gone)."""
        arn = request["PipelineExecutionArn"]
        with self.db.transaction() as conn:
            row = conn.execute("SELECT status FROM executions WHERE arn = ?", (arn,)).fetchone()
            if row is None:
                raise ResourceNotFound(f"Pipeline execution {arn} does not exist")
            if row["status"] not in _RUNNING:
                raise ConflictError(f"Pipeline execution {arn} is {row['status']}: only an Executing execution can "
                                    "be stopped.")
            conn.execute("UPDATE executions SET status = 'Stopping' WHERE arn = ?", (arn,))
            conn.execute("UPDATE steps SET status = 'Stopping' WHERE execution_arn = ? AND status = 'Executing'",
                         (arn,))
        self.settle_interrupted()
        return {"PipelineExecutionArn": arn}

    def list_pipeline_executions(self, request: dict) -> dict:
        name = request.get("PipelineName")
        if not name:
            raise ValidationError("PipelineName is required")
        name = name.rsplit("/", 1)[-1]
        order = "ASC" if request.get("SortOrder") == "Ascending" else "DESC"
        rows = self.db.query(f"SELECT * FROM executions WHERE pipeline_name = ? ORDER BY start_time {order}",
                             (name,))
        page, token = paginate([self._execution_summary(r) for r in rows], request)
        return with_token({"PipelineExecutionSummaries": page}, token)

    def list_all_executions(self) -> list[dict]:
        """Every execution of every pipeline, newest first (for the command line; not an AWS operation)."""
        rows = self.db.query("SELECT * FROM executions ORDER BY start_time DESC")
        return [self._execution_summary(r) | {"PipelineName": r["pipeline_name"]} for r in rows]

    def list_pipeline_execution_steps(self, request: dict) -> dict:
        row = self._execution(request.get("PipelineExecutionArn", ""))
        order = "ASC" if request.get("SortOrder") == "Ascending" else "DESC"
        steps = self.db.query(f"SELECT * FROM steps WHERE execution_arn = ? ORDER BY start_time {order}, name",
                              (row["arn"],))
        page, token = paginate([self._step(s) for s in steps], request)
        return with_token({"PipelineExecutionSteps": page}, token)

    def list_pipeline_parameters_for_execution(self, request: dict) -> dict:
        row = self._execution(request.get("PipelineExecutionArn", ""))
        values = json.loads(row["parameters"])
        items = [{"Name": k, "Value": _parameter_text(v)} for k, v in values.items()]
        page, token = paginate(items, request)
        return with_token({"PipelineParameters": page}, token)

    # -- helpers -------------------------------------------------------------------------------
    def step_properties(self, execution_arn: str) -> dict[str, dict]:
        """The properties each step of an execution exposed to later steps (not an AWS operation)."""
        rows = self.db.query("SELECT name, properties, process_seconds FROM steps WHERE execution_arn = ?",
                             (execution_arn,))
        return {r["name"]: json.loads(r["properties"]) | {"ProcessSeconds": r["process_seconds"]} for r in rows}

    def resolve_execution(self, id_or_arn: str) -> str:
        """The ARN of an execution given by its id or ARN."""
        row = self.db.query_one("SELECT arn FROM executions WHERE arn = ? OR id = ?", (id_or_arn, id_or_arn))
        if row is None:
            raise ResourceNotFound(f"Pipeline execution {id_or_arn} does not exist")
        return row["arn"]

    def _execution(self, arn: str):
        row = self.db.query_one("SELECT * FROM executions WHERE arn = ?", (arn,))
        if row is None:
            raise ResourceNotFound(f"Pipeline execution {arn} does not exist")
        return row

    @staticmethod
    def _execution_summary(row) -> dict:
        return {
            "PipelineExecutionArn": row["arn"],
            "StartTime": _time(row["start_time"]),
            "PipelineExecutionStatus": row["status"],
            "PipelineExecutionDisplayName": f"execution-{row['id']}",
            **({"PipelineExecutionFailureReason": row["failure_reason"]} if row["failure_reason"] else {}),
        }

    @staticmethod
    def _step(row) -> dict:
        step = {
            "StepName": row["name"],
            "StepDisplayName": row["name"],
            "StartTime": _time(row["start_time"]),
            "EndTime": _time(row["end_time"]),
            "StepStatus": row["status"],
            "AttemptCount": row["attempts"],
            "Metadata": json.loads(row["metadata"]),
        }
        if row["failure_reason"]:
            step["FailureReason"] = row["failure_reason"]
        if row["cache_source"]:
            step["CacheHitResult"] = {"SourcePipelineExecutionArn": row["cache_source"]}
        return {k: v for k, v in step.items() if v is not None}


def _parameter_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
