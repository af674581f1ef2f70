"""Monitoring schedules and their executions, shaped like SageMaker's API; state in ``hosting.db``.

``run_due`` starts the executions whose time has come (the server's scheduler thread calls it);
``run_now`` runs one execution at once over the window that ends now (the CLI and the demo call it).
A schedule that missed fires while the server was down runs once for the latest of them, as AWS does not
backfill. A schedule names its job definition inline (MonitoringJobDefinition) or by name
(MonitoringJobDefinitionName and MonitoringType, see :mod:`sagelocal.schedules.definitions`); its expression and
analysed window follow Model Monitor's rules (:mod:`sagelocal.schedules.cadence`), and a ``NOW`` schedule runs
once, at its next scheduler tick.
"""
from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timedelta

from sagelocal.clock import utc_now, utc_now_iso
from sagelocal.config import Settings
from sagelocal.errors import ResourceInUse, ResourceNotFound, ValidationError
from sagelocal.paging import paginate, sorted_by_request, time_filtered, with_token
from sagelocal.jobs.models import model_container
from sagelocal.jobs.processes import ProcessId, interrupted
from sagelocal.jobs.store import JobStore
from sagelocal.schedules.cadence import cadence, duration_offset
from sagelocal.schedules.definitions import KINDS, JobDefinitionsBackend
from sagelocal.schedules.execution import Outcome, capture_folders, ground_truth_folders, run_execution
from sagelocal.schedules.processing_job import job_ending, monitoring_job_request
from sagelocal.storage import LocalS3
from sagelocal.storage.sqlite import Database
from sagelocal.storage.sqlite import start_up

_SCHEMA = """
CREATE TABLE IF NOT EXISTS monitoring_schedules (
    name TEXT PRIMARY KEY, arn TEXT NOT NULL, status TEXT NOT NULL, endpoint_name TEXT NOT NULL,
    config TEXT NOT NULL, creation_time TEXT NOT NULL, last_modified_time TEXT NOT NULL, last_fire TEXT
);
CREATE TABLE IF NOT EXISTS monitoring_executions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, schedule_name TEXT NOT NULL, endpoint_name TEXT NOT NULL,
    scheduled_time TEXT NOT NULL, creation_time TEXT NOT NULL, last_modified_time TEXT NOT NULL,
    status TEXT NOT NULL, failure_reason TEXT, processing_job_arn TEXT NOT NULL, report_uri TEXT,
    metrics TEXT NOT NULL DEFAULT '[]', violations TEXT NOT NULL DEFAULT '{}', owner TEXT
);
"""


# AWS's processing job names: model-quality executions' analysis job is model-quality-monitoring-<time>-<id>.
_JOB_PREFIX = {"DataQuality": "model-monitoring", "ModelQuality": "model-quality-monitoring",
               "ModelBias": "model-bias-monitoring", "ModelExplainability": "model-explainability-monitoring"}


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class SchedulesBackend:
    def __init__(self, settings: Settings, hosting):
        self.settings = settings
        self.hosting = hosting
        self.s3 = LocalS3(settings.s3_root)
        self.db = Database(settings.db_path("hosting"), _SCHEMA)
        self.jobs = JobStore(settings)
        self.definitions = JobDefinitionsBackend(settings)
        self._run_lock = threading.Lock()  # one execution at a time per process, as one job queue
        start_up(lambda: self.db.add_missing_columns("monitoring_executions", {"owner": "TEXT"}),
                 self.settle_interrupted)

    # -- schedules ----------------------------------------------------------------------------
    def create_monitoring_schedule(self, request: dict) -> dict:
        name = request["MonitoringScheduleName"]
        config = request["MonitoringScheduleConfig"]
        endpoint = self._check_config(config)
        arn = self.settings.arn("monitoring-schedule", name.lower())
        now = utc_now_iso()
        # A NOW schedule has not fired yet; a recurring one fires first after its creation.
        last_fire = None if cadence(config["ScheduleConfig"]).one_time else now
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM monitoring_schedules WHERE name = ?", (name,)).fetchone():
                raise ResourceInUse(f"Monitoring Schedule {arn} already exists.")
            conn.execute("INSERT INTO monitoring_schedules VALUES (?, ?, 'Scheduled', ?, ?, ?, ?, ?)",
                         (name, arn, endpoint, json.dumps(config), now, now, last_fire))
        return {"MonitoringScheduleArn": arn}

    def update_monitoring_schedule(self, request: dict) -> dict:
        endpoint = self._check_config(request["MonitoringScheduleConfig"])
        with self.db.transaction() as conn:
            row = self._schedule(request["MonitoringScheduleName"])
            conn.execute("UPDATE monitoring_schedules SET config = ?, endpoint_name = ?, last_modified_time = ? "
                         "WHERE name = ?", (json.dumps(request["MonitoringScheduleConfig"]), endpoint,
                                            utc_now_iso(), row["name"]))
        return {"MonitoringScheduleArn": row["arn"]}

    def describe_monitoring_schedule(self, request: dict) -> dict:
        row = self._schedule(request["MonitoringScheduleName"])
        config = json.loads(row["config"])
        response = self._summary(row) | {"MonitoringScheduleConfig": config}
        last = self.db.query_one("SELECT * FROM monitoring_executions WHERE schedule_name = ? ORDER BY id DESC "
                                 "LIMIT 1", (row["name"],))
        if last is not None:
            response["LastMonitoringExecutionSummary"] = self._execution(last, {row["name"]: config})
        return response

    def list_monitoring_schedules(self, request: dict) -> dict:
        items = [self._summary(r) for r in self.db.query("SELECT * FROM monitoring_schedules")]
        filters = {"EndpointName": "EndpointName", "StatusEquals": "MonitoringScheduleStatus",
                   "MonitoringJobDefinitionName": "MonitoringJobDefinitionName",
                   "MonitoringTypeEquals": "MonitoringType"}
        for key, field in filters.items():
            if request.get(key):
                items = [i for i in items if i[field] == request[key]]
        if request.get("NameContains"):
            items = [i for i in items if request["NameContains"] in i["MonitoringScheduleName"]]
        items = time_filtered(time_filtered(items, request, "CreationTime"), request, "LastModifiedTime",
                              "LastModifiedTime")
        items = sorted_by_request(items, request, {"Name": "MonitoringScheduleName", "CreationTime": "CreationTime",
                                                   "Status": "MonitoringScheduleStatus"}, "CreationTime")
        page, token = paginate(items, request)
        return with_token({"MonitoringScheduleSummaries": page}, token)

    def stop_monitoring_schedule(self, request: dict) -> dict:
        return self._set_status(request["MonitoringScheduleName"], "Stopped")

    def start_monitoring_schedule(self, request: dict) -> dict:
        return self._set_status(request["MonitoringScheduleName"], "Scheduled")

    def delete_monitoring_schedule(self, request: dict) -> dict:
        row = self._schedule(request["MonitoringScheduleName"])
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM monitoring_schedules WHERE name = ?", (row["name"],))
        return {}

    def list_monitoring_executions(self, request: dict) -> dict:
        sql, params = "SELECT * FROM monitoring_executions WHERE 1 = 1", []
        for key, column in (("MonitoringScheduleName", "schedule_name"), ("EndpointName", "endpoint_name"),
                            ("StatusEquals", "status")):
            if request.get(key):
                sql, params = sql + f" AND {column} = ?", params + [request[key]]
        configs = self._configs()
        items = [self._execution(r, configs) for r in self.db.query(sql, tuple(params))]
        items = time_filtered(time_filtered(items, request, "ScheduledTime", "ScheduledTime"), request, "CreationTime")
        items = sorted_by_request(items, request, {"CreationTime": "CreationTime", "ScheduledTime": "ScheduledTime",
                                                   "Status": "MonitoringExecutionStatus"}, "ScheduledTime")
        page, token = paginate(items, request)
        return with_token({"MonitoringExecutionSummaries": page}, token)

    # -- running ------------------------------------------------------------------------------
    def run_now(self, name: str) -> dict:
        """Run one execution now over the window that ends now; return its summary (and report location)."""
        row = self._schedule(name)
        # Capture times are whole seconds: end the window after the current second so that it holds every
        # record written before this call.
        return self._run(row, utc_now().replace(microsecond=0) + timedelta(seconds=1))

    def run_due(self, now: datetime | None = None) -> list[dict]:
        """Start every execution whose scheduled time has come (one per schedule, the latest missed)."""
        now = now or utc_now()
        ran = []
        for row in self.db.query("SELECT * FROM monitoring_schedules WHERE status = 'Scheduled'"):
            schedule = cadence(json.loads(row["config"])["ScheduleConfig"])
            if schedule.one_time:  # NOW: once, at its creation time
                fire = None if row["last_fire"] else _dt(row["creation_time"])
            else:
                fire = schedule.next_after(_dt(row["last_fire"]))
            if fire is None or fire > now:
                continue
            for _ in range(10_000):  # skip to the latest fire time that is due (bounded)
                following = schedule.next_after(fire)
                if following is None or following > now:
                    break
                fire = following
            ran.append(self._run(row, fire))
            # Recorded only once the fire has run: a crash during it loses no fire, the restart runs it again.
            with self.db.transaction() as conn:
                conn.execute("UPDATE monitoring_schedules SET last_fire = ? WHERE name = ?",
                             (fire.isoformat(), row["name"]))
        return ran

    def settle_interrupted(self) -> None:
        """End the executions a crashed runtime left InProgress (Failed, with the reason), after their jobs."""
        self.jobs.settle_interrupted()
        for row in self.db.query("SELECT id, owner FROM monitoring_executions WHERE status = 'InProgress'"):
            reason = interrupted(row["owner"], "execution")
            if reason is None:
                continue
            with self.db.transaction() as conn:
                conn.execute("UPDATE monitoring_executions SET status = 'Failed', failure_reason = ?, "
                             "last_modified_time = ? WHERE id = ? AND status = 'InProgress'",
                             (reason, utc_now_iso(), row["id"]))

    def execution_reports(self, schedule: str | None = None) -> list[dict]:
        """Executions (newest first) with their report location, metrics and violation counts."""
        sql, params = "SELECT * FROM monitoring_executions", ()
        if schedule:
            sql, params = sql + " WHERE schedule_name = ?", (schedule,)
        rows = self.db.query(sql + " ORDER BY id DESC", params)
        configs = self._configs()
        return [self._execution(r, configs) | {"ReportUri": r["report_uri"], "Metrics": json.loads(r["metrics"]),
                                      "Violations": json.loads(r["violations"])} for r in rows]

    def _run(self, row, fire: datetime) -> dict:
        """One execution over the window that ends at ``fire``, recorded with its processing job."""
        config = json.loads(row["config"])
        start, end = cadence(config["ScheduleConfig"]).window(fire)
        definition = self._job_definition(config)
        kind = config.get("MonitoringType", "DataQuality")
        start, end = _offset_window(definition, fire, start, end)
        endpoint = row["endpoint_name"]
        now = utc_now_iso()
        # cut to the 63 characters a processing job name may have (the model-explainability prefix is long)
        job_name = f"{_JOB_PREFIX[kind]}-{fire:%Y%m%d%H%M}-{uuid.uuid4().hex[:24]}"[:63]
        with self.db.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO monitoring_executions (schedule_name, endpoint_name, scheduled_time, creation_time, "
                "last_modified_time, status, processing_job_arn, owner) VALUES (?, ?, ?, ?, ?, 'InProgress', ?, ?)",
                (row["name"], endpoint, fire.isoformat(), now, now, self.settings.arn("processing-job", job_name),
                 str(ProcessId.current())))
            execution_id = cursor.lastrowid
        with self._run_lock:
            try:
                capture_uri = self._capture_uri(endpoint)
                folders = capture_folders(self.s3, capture_uri, endpoint, start, end)
            except ValidationError as error:
                capture_uri, folders, outcome = None, [], Outcome("Failed", _reason(error))
            labels = ground_truth_folders(self.s3, definition["GroundTruthS3Uri"], start, fire) \
                if definition.get("GroundTruthS3Uri") else []
            try:
                model = self._shadow_model(definition) if kind == "ModelExplainability" else None
            except (ValidationError, ResourceNotFound, ValueError, OSError) as error:
                capture_uri, outcome, model = None, Outcome("Failed", _reason(error)), None
            request = monitoring_job_request(definition, endpoint, row["name"], start, end, folders, labels, model)
            self.jobs.start_job("Processing", job_name, request, MonitoringScheduleArn=row["arn"])
            if capture_uri is not None:
                try:
                    outcome = run_execution(self.s3, capture_uri, request, endpoint, start, end,
                                            self.jobs.tracker("Processing", job_name), self.settings.job_isolation,
                                            log_folder=self.settings.home / "jobs" / job_name)
                except Exception as error:  # the execution fails with the reason; the scheduler carries on
                    outcome = Outcome("Failed", _reason(error))
            self.jobs.update_job("Processing", job_name, job_ending(outcome))
        with self.db.transaction() as conn:
            conn.execute("UPDATE monitoring_executions SET status = ?, failure_reason = ?, report_uri = ?, "
                         "metrics = ?, violations = ?, last_modified_time = ? WHERE id = ?",
                         (outcome.status, outcome.failure_reason, outcome.report_uri, json.dumps(outcome.metrics),
                          json.dumps(outcome.violations), utc_now_iso(), execution_id))
        return self._report(execution_id)

    def _capture_uri(self, endpoint: str) -> str:
        capture = self.hosting.endpoint_capture_config(endpoint) or {}
        if not capture.get("EnableCapture"):
            raise ValidationError(f"Endpoint {endpoint} does not capture data.")
        return capture["DestinationS3Uri"]

    def _shadow_model(self, definition: dict) -> dict:
        """The container of the model an explainability monitor's configuration names (predictor.model_name):
        its executions serve it on a shadow endpoint, as Clarify does."""
        config = json.loads(self.s3.path(definition["ConfigUri"]).read_text())
        name = (config.get("predictor") or {}).get("model_name")
        if not name:
            raise ValidationError(f"The analysis configuration {definition['ConfigUri']} names no model "
                                  "(predictor.model_name): feature attribution needs one.")
        return model_container(self.settings, name)

    def _report(self, execution_id: int) -> dict:
        row = self.db.query_one("SELECT * FROM monitoring_executions WHERE id = ?", (execution_id,))
        return self._execution(row, self._configs()) | {"ReportUri": row["report_uri"],
                                                        "Violations": json.loads(row["violations"])}

    # -- helpers ------------------------------------------------------------------------------
    def _job_definition(self, config: dict) -> dict:
        """The schedule's MonitoringJobDefinition: inline, or the job definition it names."""
        kind = config.get("MonitoringType", "DataQuality")
        if kind not in KINDS:
            raise ValidationError(f"MonitoringType {kind} is not supported by sagelocal (supported: "
                                  f"{', '.join(KINDS)}).")
        if config.get("MonitoringJobDefinitionName"):
            if config.get("MonitoringJobDefinition"):
                raise ValidationError("Give either MonitoringJobDefinition or MonitoringJobDefinitionName, not both.")
            if "MonitoringType" not in config:
                raise ValidationError("MonitoringType is required with MonitoringJobDefinitionName.")
            return self.definitions.monitoring_job_definition(kind, config["MonitoringJobDefinitionName"])
        if not config.get("MonitoringJobDefinition"):
            raise ValidationError("MonitoringScheduleConfig needs a MonitoringJobDefinition or a "
                                  "MonitoringJobDefinitionName.")
        if kind != "DataQuality":
            raise ValidationError(f"A {kind} schedule names its job definition (MonitoringJobDefinitionName, from "
                                  f"Create{kind}JobDefinition): an inline MonitoringJobDefinition is DataQuality's.")
        return config["MonitoringJobDefinition"]

    def _check_config(self, config: dict) -> str:
        definition = self._job_definition(config)
        schedule = cadence(config.get("ScheduleConfig") or {})
        limit = (definition.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds", 0)
        if not schedule.one_time and schedule.start_offset is None:
            start, end = schedule.window(utc_now().replace(minute=0, second=0, microsecond=0))
            if limit > (end - start).total_seconds():
                raise ValidationError("stopping condition should be smaller than schedule cadence")
        inputs = [i.get("EndpointInput") for i in definition["MonitoringInputs"] if i.get("EndpointInput")]
        if len(inputs) != 1:
            raise ValidationError("MonitoringInputs must hold exactly one EndpointInput.")
        endpoint = inputs[0]["EndpointName"]
        self.hosting.endpoint_capture_config(endpoint)  # ValidationException when the endpoint is unknown
        for output in definition["MonitoringOutputConfig"]["MonitoringOutputs"]:
            self.s3.path(output["S3Output"]["S3Uri"])
        return endpoint

    def _set_status(self, name: str, status: str) -> dict:
        # Read inside the transaction: a fire the scheduler records meanwhile is not written back over.
        with self.db.transaction() as conn:
            row = self._schedule(name)
            now = utc_now_iso()
            conn.execute("UPDATE monitoring_schedules SET status = ?, last_modified_time = ?, last_fire = ? "
                         "WHERE name = ?", (status, now, now if status == "Scheduled" else row["last_fire"],
                                            row["name"]))
        return {}

    def _schedule(self, name: str):
        row = self.db.query_one("SELECT * FROM monitoring_schedules WHERE name = ?", (name,))
        if row is None:
            arn = self.settings.arn("monitoring-schedule", name.lower())
            raise ResourceNotFound(f"Monitoring Schedule {arn} does not exist.")
        return row

    @staticmethod
    def _summary(row) -> dict:
        return {"MonitoringScheduleName": row["name"], "MonitoringScheduleArn": row["arn"],
                "CreationTime": _dt(row["creation_time"]), "LastModifiedTime": _dt(row["last_modified_time"]),
                "MonitoringScheduleStatus": row["status"], "EndpointName": row["endpoint_name"],
                **_definition_fields(json.loads(row["config"]))}

    def _configs(self) -> dict:
        return {r["name"]: json.loads(r["config"]) for r in self.db.query("SELECT name, config FROM "
                                                                          "monitoring_schedules")}

    @staticmethod
    def _execution(row, configs: dict) -> dict:
        """An execution summary; ``configs`` (schedule name -> config) gives its type and job definition."""
        summary = {"MonitoringScheduleName": row["schedule_name"], "ScheduledTime": _dt(row["scheduled_time"]),
                   "CreationTime": _dt(row["creation_time"]), "LastModifiedTime": _dt(row["last_modified_time"]),
                   "MonitoringExecutionStatus": row["status"], "ProcessingJobArn": row["processing_job_arn"],
                   "EndpointName": row["endpoint_name"],
                   **_definition_fields(configs.get(row["schedule_name"], {}))}
        if row["failure_reason"]:
            summary["FailureReason"] = row["failure_reason"]
        return summary


def _offset_window(definition: dict, fire: datetime, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """A model-quality EndpointInput's StartTimeOffset/EndTimeOffset move the window back from the scheduled
    time, so that labels that arrive late are there (AWS: offsets -P8D and -P1D at 2020-01-09T13:00 analyse
    2020-01-01T13:00 to 2020-01-08T13:00)."""
    endpoint_input = next(i["EndpointInput"] for i in definition["MonitoringInputs"] if i.get("EndpointInput"))
    if endpoint_input.get("StartTimeOffset"):
        start = fire + duration_offset(endpoint_input["StartTimeOffset"], "EndpointInput.StartTimeOffset")
    if endpoint_input.get("EndTimeOffset"):
        end = fire + duration_offset(endpoint_input["EndTimeOffset"], "EndpointInput.EndTimeOffset")
    return start, end


def _definition_fields(config: dict) -> dict:
    fields = {"MonitoringType": config.get("MonitoringType", "DataQuality")}
    if config.get("MonitoringJobDefinitionName"):
        fields["MonitoringJobDefinitionName"] = config["MonitoringJobDefinitionName"]
    return fields


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {getattr(error, 'message', error)}"
