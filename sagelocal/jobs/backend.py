"""CreateProcessingJob, DescribeProcessingJob, ListProcessingJobs, StopProcessingJob (and DescribeTrainingJob).

A created job is recorded InProgress in the shared :class:`JobStore` and runs in a background thread with
:func:`run_processing_job`, as AWS answers CreateProcessingJob at once and the job runs on its own instance.
StopProcessingJob marks any InProgress job Stopping; the thread running it kills its process group.
Describe and List read the same store, so they also answer for the jobs pipeline steps and monitoring
executions ran.
"""
from __future__ import annotations

from sagelocal.config import Settings
from sagelocal.jobs.background import start_in_background
from sagelocal.jobs.listing import list_jobs
from sagelocal.jobs.processing import run_processing_job
from sagelocal.jobs.store import JobStore
from sagelocal.storage.sqlite import start_up


class ProcessingAndTrainingJobsBackend:
    """The processing job operations, and DescribeTrainingJob for the training jobs a pipeline's steps ran."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.jobs = JobStore(settings)
        # Jobs a crashed runtime left running end now, as AWS would show them, and their processes with them.
        start_up(self.jobs.settle_interrupted)

    def create_processing_job(self, request: dict) -> dict:
        name = request["ProcessingJobName"]
        description = start_in_background(self.jobs, "Processing", name, request,
                                          lambda: run_processing_job(self.settings, name, request))
        return {"ProcessingJobArn": description["ProcessingJobArn"]}

    def describe_processing_job(self, request: dict) -> dict:
        return self.jobs.describe("Processing", request["ProcessingJobName"])

    def describe_training_job(self, request: dict) -> dict:
        return self.jobs.describe("Training", request["TrainingJobName"])

    def list_processing_jobs(self, request: dict) -> dict:
        return list_jobs(self.jobs, "Processing", request)

    def stop_processing_job(self, request: dict) -> dict:
        """Any InProgress job, whoever started it (this server, a pipeline step, a monitoring execution)."""
        self.jobs.request_stop("Processing", request["ProcessingJobName"])
        return {}
