"""Where log streams come from: files the runtime already writes, named as SageMaker names their streams.

- a processing or training job's ``stdout.log`` and ``stderr.log`` in its folder ``$SAGELOCAL_HOME/jobs/<job>``
  (see :func:`sagelocal.jobs.container.run_process`) are the stream ``<job>/algo-1-<epoch seconds of its
  start>`` of ``/aws/sagemaker/ProcessingJobs`` or ``/aws/sagemaker/TrainingJobs``, as on AWS, where one stream
  per instance holds the container's stdout and stderr; the job folder's paths read as the container's
  (``/opt/ml/processing``, ``/opt/ml/output``, ``/opt/ml`` for training);
- an endpoint variant's container log ``$SAGELOCAL_HOME/endpoints/<endpoint>/<variant>.log`` (written by
  :mod:`sagelocal.hosting.container_log`) is the stream ``<variant>/<instance id>`` of
  ``/aws/sagemaker/Endpoints/<endpoint>``.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sagelocal.config import Settings
from sagelocal.jobs.store import JobStore

JOB_GROUPS = {"Processing": "/aws/sagemaker/ProcessingJobs", "Training": "/aws/sagemaker/TrainingJobs",
              "Transform": "/aws/sagemaker/TransformJobs"}
ENDPOINT_GROUP_PREFIX = "/aws/sagemaker/Endpoints/"
_JOB_OUTPUTS = ("stdout.log", "stderr.log")
_TERMINAL = ("Completed", "Failed", "Stopped")


@dataclass(frozen=True)
class Source:
    group: str
    stream: str
    files: tuple[Path, ...]
    creation_ms: int
    final: bool  # nothing more will be written: a last line without a newline is complete
    rewrites: tuple[tuple[str, str], ...] = ()  # (local path, container path) replaced in every line


def job_sources(settings: Settings) -> list[Source]:
    sources = []
    store = JobStore(settings)
    for kind in ("Processing", "Training"):
        for job in store.all(kind):
            name = job[f"{kind}JobName"]
            folder = settings.home / "jobs" / name
            if not folder.is_dir():
                continue  # a job that ran no process (a monitoring execution's, a failed start) has no output
            created = job["CreationTime"]
            rewrites = ((f"{folder}/processing", "/opt/ml/processing"), (f"{folder}/output", "/opt/ml/output"),
                        (f"{folder}/ml", "/opt/ml"))
            sources.append(Source(JOB_GROUPS[kind], f"{name}/algo-1-{int(created.timestamp())}",
                                  tuple(folder / f for f in _JOB_OUTPUTS), int(created.timestamp() * 1000),
                                  job.get(f"{kind}JobStatus") in _TERMINAL, rewrites))
    return sources


def endpoint_log_path(settings: Settings, endpoint: str, variant: str) -> Path:
    return settings.home / "endpoints" / endpoint / f"{variant}.log"


def instance_id(endpoint: str, variant: str) -> str:
    """A stable EC2-style instance id for the variant's one instance."""
    return "i-" + hashlib.sha256(f"{endpoint}/{variant}".encode()).hexdigest()[:17]


def endpoint_sources(settings: Settings) -> list[Source]:
    sources = []
    root = settings.home / "endpoints"
    for path in sorted(root.glob("*/*.log")) if root.is_dir() else []:
        endpoint, variant = path.parent.name, path.stem
        created = int(path.stat().st_ctime * 1000)
        sources.append(Source(ENDPOINT_GROUP_PREFIX + endpoint, f"{variant}/{instance_id(endpoint, variant)}",
                              (path,), created, False))
    return sources


def all_sources(settings: Settings) -> list[Source]:
    return job_sources(settings) + endpoint_sources(settings)
