"""CreateTrainingJob, offline, for the built-in XGBoost image: channels copied into the job's folder, which
the algorithm sees at /opt/ml in its sandbox with the container's configuration files and ``SM_*`` variables;
``model.tar.gz`` uploaded where SageMaker puts it."""
from __future__ import annotations

import json
import re
import sys
import tarfile
from datetime import datetime, timezone
from typing import Callable

from sagelocal.config import Settings
from sagelocal.jobs.container import (JobFailed, base_environment, check_image_uri, download, failure_from,
                                      job_folder, run_process)
from sagelocal.jobs.job_environment import aws_access, input_data_config, resource_config, training_variables
from sagelocal.jobs.sandbox import CONTAINER_ML, JobSandbox
from sagelocal.jobs.store import JobStore, JobTracker
from sagelocal.jobs.xgb_container.versions import UnknownVersion, container_version
from sagelocal.storage.s3 import LocalS3

# The XGBoost containers: the open-source one of each version and the legacy first-party image.
TRAINING_IMAGES = ("sagemaker-xgboost", "xgboost")
FAILURE_REASON_MAX = 1024  # DescribeTrainingJob's FailureReason is at most 1 KB
# The algorithm logs "[12]\ttrain-logloss:0.1\tvalidation-auc:0.98"; SageMaker's metric definitions read
# these as train:logloss and validation:auc.
_METRIC = re.compile(r"\b(train|validation)-([A-Za-z0-9@_\-]+?):(-?[0-9.]+(?:[eE][-+]?[0-9]+)?)")


def check_image(image_uri: str) -> str:
    """The XGBoost container version of ``image_uri``, or JobFailed when the runtime cannot run it."""
    check_image_uri(image_uri, TRAINING_IMAGES, "training")
    try:
        return container_version(image_uri)
    except UnknownVersion as error:
        raise JobFailed(str(error)) from None


def run_training_job(settings: Settings, job_name: str, request: dict,
                     stop: Callable[[], bool] | None = None) -> dict:
    """Run one training job to the end, recorded in the job store from start to end; return its
    DescribeTrainingJob response, or raise JobFailed. ``stop()`` turning true kills it."""
    return JobStore(settings).run("Training", job_name, request,
                                  lambda tracker: _run(settings, job_name, request, tracker, stop))


def _run(settings: Settings, job_name: str, request: dict, tracker: JobTracker,
         stop: Callable[[], bool] | None) -> dict:
    version = check_image((request.get("AlgorithmSpecification") or {}).get("TrainingImage", ""))
    if not (request.get("OutputDataConfig") or {}).get("S3OutputPath"):
        raise JobFailed("OutputDataConfig.S3OutputPath is required: it is where model.tar.gz goes")
    s3 = LocalS3(settings.s3_root)
    folder = job_folder(settings.home, job_name)
    sandbox = JobSandbox(settings.job_isolation, folder, writable=("/opt/ml/input", "/opt/ml/model", "/opt/ml/output"))
    started = datetime.now(timezone.utc)

    for channel in request.get("InputDataConfig") or []:
        name = channel["ChannelName"]
        uri = ((channel.get("DataSource") or {}).get("S3DataSource") or {}).get("S3Uri")
        if not uri:
            raise JobFailed(f"channel {name!r} has no S3DataSource.S3Uri")
        if not download(s3, uri, sandbox.host(f"/opt/ml/input/data/{name}")):
            raise JobFailed(f"channel {name!r}: {uri} does not exist in local S3 ({s3.path(uri)})")
    hyperparameters = request.get("HyperParameters") or {}
    channels = input_data_config(request)
    resources = resource_config((request.get("ResourceConfig") or {}).get("InstanceType"))
    config = sandbox.host("/opt/ml/input/config")
    config.mkdir(parents=True, exist_ok=True)
    (config / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    (config / "inputdataconfig.json").write_text(json.dumps(channels))
    (config / "resourceconfig.json").write_text(json.dumps(resources))
    sandbox.host("/opt/ml/output/data").mkdir(parents=True, exist_ok=True)

    environment = {**aws_access(settings), **(request.get("Environment") or {}),
                   **training_variables(job_name, hyperparameters, channels, resources),
                   "TRAINING_JOB_NAME": job_name, "TRAINING_JOB_ARN": settings.arn("training-job", job_name.lower()),
                   "SAGELOCAL_ML_ROOT": CONTAINER_ML}
    env = base_environment(sandbox.home, {k: sandbox.seen(v) for k, v in environment.items()})
    timeout = (request.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
    algorithm = sandbox.command([sys.executable, "-m", "sagelocal.jobs.xgboost_algorithm", version])
    result = sandbox.outcome(run_process(algorithm, env, folder, timeout, tracker, stop))
    ended = datetime.now(timezone.utc)
    description = {
        **request,
        "TrainingJobName": job_name,
        "TrainingJobArn": settings.arn("training-job", job_name.lower()),
        "CreationTime": started.isoformat(),
        "TrainingStartTime": started.isoformat(),
        "TrainingEndTime": ended.isoformat(),
        "LastModifiedTime": ended.isoformat(),
        "TrainingTimeInSeconds": max(1, round((ended - started).total_seconds())),
        "ProcessSeconds": round(result.seconds, 4),
    }
    if result.returncode != 0:
        # As on SageMaker, what the container wrote to /opt/ml/output/failure is the FailureReason.
        failure_file = sandbox.host("/opt/ml/output/failure")
        failure = (sandbox.setup_failure(result)
                   or (JobFailed(failure_file.read_text(errors="replace").strip()[:FAILURE_REASON_MAX])
                       if failure_file.is_file() else None)
                   or failure_from(result, "the XGBoost algorithm"))
        failure.description = description | {"TrainingJobStatus": "Failed", "FailureReason": failure.reason}
        raise failure

    output_uri = f"{request['OutputDataConfig']['S3OutputPath'].rstrip('/')}/{job_name}/output/model.tar.gz"
    archive = folder / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(sandbox.host("/opt/ml/model").iterdir()):
            tar.add(path, arcname=path.name)
    s3.copy_in(archive, output_uri)
    return description | {
        "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed",
        "ModelArtifacts": {"S3ModelArtifacts": output_uri},
        "FinalMetricDataList": final_metrics(result.stdout, ended),
    }


def final_metrics(log: str, when: datetime) -> list[dict]:
    """The last value of every metric the algorithm logged, as DescribeTrainingJob's FinalMetricDataList."""
    last: dict[str, float] = {}
    for channel, metric, value in _METRIC.findall(log):
        last[f"{channel}:{metric}"] = float(value)
    return [{"MetricName": name, "Value": value, "Timestamp": when.isoformat()} for name, value in last.items()]
