"""CreatePipeline, UpdatePipeline, DescribePipeline, DeletePipeline, ListPipelines and StartPipelineExecution.

Pipelines (name, definition, role, description) live in SQLite. StartPipelineExecution checks the parameters,
then runs the definition with :class:`PipelineRunner` in a background thread and answers as soon as the
execution is recorded; its progress is read with the execution operations of :class:`PipelineStore`
(DescribePipelineExecution, ListPipelineExecutions, ListPipelineExecutionSteps), served beside this backend.
"""
from __future__ import annotations

import json
import threading
from datetime import datetime

from sagelocal.clock import utc_now_iso
from sagelocal.config import Settings
from sagelocal.engine import definition as definitions
from sagelocal.engine.progress import Progress
from sagelocal.engine.runner import PipelineRunner
from sagelocal.engine.store import PipelineStore
from sagelocal.errors import ResourceNotFound, UserError, ValidationError
from sagelocal.paging import paginate, with_token
from sagelocal.pipeline_registry.versions import PipelineVersions
from sagelocal.storage.s3 import LocalS3
from sagelocal.storage.sqlite import Database, renamed_database
from sagelocal.storage.sqlite import start_up

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pipelines (
    name TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    description TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    created TEXT NOT NULL,
    modified TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
"""
_START_TIMEOUT_SECONDS = 30


class _AnnouncingStore(PipelineStore):
    """The runner's store, telling the request thread the execution ARN as soon as it is recorded."""

    def __init__(self, settings: Settings):
        super().__init__(settings)
        self.started = threading.Event()
        self.arn: str | None = None

    def start_execution(self, pipeline_name: str, parameters: dict, definition: dict | None = None):
        result = super().start_execution(pipeline_name, parameters, definition)
        self.arn = result[1]
        self.started.set()
        return result


class PipelineRegistryBackend:
    """The pipeline operations; ``executions`` answers the execution operations from the same records."""

    def __init__(self, settings: Settings):
        self.settings = settings
        # Called pipelines_api.db before, a name that said where it was used rather than what it holds.
        path = renamed_database(settings.db_path("pipelines_api"), settings.db_path("pipeline_registry"))
        self.db = Database(path, _SCHEMA)
        self.executions = PipelineStore(settings)
        # Executions a crashed runtime left running end now, as AWS would show them, and their jobs with them.
        start_up(self.executions.settle_interrupted)
        self.versions = PipelineVersions(path, self.executions)
        self.s3 = LocalS3(settings.s3_root)

    # -- pipelines -----------------------------------------------------------------------------
    def create_pipeline(self, request: dict) -> dict:
        name = request["PipelineName"]
        text = self._definition_text(request)
        now = utc_now_iso()
        with self.db.transaction() as conn:
            # Checked inside the transaction: of two concurrent creates, the second gets AWS's error, not a 500.
            if self._row(name, required=False) is not None:
                raise ValidationError("Pipeline names must be unique within an AWS account and region. "
                                      f"Pipeline with name ({name}) already exists.")
            conn.execute("INSERT INTO pipelines VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
                         (name, request.get("PipelineDisplayName", name), text, request["RoleArn"],
                          request.get("PipelineDescription"), json.dumps(request.get("Tags", [])), now, now))
        self.versions.record(self._row(name))
        return {"PipelineArn": self._arn(name)}

    def update_pipeline(self, request: dict) -> dict:
        """Change only the fields the request sets; the version is read and raised in the same transaction, so
        concurrent updates neither undo each other nor report the same PipelineVersionId."""
        has_definition = "PipelineDefinition" in request or "PipelineDefinitionS3Location" in request
        text = self._definition_text(request) if has_definition else None
        with self.db.transaction() as conn:
            row = self._row(self._name(request["PipelineName"]))
            conn.execute("UPDATE pipelines SET definition = COALESCE(?, definition), "
                         "role_arn = COALESCE(?, role_arn), description = COALESCE(?, description), "
                         "display_name = COALESCE(?, display_name), modified = ?, version = version + 1 "
                         "WHERE name = ?",
                         (text, request.get("RoleArn"), request.get("PipelineDescription"),
                          request.get("PipelineDisplayName"), utc_now_iso(), row["name"]))
        self.versions.ensure(row)  # version 1 of a pipeline created before versions were kept
        self.versions.record(self._row(row["name"]))
        return {"PipelineArn": self._arn(row["name"]), "PipelineVersionId": row["version"] + 1}

    def describe_pipeline(self, request: dict) -> dict:
        row = self._row(self._name(request["PipelineName"]))
        runs = self.executions.list_pipeline_executions({"PipelineName": row["name"], "MaxResults": 1})
        latest = runs["PipelineExecutionSummaries"]
        response = {
            "PipelineArn": self._arn(row["name"]),
            "PipelineName": row["name"],
            "PipelineDisplayName": row["display_name"],
            "PipelineDefinition": row["definition"],
            "RoleArn": row["role_arn"],
            "PipelineStatus": "Active",
            "CreationTime": datetime.fromisoformat(row["created"]),
            "LastModifiedTime": datetime.fromisoformat(row["modified"]),
            "PipelineVersionId": row["version"],
        }
        if row["description"]:
            response["PipelineDescription"] = row["description"]
        if latest:
            response["LastRunTime"] = latest[0]["StartTime"]
        return response

    def delete_pipeline(self, request: dict) -> dict:
        name = self._row(self._name(request["PipelineName"]))["name"]
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM pipelines WHERE name = ?", (name,))
        self.versions.forget(name)
        return {"PipelineArn": self._arn(name)}

    def list_pipelines(self, request: dict) -> dict:
        column = "name" if request.get("SortBy") == "Name" else "created"
        order = "ASC" if request.get("SortOrder") == "Ascending" else "DESC"
        rows = self.db.query(f"SELECT * FROM pipelines WHERE name LIKE ? ESCAPE '\\' ORDER BY {column} {order}",
                             (_like_prefix(request.get("PipelineNamePrefix", "")),))
        summaries = [{"PipelineArn": self._arn(r["name"]), "PipelineName": r["name"],
                      "PipelineDisplayName": r["display_name"], "RoleArn": r["role_arn"],
                      "CreationTime": datetime.fromisoformat(r["created"]),
                      "LastModifiedTime": datetime.fromisoformat(r["modified"]),
                      **({"PipelineDescription": r["description"]} if r["description"] else {})} for r in rows]
        page, token = paginate(summaries, request)
        return with_token({"PipelineSummaries": page}, token)

    def list_pipeline_versions(self, request: dict) -> dict:
        return self.versions.summaries(self._row(self._name(request["PipelineName"])), request)

    # -- executions ----------------------------------------------------------------------------
    def start_pipeline_execution(self, request: dict) -> dict:
        row = self._row(self._name(request["PipelineName"]))
        definition = self._parse(row["definition"])
        given = {p["Name"]: p["Value"] for p in request.get("PipelineParameters", [])}
        try:
            parameters = definition.resolve_parameters(given)
        except UserError as error:
            raise ValidationError(str(error)) from None
        store = _AnnouncingStore(self.settings)
        runner = PipelineRunner(self.settings, definition, parameters, row["name"], Progress(live=False), store)
        threading.Thread(target=runner.run, name=f"pipeline-{row['name']}", daemon=True).start()
        if not store.started.wait(_START_TIMEOUT_SECONDS):
            raise ValidationError(f"the execution of {row['name']} did not start")
        return {"PipelineExecutionArn": store.arn}

    def retry_pipeline_execution(self, request: dict) -> dict:
        """Run a Failed execution again from its failed steps, on the definition it ran, in the background."""
        reopened = self.executions.reopen_execution(request["PipelineExecutionArn"])
        runner = PipelineRunner(self.settings, definitions.parse(reopened.definition), reopened.parameters,
                                reopened.pipeline_name, Progress(live=False), PipelineStore(self.settings))
        threading.Thread(target=runner.resume, args=(reopened,), name=f"pipeline-retry-{reopened.execution_id}",
                         daemon=True).start()
        return {"PipelineExecutionArn": reopened.arn}

    # -- helpers -------------------------------------------------------------------------------
    def _definition_text(self, request: dict) -> str:
        text = request.get("PipelineDefinition")
        location = request.get("PipelineDefinitionS3Location")
        if text is None and location is None:
            raise ValidationError("Either PipelineDefinition or PipelineDefinitionS3Location is required")
        if text is None:
            try:
                text = self.s3.read_bytes(f"s3://{location['Bucket']}/{location['ObjectKey']}").decode()
            except (UserError, UnicodeDecodeError) as error:
                raise ValidationError(f"cannot read PipelineDefinitionS3Location: {error}") from None
        self._parse(text)
        return text

    @staticmethod
    def _parse(text: str):
        try:
            return definitions.parse(json.loads(text))
        except json.JSONDecodeError as error:
            raise ValidationError(f"The pipeline definition is not valid JSON: {error.msg}") from None
        except UserError as error:
            raise ValidationError(str(error)) from None

    def _arn(self, name: str) -> str:
        return self.executions.pipeline_arn(name)

    @staticmethod
    def _name(name_or_arn: str) -> str:
        """A pipeline's name from its name or ARN (ARNs carry it lower-cased; names match without case)."""
        return name_or_arn.rsplit("/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn

    def _row(self, name: str, required: bool = True):
        row = self.db.query_one("SELECT * FROM pipelines WHERE name = ? COLLATE NOCASE", (name,))
        if row is None and required:
            raise ResourceNotFound(f"Pipeline '{self._arn(name)}' does not exist.")
        return row


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
