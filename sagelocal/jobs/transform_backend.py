"""CreateTransformJob, DescribeTransformJob, ListTransformJobs, StopTransformJob.

As for processing jobs: a created job is recorded InProgress in the shared job store at once and runs in a
background thread (:func:`sagelocal.jobs.transform.run_transform_job`); StopTransformJob marks it Stopping and
the job stops before its next request to the model. Describe and List also answer for the jobs of pipeline
Transform steps, which write the same store.
"""
from __future__ import annotations

from sagelocal.config import Settings
from sagelocal.jobs.background import start_in_background
from sagelocal.jobs.listing import list_jobs
from sagelocal.jobs.models import model_container
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
        model_container(self.settings, request["ModelName"])  # a missing model is refused now, as on AWS
        description = start_in_background(self.jobs, "Transform", name,
                                          {k: v for k, v in request.items() if k != "Tags"},
                                          lambda: run_transform_job(self.settings, name, request))
        return {"TransformJobArn": description["TransformJobArn"]}

    def describe_transform_job(self, request: dict) -> dict:
        description = self.jobs.describe("Transform", request["TransformJobName"])
        return {k: v for k, v in description.items() if k not in _NOT_DESCRIBED}

    def list_transform_jobs(self, request: dict) -> dict:
        return list_jobs(self.jobs, "Transform", request)

    def stop_transform_job(self, request: dict) -> dict:
        self.jobs.request_stop("Transform", request["TransformJobName"])
        return {}
