"""CreateTransformJob, DescribeTransformJob, ListTransformJobs, StopTransformJob.

As for processing jobs: a created job is recorded InProgress in the shared job store at once and runs in a
background thread (:func:`sagelocal.jobs.transform.run_transform_job`); StopTransformJob marks it Stopping and
the job stops before its next request to the model. Describe and List also answer for the jobs of pipeline
Transform steps, which write the same store.
"""
from __future__ import annotations

import threading

from sagelocal.config import Settings
from sagelocal.errors import ValidationError
from sagelocal.jobs.models import model_container
from sagelocal.jobs.container import JobFailed, check_job_name
from sagelocal.jobs.listing import list_jobs
from sagelocal.jobs.store import JobStore
from sagelocal.jobs.transform import run_transform_job

# What DescribeTransformJob has that the request does not: the rest is the request as given (less its Tags).
_NOT_DESCRIBED = ("Tags", "LastModifiedTime")


class TransformJobsBackend:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.jobs = JobStore(settings)

    def create_transform_job(self, request: dict) -> dict:
        name = request["TransformJobName"]
        try:
            check_job_name(name)
        except JobFailed as failure:
            raise ValidationError(failure.reason) from None
        model_container(self.settings, request["ModelName"])  # a missing model is refused now, as on AWS
        description = self.jobs.start_job("Transform", name, {k: v for k, v in request.items() if k != "Tags"})
        threading.Thread(target=self._run, args=(name, request), name=f"transform-job-{name}", daemon=True).start()
        return {"TransformJobArn": description["TransformJobArn"]}

    def describe_transform_job(self, request: dict) -> dict:
        description = self.jobs.describe("Transform", request["TransformJobName"])
        return {k: v for k, v in description.items() if k not in _NOT_DESCRIBED}

    def list_transform_jobs(self, request: dict) -> dict:
        return list_jobs(self.jobs, "Transform", request)

    def stop_transform_job(self, request: dict) -> dict:
        self.jobs.request_stop("Transform", request["TransformJobName"])
        return {}

    def _run(self, name: str, request: dict) -> None:
        """The job's thread. The job store records how it ended, whatever happens."""
        try:
            run_transform_job(self.settings, name, request)
        except JobFailed:
            pass  # recorded as the job's FailureReason (or Stopped), which is where a client reads it
