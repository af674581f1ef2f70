"""A home written before the stores were renamed (pipelines_api.db, pipelines.db) keeps its pipelines and
executions: the files are moved to their new names (pipeline_registry.db, pipeline_executions.db) on start."""
import sqlite3

from sagelocal.config import Settings
from sagelocal.engine.store import PipelineStore
from sagelocal.pipeline_registry import PipelineRegistryBackend

from .test_pipeline_operations import ROLE, definition


def _copy_as(source, target) -> None:
    with sqlite3.connect(source) as old, sqlite3.connect(target) as new:
        old.backup(new)


def test_a_home_with_the_former_database_names_keeps_its_pipelines_and_executions(tmp_path):
    before = Settings(home=tmp_path / "before")
    backend = PipelineRegistryBackend(before)
    backend.create_pipeline({"PipelineName": "kept", "PipelineDefinition": definition(), "RoleArn": ROLE})
    arn = backend.executions.start_execution("kept", {})[1]
    after = Settings(home=tmp_path / "after")
    after.make_home()
    _copy_as(before.db_path("pipeline_registry"), after.db_path("pipelines_api"))
    _copy_as(before.db_path("pipeline_executions"), after.db_path("pipelines"))

    reopened = PipelineRegistryBackend(after)
    assert [p["PipelineName"] for p in reopened.list_pipelines({})["PipelineSummaries"]] == ["kept"]
    assert [e["PipelineExecutionArn"] for e in PipelineStore(after).list_all_executions()] == [arn]
    assert not after.db_path("pipelines_api").exists() and not after.db_path("pipelines").exists()
