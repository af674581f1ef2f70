"""CreateProcessingJob, offline: the entrypoint runs in the job's sandbox, where the job's folder is
/opt/ml/processing (and /opt/ml/output, /opt/ml/config); inputs come from local S3 before it, outputs go back
after it."""
from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Callable

from sagelocal.clock import utc_now
from sagelocal.config import Settings
from sagelocal.jobs.clarify_job import CLARIFY_IMAGE, clarify_command
from sagelocal.jobs.container import (JobFailed, base_environment, check_image_uri, download, failure_from,
                                      image_repository, job_folder, run_process, upload)
from sagelocal.jobs.job_environment import aws_access, resource_config
from sagelocal.jobs.sandbox import JobSandbox
from sagelocal.jobs.store import JobStore, JobTracker
from sagelocal.storage.s3 import LocalS3

CONTAINER_ROOT = "/opt/ml/processing"
CONTAINER_OUTPUT = "/opt/ml/output"  # where a container leaves its exit message
CONTAINER_CONFIG = "/opt/ml/config"  # the job's description and its instance, as JSON files
# Images whose entrypoint is a Python script the venv's interpreter can run.
SCRIPT_IMAGES = ("sagemaker-scikit-learn", "sagemaker-xgboost")
ANALYZER_IMAGE = "sagemaker-model-monitor-analyzer"
RUNNABLE_IMAGES = SCRIPT_IMAGES + (ANALYZER_IMAGE, CLARIFY_IMAGE)
VIOLATIONS_EXIT = 3  # the analyzer's exit status for CompletedWithViolations: the job is still Completed
# The analyzer container's own files, which the job folder's output/ stands for.
ANALYZER_OUTPUTS = {"output_message_file": f"{CONTAINER_OUTPUT}/message",
                    "cloudwatch_metrics_directory": f"{CONTAINER_OUTPUT}/metrics/cloudwatch"}
_PYTHONS = ("python", "python3")
# What a failed job's reason calls the containers the runtime plays itself.
_CONTAINERS = {"sagelocal.monitor.analyzer": "the Model Monitor analyzer",
               "sagelocal.clarify.analyzer": "the Clarify analyzer"}


def check_image(image_uri: str) -> None:
    check_image_uri(image_uri, RUNNABLE_IMAGES, "processing")


def run_processing_job(settings: Settings, job_name: str, request: dict, extra_env: dict | None = None,
                       stop: Callable[[], bool] | None = None) -> dict:
    """Run one processing job to the end, recorded in the job store from start to end; return its
    DescribeProcessingJob response, or raise JobFailed.

    The response's ``ExitMessage`` is the container's /opt/ml/output/message when it wrote one (the analyzer's
    "CompletedWithViolations: ..." on its exit status 3, which AWS reports as Completed). The job is killed when
    StopProcessingJob asks, or when ``stop()`` turns true (its pipeline execution is being stopped).
    """
    return JobStore(settings).run("Processing", job_name, request,
                                  lambda tracker: _run(settings, job_name, request, extra_env, tracker, stop))


def _run(settings: Settings, job_name: str, request: dict, extra_env: dict | None, tracker: JobTracker,
         stop: Callable[[], bool] | None) -> dict:
    app = request.get("AppSpecification") or {}
    check_image(app.get("ImageUri", ""))
    s3 = LocalS3(settings.s3_root)
    folder = job_folder(settings.home, job_name)
    sandbox = JobSandbox(settings.job_isolation, folder, writable=(CONTAINER_ROOT, CONTAINER_OUTPUT),
                         read_only=(CONTAINER_CONFIG,))
    root = sandbox.host(CONTAINER_ROOT)
    started = utc_now()
    _write_config(sandbox, settings, job_name, request)

    for item in request.get("ProcessingInputs") or []:
        _fetch_input(s3, root, item)
    outputs = (request.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    for output in outputs:
        local_path(root, output["S3Output"]["LocalPath"]).mkdir(parents=True, exist_ok=True)

    ok_exit_codes = (0,)
    if image_repository(app["ImageUri"]) == ANALYZER_IMAGE:
        argv = [sys.executable, "-m", "sagelocal.monitor.analyzer"]
        extra_env = ANALYZER_OUTPUTS | (extra_env or {})
        ok_exit_codes = (0, VIOLATIONS_EXIT)
    elif image_repository(app["ImageUri"]) == CLARIFY_IMAGE:
        argv, clarify_env = clarify_command(settings, root, extra_env or {})
        extra_env = clarify_env | (extra_env or {})
        ok_exit_codes = (0, VIOLATIONS_EXIT)  # the Clarify analyzer says CompletedWithViolations as the Monitor's
    else:
        entrypoint = app.get("ContainerEntrypoint") or []
        if not entrypoint:
            raise JobFailed("AppSpecification.ContainerEntrypoint is empty: nothing to run")
        argv = [sys.executable if entrypoint[0] in _PYTHONS else sandbox.seen(entrypoint[0])]
        argv += [sandbox.seen(arg) for arg in entrypoint[1:]]
    argv += [sandbox.seen(arg) for arg in app.get("ContainerArguments") or []]
    environment = {**aws_access(settings), **(request.get("Environment") or {}), **(extra_env or {}),
                   "SAGELOCAL_PROCESSING_ROOT": CONTAINER_ROOT}
    env = base_environment(sandbox.home, {k: sandbox.seen(v) for k, v in environment.items()})
    timeout = (request.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
    result = sandbox.outcome(run_process(sandbox.command(argv), env, folder, timeout, tracker, stop))

    description = _description(settings, job_name, request, started, result.seconds)
    message_file = sandbox.host(CONTAINER_OUTPUT) / "message"
    if message_file.is_file():
        description["ExitMessage"] = message_file.read_text(errors="replace").strip()[:1024]
    if result.returncode not in ok_exit_codes:
        what = _CONTAINERS.get(argv[2]) if argv[1:2] == ["-m"] else f"the processing script {argv[1:2] or argv[:1]}"
        failure = sandbox.setup_failure(result) or failure_from(result, what)
        failure.description = description | {"ProcessingJobStatus": "Failed", "FailureReason": failure.reason}
        raise failure
    for output in outputs:
        upload(s3, local_path(root, output["S3Output"]["LocalPath"]), output["S3Output"]["S3Uri"])
    # ExitCode is not an AWS field: it tells Completed from CompletedWithViolations for the QualityCheck step.
    return description | {"ProcessingJobStatus": "Completed", "ExitCode": result.returncode}


def _write_config(sandbox: JobSandbox, settings: Settings, job_name: str, request: dict) -> None:
    """/opt/ml/config/processingjobconfig.json (the job as created) and resourceconfig.json (its instance)."""
    config = sandbox.host(CONTAINER_CONFIG)
    job = {"ProcessingJobArn": settings.arn("processing-job", job_name.lower()), "ProcessingJobName": job_name,
           **request}
    instance_type = ((request.get("ProcessingResources") or {}).get("ClusterConfig") or {}).get("InstanceType")
    (config / "processingjobconfig.json").write_text(json.dumps(job))
    (config / "resourceconfig.json").write_text(json.dumps(resource_config(instance_type)))


def _fetch_input(s3: LocalS3, root: Path, item: dict) -> None:
    source = item.get("S3Input")
    if source is None:
        raise JobFailed(f"processing input {item.get('InputName')!r}: only S3Input is supported offline")
    if source.get("S3DataType", "S3Prefix") != "S3Prefix":
        raise JobFailed(f"processing input {item.get('InputName')!r}: S3DataType {source['S3DataType']} "
                        "is not supported offline (use S3Prefix)")
    if not download(s3, source["S3Uri"], local_path(root, source["LocalPath"])):
        raise JobFailed(f"input {item.get('InputName')!r}: {source['S3Uri']} does not exist in local S3 "
                        f"({s3.path(source['S3Uri'])})")


def local_path(root: Path, container_path: str) -> Path:
    """The local folder for a container path under /opt/ml/processing (others are refused)."""
    relative = str(container_path).rstrip("/")
    if relative != CONTAINER_ROOT and not relative.startswith(CONTAINER_ROOT + "/"):
        raise JobFailed(f"LocalPath {container_path!r} is not under {CONTAINER_ROOT}")
    parts = Path(relative[len(CONTAINER_ROOT):].lstrip("/")).parts
    if ".." in parts:
        raise JobFailed(f"LocalPath {container_path!r} leaves {CONTAINER_ROOT}")
    return root.joinpath(*parts)


def _description(settings: Settings, job_name: str, request: dict, started: datetime, seconds: float) -> dict:
    ended = utc_now()
    return {
        **request,
        "ProcessingJobName": job_name,
        "ProcessingJobArn": settings.arn("processing-job", job_name.lower()),
        "CreationTime": started.isoformat(),
        "ProcessingStartTime": started.isoformat(),
        "ProcessingEndTime": ended.isoformat(),
        "LastModifiedTime": ended.isoformat(),
        # Not an AWS field: the job process's own wall time, which the benchmark sets beside the runner's.
        "ProcessSeconds": round(seconds, 4),
    }