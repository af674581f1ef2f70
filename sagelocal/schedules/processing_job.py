"""The processing job a monitoring execution is, made from the schedule's MonitoringJobDefinition as Model
Monitor expands it: one input per captured hour of the window (and the baseline files; for ModelQuality, one per
hour of ground truth too, and the merged capture as its dataset), the analyzer's
environment in container paths, and one output, the execution's report folder
``{output}/{endpoint}/{schedule}/yyyy/mm/dd/hh``.

It is recorded in the shared job store, so DescribeProcessingJob answers for the execution's ProcessingJobArn
(the SDK's MonitoringExecution reads the reports' location from its ProcessingOutputConfig), and it is what
:func:`~sagelocal.schedules.execution.run_execution` runs.
"""
from __future__ import annotations

import json
from datetime import datetime

from sagelocal.clarify.contract import MODEL_DATA, MODEL_IMAGE
from sagelocal.schedules.execution import GROUND_TRUTH_ROOT, Outcome

BASELINE_ROOT = "/opt/ml/processing/baseline"
CONFIG_ROOT = "/opt/ml/processing/input/config"  # where a Clarify monitor's analysis configuration is put
SHADOW_ROOT = "/opt/ml/processing/shadow-endpoint"  # the model an explainability monitor's shadow endpoint serves
CAPTURE_FORMAT = json.dumps({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}})
MERGE_FORMAT = json.dumps({"sagemakerMergeJson": {"captureIndexNames": ["endpointOutput"]}})
# (BaselineConfig resource, input name, folder under BASELINE_ROOT, analyzer variable naming the file)
_BASELINE_INPUTS = (("StatisticsResource", "baseline", "stats", "baseline_statistics"),
                    ("ConstraintsResource", "constraints", "constraints", "baseline_constraints"))
_COMPLETED = ("Completed", "CompletedWithViolations")
# (MonitoringAppSpecification field, analyzer variable naming the script): each script is an input of its own,
# ``<variable>_input`` at /opt/ml/processing/input/<variable>_input, as Model Monitor stages them.
_SCRIPT_INPUTS = (("RecordPreprocessorSourceUri", "record_preprocessor_script"),
                  ("PostAnalyticsProcessorSourceUri", "post_analytics_processor_script"))


def monitoring_job_request(definition: dict, endpoint: str, schedule: str, start: datetime, end: datetime,
                           capture_folders: list[tuple[str, str]],
                           ground_truth_folders: list[tuple[str, str]] = (), shadow_model: dict | None = None) -> dict:
    """The CreateProcessingJob request of one execution over [start, end).

    ``capture_folders``: (S3 URI, key below the endpoint's capture prefix) of each captured hour in the window;
    ``ground_truth_folders``: (S3 URI, ``yyyy/mm/dd/hh``) of each hour of ground truth a model-quality execution
    merges with them (named and placed as in AWS's merge job); ``shadow_model``: the Image and ModelDataUrl of the
    model a Clarify monitor's analysis configuration names (its ``predictor.model_name``).
    """
    local = _endpoint_input(definition)["LocalPath"].rstrip("/")
    inputs = [_input(f"groundtruth_input_{n}", uri, f"{GROUND_TRUTH_ROOT}/{key}")
              for n, (uri, key) in enumerate(ground_truth_folders, start=1)]
    inputs += [_input(f"endpoint_input_{n}", uri, f"{local}/{endpoint}/{key}")
               for n, (uri, key) in enumerate(capture_folders, start=1)]
    environment = dict(definition.get("Environment") or {})
    merged = bool(definition.get("GroundTruthS3Uri"))  # model quality and bias read the merged capture
    baseline = definition.get("BaselineConfig") or {}
    for resource, name, folder, variable in _BASELINE_INPUTS:
        uri = (baseline.get(resource) or {}).get("S3Uri")
        if uri:
            inputs.append(_input(name, uri, f"{BASELINE_ROOT}/{folder}"))
            environment[variable] = f"{BASELINE_ROOT}/{folder}/{_basename(uri)}"
    if definition.get("ConfigUri"):
        inputs.append(_input("analysis_config", definition["ConfigUri"], CONFIG_ROOT))
        environment["analysis_config"] = f"{CONFIG_ROOT}/{_basename(definition['ConfigUri'])}"
    if shadow_model:
        inputs.append(_input("shadow_model", shadow_model["ModelDataUrl"], SHADOW_ROOT))
        environment |= {MODEL_DATA: f"{SHADOW_ROOT}/{_basename(shadow_model['ModelDataUrl'])}",
                        MODEL_IMAGE: shadow_model["Image"]}
    app = definition["MonitoringAppSpecification"]
    for field, variable in _SCRIPT_INPUTS:
        if app.get(field):
            folder = f"/opt/ml/processing/input/{variable}_input"
            inputs.append(_input(f"{variable}_input", app[field], folder))
            environment[variable] = f"{folder}/{_basename(app[field])}"
    output = definition["MonitoringOutputConfig"]["MonitoringOutputs"][0]["S3Output"]
    if merged:  # AWS's model-quality job names the hour its metrics are for
        environment["metric_time"] = f"{start:%Y-%m-%dT%H:%M:%SZ}"
    environment.update({
        "dataset_format": MERGE_FORMAT if merged else CAPTURE_FORMAT,
        "dataset_source": local,
        "output_path": output["LocalPath"],
        "start_time": f"{start:%Y-%m-%dT%H:%M:%SZ}",
        "end_time": f"{end:%Y-%m-%dT%H:%M:%SZ}",
        "publish_cloudwatch_metrics": environment.get("publish_cloudwatch_metrics", "Enabled"),
        "sagemaker_endpoint_name": endpoint,
        "sagemaker_monitoring_schedule_name": schedule,
    })
    request = {
        "ProcessingInputs": inputs,
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "result", "AppManaged": False, "S3Output": {
            "S3Uri": f"{output['S3Uri'].rstrip('/')}/{endpoint}/{schedule}/{end:%Y/%m/%d/%H}",
            "LocalPath": output["LocalPath"], "S3UploadMode": output.get("S3UploadMode", "EndOfJob")}}]},
        "ProcessingResources": definition["MonitoringResources"],
        "StoppingCondition": definition.get("StoppingCondition") or {"MaxRuntimeInSeconds": 3600},
        "AppSpecification": {k: app[k] for k in ("ImageUri", "ContainerEntrypoint", "ContainerArguments") if k in app},
        "Environment": environment,
        "RoleArn": definition["RoleArn"],
    }
    if definition.get("NetworkConfig"):
        request["NetworkConfig"] = definition["NetworkConfig"]
    return request


def job_ending(outcome: Outcome) -> dict:
    """The processing job's end, matching the execution's: CompletedWithViolations is a Completed job whose
    ExitMessage says so; a Stopped execution's job is Stopped; any other end is a Failed job with the
    execution's FailureReason."""
    if outcome.status in _COMPLETED:
        return {"ProcessingJobStatus": "Completed",
                **({"ExitMessage": outcome.exit_message} if outcome.exit_message else {})}
    if outcome.status == "Stopped":
        return {"ProcessingJobStatus": "Stopped"}
    return {"ProcessingJobStatus": "Failed", "FailureReason": outcome.failure_reason}


def _basename(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def _endpoint_input(definition: dict) -> dict:
    return next(i["EndpointInput"] for i in definition["MonitoringInputs"] if i.get("EndpointInput"))


def _input(name: str, uri: str, local_path: str) -> dict:
    return {"InputName": name, "AppManaged": False, "S3Input": {
        "S3Uri": uri, "LocalPath": local_path, "S3DataType": "S3Prefix", "S3InputMode": "File",
        "S3DataDistributionType": "FullyReplicated"}}
