"""Tags by resource ARN (``tags.db``).

A tag call names a resource by ARN, and it must exist. Whether it does is asked of the resource's own Describe
operation, through the sagemaker API itself (:meth:`TagsBackend.resolve_with`): with the request recorded when
the API created it (Create* calls pass through :meth:`TagsBackend.record_creation`, which also keeps the Tags
given there), or else with the name the ARN ends in, for resources the runtime made itself (a pipeline step's
processing job, a pipeline execution).
"""
from __future__ import annotations

import json
import re

from sagelocal.config import Settings
from sagelocal.errors import ServiceError, ValidationError
from sagelocal.paging import paginate, with_token
from sagelocal.storage.sqlite import Database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS created (arn TEXT PRIMARY KEY, describe TEXT NOT NULL, request TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tags (
    arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (arn, key)
);
"""
MAX_TAGS = 50
_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:(?P<type>[a-z-]+)/(?P<name>.+)$")
# ARN resource type -> (Describe operation, its name parameter); the value is the ARN's name, or the ARN itself.
_DESCRIBE = {
    "model": ("DescribeModel", "ModelName"),
    "endpoint-config": ("DescribeEndpointConfig", "EndpointConfigName"),
    "endpoint": ("DescribeEndpoint", "EndpointName"),
    "model-package-group": ("DescribeModelPackageGroup", "ModelPackageGroupName"),
    "model-package": ("DescribeModelPackage", "ModelPackageName"),
    "pipeline": ("DescribePipeline", "PipelineName"),
    "processing-job": ("DescribeProcessingJob", "ProcessingJobName"),
    "training-job": ("DescribeTrainingJob", "TrainingJobName"),
    "transform-job": ("DescribeTransformJob", "TransformJobName"),
    "monitoring-schedule": ("DescribeMonitoringSchedule", "MonitoringScheduleName"),
    "data-quality-job-definition": ("DescribeDataQualityJobDefinition", "JobDefinitionName"),
    "model-quality-job-definition": ("DescribeModelQualityJobDefinition", "JobDefinitionName"),
    "model-bias-job-definition": ("DescribeModelBiasJobDefinition", "JobDefinitionName"),
    "model-explainability-job-definition": ("DescribeModelExplainabilityJobDefinition", "JobDefinitionName"),
    "human-task-ui": ("DescribeHumanTaskUi", "HumanTaskUiName"),
    "flow-definition": ("DescribeFlowDefinition", "FlowDefinitionName"),
    "workteam": ("DescribeWorkteam", "WorkteamName"),
}
_BY_ARN = {"DescribeModelPackage"}  # these take the whole ARN
_PIPELINE_EXECUTION = re.compile(r"^pipeline/[^/]+/execution/[^/]+$")


class TagsBackend:
    def __init__(self, settings: Settings):
        self.db = Database(settings.db_path("tags"), _SCHEMA)
        self._call = None

    def resolve_with(self, call) -> None:
        """``call(operation, request)`` runs a sagemaker operation (the API's own dispatcher)."""
        self._call = call

    # -- operations ---------------------------------------------------------------------------
    def add_tags(self, request: dict) -> dict:
        arn = self._existing(request["ResourceArn"])
        self._put(arn, request["Tags"])
        return {"Tags": request["Tags"]}

    def list_tags(self, request: dict) -> dict:
        arn = self._existing(request["ResourceArn"])
        tags = [{"Key": r["key"], "Value": r["value"]}
                for r in self.db.query("SELECT key, value FROM tags WHERE arn = ? ORDER BY key", (arn,))]
        page, token = paginate(tags, request, default_max=MAX_TAGS, limit=10_000)
        return with_token({"Tags": page}, token)

    def delete_tags(self, request: dict) -> dict:
        arn = self._existing(request["ResourceArn"])
        with self.db.transaction() as conn:
            conn.executemany("DELETE FROM tags WHERE arn = ? AND key = ?", ((arn, k) for k in request["TagKeys"]))
        return {}

    # -- the hook on every sagemaker call -----------------------------------------------------
    def record_creation(self, operation: str, request: dict, response: dict) -> None:
        """After a Create* call: remember how to describe what it made, and keep the Tags it was given."""
        if not operation.startswith("Create"):
            return
        arn = next((v for k, v in response.items() if k.endswith("Arn") and isinstance(v, str)), None)
        match = _ARN.match(arn or "")
        if not match or match["type"] not in _DESCRIBE:
            return
        describe, parameter = _DESCRIBE[match["type"]]
        value = arn if describe in _BY_ARN else request.get(parameter, match["name"].rsplit("/", 1)[-1])
        with self.db.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO created VALUES (?, ?, ?)",
                         (arn, describe, json.dumps({parameter: value})))
            conn.execute("DELETE FROM tags WHERE arn = ?", (arn,))  # a new resource under an old name
        if request.get("Tags"):
            self._put(arn, request["Tags"])

    # -- helpers ------------------------------------------------------------------------------
    def _put(self, arn: str, tags: list[dict]) -> None:
        for tag in tags:
            if tag["Key"].lower().startswith("aws:"):
                raise ValidationError(f"Tag keys beginning with 'aws:' are reserved: {tag['Key']}")
        with self.db.transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO tags VALUES (?, ?, ?)",
                             ((arn, t["Key"], t.get("Value", "")) for t in tags))
            count = conn.execute("SELECT COUNT(*) FROM tags WHERE arn = ?", (arn,)).fetchone()[0]
            if count > MAX_TAGS:
                raise ValidationError(f"A resource can have at most {MAX_TAGS} tags; {arn} would have {count}.")

    def _existing(self, arn: str) -> str:
        """``arn`` when it names a resource that exists here; ValidationException otherwise."""
        match = _ARN.match(arn)
        if match is None:
            raise ValidationError(f"{arn} is not a valid SageMaker resource ARN.")
        row = self.db.query_one("SELECT describe, request FROM created WHERE arn = ?", (arn,))
        if row is not None:
            attempts = [(row["describe"], json.loads(row["request"]))]
        elif _PIPELINE_EXECUTION.match(f"{match['type']}/{match['name']}"):
            attempts = [("DescribePipelineExecution", {"PipelineExecutionArn": arn})]
        elif match["type"] in _DESCRIBE:
            describe, parameter = _DESCRIBE[match["type"]]
            attempts = [(describe, {parameter: arn if describe in _BY_ARN else match["name"].rsplit("/", 1)[-1]})]
        else:
            attempts = []
        for operation, request in attempts:
            try:
                self._call(operation, request)
                return arn
            except ServiceError:
                pass
        raise ValidationError(f"Resource {arn} does not exist or cannot be tagged.")
