"""Monitoring job definitions (Create/Describe/List/Delete DataQualityJobDefinition, ModelQualityJobDefinition,
ModelBiasJobDefinition and ModelExplainabilityJobDefinition), which a schedule names with
MonitoringJobDefinitionName and MonitoringType.

A definition is kept as its Create request and turned into the inline MonitoringJobDefinition a schedule's
executions run (:func:`as_monitoring_job_definition`), so one execution path serves both kinds of schedule; a
ModelQuality definition adds the analyzer's model-quality variables to its Environment and keeps its ground
truth prefix as ``GroundTruthS3Uri`` (not an AWS field: the inline form has none). The two Clarify kinds keep
their analysis configuration as ``ConfigUri`` (also not in the inline form) and mark their Environment with
``analysis_type`` (see :mod:`sagelocal.schedules.clarify_execution`); ModelBias has ground truth too.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sagelocal.config import Settings
from sagelocal.errors import ResourceInUse, ResourceNotFound, ValidationError
from sagelocal.paging import paginate, sorted_by_request, time_filtered, with_token
from sagelocal.schedules.cadence import duration_offset
from sagelocal.storage.sqlite import Database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS monitoring_job_definitions (
    kind TEXT NOT NULL, name TEXT NOT NULL, arn TEXT NOT NULL, endpoint_name TEXT,
    creation_time TEXT NOT NULL, request TEXT NOT NULL, PRIMARY KEY (kind, name)
);
"""
# MonitoringType -> (the request's field prefix, the ARN's resource type)
KINDS = {"DataQuality": ("DataQuality", "data-quality-job-definition"),
         "ModelQuality": ("ModelQuality", "model-quality-job-definition"),
         "ModelBias": ("ModelBias", "model-bias-job-definition"),
         "ModelExplainability": ("ModelExplainability", "model-explainability-job-definition")}
# The analyzer a Clarify kind's executions run, by the analysis_type their Environment carries.
CLARIFY_ANALYSIS_TYPES = {"ModelBias": "MODEL_BIAS", "ModelExplainability": "MODEL_EXPLAINABILITY"}
_WITH_GROUND_TRUTH = ("ModelQuality", "ModelBias")
_APP_FIELDS = ("ImageUri", "ContainerEntrypoint", "ContainerArguments", "RecordPreprocessorSourceUri",
               "PostAnalyticsProcessorSourceUri")


def as_monitoring_job_definition(kind: str, request: dict) -> dict:
    """The inline MonitoringJobDefinition equivalent to a Create<kind>JobDefinition request."""
    prefix = KINDS[kind][0]
    app = request[f"{prefix}AppSpecification"]
    job_input = request[f"{prefix}JobInput"]
    definition = {
        "MonitoringInputs": [{key: value} for key, value in job_input.items()
                             if key in ("EndpointInput", "BatchTransformInput")],
        "MonitoringOutputConfig": request[f"{prefix}JobOutputConfig"],
        "MonitoringResources": request["JobResources"],
        "MonitoringAppSpecification": {k: app[k] for k in _APP_FIELDS if k in app},
        "RoleArn": request["RoleArn"],
    }
    environment = dict(app.get("Environment") or {})
    if kind == "ModelQuality":
        environment |= _model_quality_environment(app, job_input.get("EndpointInput") or {})
    if kind in CLARIFY_ANALYSIS_TYPES:
        environment |= {"analysis_type": CLARIFY_ANALYSIS_TYPES[kind],
                        **_endpoint_attributes(job_input.get("EndpointInput") or {})}
        definition["ConfigUri"] = app["ConfigUri"]
    if kind in _WITH_GROUND_TRUTH:
        definition["GroundTruthS3Uri"] = job_input["GroundTruthS3Input"]["S3Uri"]
    optional = {"BaselineConfig": request.get(f"{prefix}BaselineConfig"), "Environment": environment,
                "StoppingCondition": request.get("StoppingCondition"), "NetworkConfig": request.get("NetworkConfig")}
    return definition | {k: v for k, v in optional.items() if v}


def _model_quality_environment(app: dict, endpoint_input: dict) -> dict:
    """The analyzer's model-quality variables, from the definition's ProblemType and EndpointInput attributes."""
    return {"analysis_type": "MODEL_QUALITY", "problem_type": app["ProblemType"],
            **_endpoint_attributes(endpoint_input)}


def _endpoint_attributes(endpoint_input: dict) -> dict:
    """Where the model's output is in the captured response, as the analyzers' variables."""
    attributes = {"inference_attribute": "InferenceAttribute", "probability_attribute": "ProbabilityAttribute",
                  "probability_threshold_attribute": "ProbabilityThresholdAttribute"}
    return {variable: str(endpoint_input[field]) for variable, field in attributes.items()
            if endpoint_input.get(field) is not None}


def _check_model_quality(request: dict, endpoint_input: dict) -> None:
    """What a model-quality execution needs and botocore's model leaves optional."""
    if not request["ModelQualityAppSpecification"].get("ProblemType"):
        raise ValidationError("ModelQualityAppSpecification.ProblemType is required (BinaryClassification, "
                              "MulticlassClassification or Regression).")
    if not (request["ModelQualityJobInput"].get("GroundTruthS3Input") or {}).get("S3Uri"):
        raise ValidationError("ModelQualityJobInput.GroundTruthS3Input.S3Uri is required: where the ground truth "
                              "records are.")
    if not (endpoint_input.get("InferenceAttribute") or endpoint_input.get("ProbabilityAttribute")):
        raise ValidationError("EndpointInput needs InferenceAttribute or ProbabilityAttribute: where the model's "
                              "output is in the captured response.")
    for field in ("StartTimeOffset", "EndTimeOffset"):
        if endpoint_input.get(field):
            duration_offset(endpoint_input[field], f"EndpointInput.{field}")


class JobDefinitionsBackend:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.db = Database(settings.db_path("hosting"), _SCHEMA)

    # The operations, one set per kind, all served by the same four methods.
    def create_data_quality_job_definition(self, request: dict) -> dict:
        return self._create("DataQuality", request)

    def create_model_quality_job_definition(self, request: dict) -> dict:
        return self._create("ModelQuality", request)

    def create_model_bias_job_definition(self, request: dict) -> dict:
        return self._create("ModelBias", request)

    def create_model_explainability_job_definition(self, request: dict) -> dict:
        return self._create("ModelExplainability", request)

    def describe_data_quality_job_definition(self, request: dict) -> dict:
        return self._describe("DataQuality", request["JobDefinitionName"])

    def describe_model_quality_job_definition(self, request: dict) -> dict:
        return self._describe("ModelQuality", request["JobDefinitionName"])

    def describe_model_bias_job_definition(self, request: dict) -> dict:
        return self._describe("ModelBias", request["JobDefinitionName"])

    def describe_model_explainability_job_definition(self, request: dict) -> dict:
        return self._describe("ModelExplainability", request["JobDefinitionName"])

    def list_data_quality_job_definitions(self, request: dict) -> dict:
        return self._list("DataQuality", request)

    def list_model_quality_job_definitions(self, request: dict) -> dict:
        return self._list("ModelQuality", request)

    def list_model_bias_job_definitions(self, request: dict) -> dict:
        return self._list("ModelBias", request)

    def list_model_explainability_job_definitions(self, request: dict) -> dict:
        return self._list("ModelExplainability", request)

    def delete_data_quality_job_definition(self, request: dict) -> dict:
        return self._delete("DataQuality", request["JobDefinitionName"])

    def delete_model_quality_job_definition(self, request: dict) -> dict:
        return self._delete("ModelQuality", request["JobDefinitionName"])

    def delete_model_bias_job_definition(self, request: dict) -> dict:
        return self._delete("ModelBias", request["JobDefinitionName"])

    def delete_model_explainability_job_definition(self, request: dict) -> dict:
        return self._delete("ModelExplainability", request["JobDefinitionName"])

    def monitoring_job_definition(self, kind: str, name: str) -> dict:
        """The inline MonitoringJobDefinition of the definition a schedule names (ResourceNotFound if none)."""
        return as_monitoring_job_definition(kind, json.loads(self._row(kind, name)["request"]))

    # -- the shared implementation ------------------------------------------------------------
    def _create(self, kind: str, request: dict) -> dict:
        name = request["JobDefinitionName"]
        arn = self._arn(kind, name)
        endpoint_input = request[f"{KINDS[kind][0]}JobInput"].get("EndpointInput") or {}
        if not endpoint_input and not request[f"{KINDS[kind][0]}JobInput"].get("BatchTransformInput"):
            raise ValidationError(f"{KINDS[kind][0]}JobInput needs an EndpointInput or a BatchTransformInput.")
        if kind == "ModelQuality":
            _check_model_quality(request, endpoint_input)
        if kind == "ModelBias" and not (request["ModelBiasJobInput"].get("GroundTruthS3Input") or {}).get("S3Uri"):
            raise ValidationError("ModelBiasJobInput.GroundTruthS3Input.S3Uri is required: where the ground truth "
                                  "records are.")
        stored = {k: v for k, v in request.items() if k != "Tags"}
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM monitoring_job_definitions WHERE kind = ? AND name = ?",
                            (kind, name)).fetchone():
                raise ResourceInUse(f"Job definition {arn} already exists.")
            conn.execute("INSERT INTO monitoring_job_definitions VALUES (?, ?, ?, ?, ?, ?)",
                         (kind, name, arn, endpoint_input.get("EndpointName"),
                          datetime.now(timezone.utc).isoformat(), json.dumps(stored)))
        return {"JobDefinitionArn": arn}

    def _describe(self, kind: str, name: str) -> dict:
        row = self._row(kind, name)
        return {"JobDefinitionArn": row["arn"], "JobDefinitionName": row["name"],
                "CreationTime": datetime.fromisoformat(row["creation_time"]), **json.loads(row["request"])}

    def _list(self, kind: str, request: dict) -> dict:
        rows = self.db.query("SELECT * FROM monitoring_job_definitions WHERE kind = ?", (kind,))
        items = [{"MonitoringJobDefinitionName": r["name"], "MonitoringJobDefinitionArn": r["arn"],
                  "CreationTime": datetime.fromisoformat(r["creation_time"]), "EndpointName": r["endpoint_name"] or ""}
                 for r in rows]
        if request.get("EndpointName"):
            items = [i for i in items if i["EndpointName"] == request["EndpointName"]]
        if request.get("NameContains"):
            items = [i for i in items if request["NameContains"] in i["MonitoringJobDefinitionName"]]
        items = time_filtered(items, request, "CreationTime")
        items = sorted_by_request(items, request, {"Name": "MonitoringJobDefinitionName",
                                                   "CreationTime": "CreationTime"}, "CreationTime")
        page, token = paginate(items, request)
        return with_token({"JobDefinitionSummaries": page}, token)

    def _delete(self, kind: str, name: str) -> dict:
        row = self._row(kind, name)
        with self.db.transaction() as conn:
            users = [r["name"] for r in conn.execute("SELECT name, config FROM monitoring_schedules").fetchall()
                     if _names_definition(json.loads(r["config"]), kind, name)]
            if users:
                raise ResourceInUse(f"Job definition {row['arn']} is used by monitoring schedule {users[0]}.")
            conn.execute("DELETE FROM monitoring_job_definitions WHERE kind = ? AND name = ?", (kind, name))
        return {}

    def _row(self, kind: str, name: str):
        row = self.db.query_one("SELECT * FROM monitoring_job_definitions WHERE kind = ? AND name = ?", (kind, name))
        if row is None:
            raise ResourceNotFound(f"Job definition {self._arn(kind, name)} does not exist.")
        return row

    def _arn(self, kind: str, name: str) -> str:
        return self.settings.arn(KINDS[kind][1], name.lower())


def _names_definition(config: dict, kind: str, name: str) -> bool:
    return (config.get("MonitoringJobDefinitionName") == name
            and config.get("MonitoringType", "DataQuality") == kind)
