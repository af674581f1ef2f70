"""Pipeline versions: every definition a pipeline has had (CreatePipeline is version 1, each UpdatePipeline the
next), for ListPipelineVersions and DescribePipelineDefinitionForExecution. An execution ran the version that
was current when it started.
"""
from __future__ import annotations

from datetime import datetime

from sagelocal.errors import ResourceNotFound
from sagelocal.paging import paginate, sorted_by_request, time_filtered, with_token
from sagelocal.storage.sqlite import Database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pipeline_versions (
    name TEXT NOT NULL COLLATE NOCASE, version INTEGER NOT NULL, definition TEXT NOT NULL, created TEXT NOT NULL,
    description TEXT, display_name TEXT, PRIMARY KEY (name, version)
);
"""


class PipelineVersions:
    """Kept beside the pipelines (same database); ``executions`` is the engine's PipelineStore."""

    def __init__(self, db_path, executions):
        self.db = Database(db_path, _SCHEMA)
        self.executions = executions

    def record(self, pipeline_row) -> None:
        """Keep the pipeline's current definition as its current version."""
        with self.db.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO pipeline_versions VALUES (?, ?, ?, ?, ?, ?)",
                         (pipeline_row["name"], pipeline_row["version"], pipeline_row["definition"],
                          pipeline_row["modified"], pipeline_row["description"], pipeline_row["display_name"]))

    def forget(self, name: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM pipeline_versions WHERE name = ?", (name,))

    def summaries(self, pipeline_row, request: dict) -> dict:
        self.ensure(pipeline_row)
        executions = self.executions.list_all_executions()
        versions = self.db.query("SELECT * FROM pipeline_versions WHERE name = ? ORDER BY version",
                                 (pipeline_row["name"],))
        arn = self.executions.pipeline_arn(pipeline_row["name"])
        items = []
        for index, row in enumerate(versions):
            summary = {"PipelineArn": arn, "PipelineVersionId": row["version"],
                       "CreationTime": datetime.fromisoformat(row["created"])}
            if row["description"]:
                summary["PipelineVersionDescription"] = row["description"]
            if row["display_name"]:
                summary["PipelineVersionDisplayName"] = row["display_name"]
            until = datetime.fromisoformat(versions[index + 1]["created"]) if index + 1 < len(versions) else None
            ran = [e for e in executions if e["PipelineName"].lower() == row["name"].lower()
                   and summary["CreationTime"] <= e["StartTime"] and (until is None or e["StartTime"] < until)]
            if ran:
                latest = max(ran, key=lambda e: e["StartTime"])
                summary["LastExecutionPipelineExecutionArn"] = latest["PipelineExecutionArn"]
            items.append(summary)
        items = time_filtered(items, request, "CreationTime", "Created")
        items = sorted_by_request(items, request, {"CreationTime": "PipelineVersionId"}, "CreationTime")
        page, token = paginate(items, request)
        return with_token({"PipelineVersionSummaries": page}, token)

    def describe_pipeline_definition_for_execution(self, request: dict) -> dict:
        """The definition of the version that was current when the execution started."""
        arn = request["PipelineExecutionArn"]
        execution = next((e for e in self.executions.list_all_executions() if e["PipelineExecutionArn"] == arn), None)
        if execution is None:
            self.executions.describe_pipeline_execution(request)  # the engine's own error for an unknown ARN
        row = self.db.query_one("SELECT * FROM pipeline_versions WHERE name = ? AND created <= ? "
                                "ORDER BY version DESC LIMIT 1", (execution["PipelineName"],
                                                                  execution["StartTime"].isoformat()))
        if row is None:
            raise ResourceNotFound(f"No pipeline definition is recorded for {arn}.")
        return {"PipelineDefinition": row["definition"], "CreationTime": datetime.fromisoformat(row["created"])}

    def ensure(self, pipeline_row) -> None:
        """A pipeline created before versions were kept has its current definition as its one version."""
        if not self.db.query_one("SELECT 1 FROM pipeline_versions WHERE name = ?", (pipeline_row["name"],)):
            self.record(pipeline_row)
