"""CreateProcessingJob, DescribeProcessingJob, ListProcessingJobs, StopProcessingJob (and DescribeTrainingJob).

A created job is recorded InProgress in the shared :class:`JobStore` and runs in a background thread with
:func:`run_processing_job`, as AWS answers CreateProcessingJob at once and the job runs on its own instance.
StopProcessingJob marks any InProgress job Stopping; the thread running it kills its process group.
Describe and List read the same store, so they also answer for the jobs pipeline steps and monitoring
executions ran.
"""
from __future__ import annotations

import threading

from sagelocal.config import Settings
from sagelocal.errors import ValidationError
from sagelocal.jobs.container import JobFailed, check_job_name
from sagelocal.jobs.processing import run_processing_job
from sagelocal.jobs.store import JobStore
from sagelocal.paging import paginate, sorted_by_request, time_filtered, with_token

_SUMMARY_FIELDS = ("ProcessingJobName", "ProcessingJobArn", "CreationTime", "ProcessingEndTime", "LastModifiedTime",
                   "ProcessingJobStatus", "FailureReason", "ExitMessage")
_SORT_FIELDS = {"Name": "ProcessingJobName", "CreationTime": "CreationTime", "Status": "ProcessingJobStatus"}


class ProcessingJobsBackend:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.jobs = JobStore(settings)
        # Jobs a crashed runtime left running end now, as AWS would show them, and their processes with them.
        self.jobs.settle_interrupted()

    def create_processing_job(self, request: dict) -> dict:
        name = request["ProcessingJobName"]
        try:
            check_job_name(name)
        except JobFailed as failure:
            raise ValidationError(failure.reason) from None
        description = self.jobs.start_job("Processing", name, request)
        threading.Thread(target=self._run, args=(name, request), name=f"processing-job-{name}", daemon=True).start()
        return {"ProcessingJobArn": description["ProcessingJobArn"]}

    def describe_processing_job(self, request: dict) -> dict:
        return self.jobs.describe("Processing", request["ProcessingJobName"])

    def describe_training_job(self, request: dict) -> dict:
        return self.jobs.describe("Training", request["TrainingJobName"])

    def list_processing_jobs(self, request: dict) -> dict:
        items = [{k: job[k] for k in _SUMMARY_FIELDS if k in job} for job in self.jobs.all("Processing")]
        if request.get("NameContains"):
            items = [i for i in items if request["NameContains"] in i["ProcessingJobName"]]
        if request.get("StatusEquals"):
            items = [i for i in items if i["ProcessingJobStatus"] == request["StatusEquals"]]
        items = time_filtered(time_filtered(items, request, "CreationTime"), request, "LastModifiedTime",
                              "LastModifiedTime")
        items = sorted_by_request(items, request, _SORT_FIELDS, "CreationTime")
        page, token = paginate(items, request)
        return with_token({"ProcessingJobSummaries": page}, token)

    def stop_processing_job(self, request: dict) -> dict:
        """Any InProgress job, whoever started it (this server, a pipeline step, a monitoring execution)."""
        self.jobs.request_stop("Processing", request["ProcessingJobName"])
        return {}

    def _run(self, name: str, request: dict) -> None:
        """The job's thread. The job store records how it ended, whatever happens."""
        try:
            run_processing_job(self.settings, name, request)
        except JobFailed:
            pass  # recorded as the job's FailureReason (or Stopped), which is where a client reads it
