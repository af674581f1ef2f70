"""CreateProcessingJob, DescribeProcessingJob, ListProcessingJobs, StopProcessingJob (and DescribeTrainingJob).

A created job is recorded InProgress in the shared :class:`JobStore` and runs in a background thread with
:func:`run_processing_job`, as AWS answers CreateProcessingJob at once and the job runs on its own instance.
Describe and List read the same store, so they also answer for the jobs pipeline steps and monitoring
executions ran.
"""
from __future__ import annotations

import threading

from sagelocal.config import Settings
from sagelocal.errors import ValidationError
from sagelocal.jobs.container import JobFailed
from sagelocal.jobs.listing import list_jobs
from sagelocal.jobs.processing import run_processing_job
from sagelocal.jobs.store import JobStore


class ProcessingJobsBackend:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.jobs = JobStore(settings)
        self._stops: dict[str, threading.Event] = {}  # the jobs this process runs, by name
        self._lock = threading.Lock()

    def create_processing_job(self, request: dict) -> dict:
        name = request["ProcessingJobName"]
        description = self.jobs.start_processing_job(name, request)
        stop = threading.Event()
        with self._lock:
            self._stops[name] = stop
        threading.Thread(target=self._run, args=(name, request, stop), name=f"processing-job-{name}",
                         daemon=True).start()
        return {"ProcessingJobArn": description["ProcessingJobArn"]}

    def describe_processing_job(self, request: dict) -> dict:
        return self.jobs.describe("Processing", request["ProcessingJobName"])

    def describe_training_job(self, request: dict) -> dict:
        return self.jobs.describe("Training", request["TrainingJobName"])

    def list_processing_jobs(self, request: dict) -> dict:
        return list_jobs(self.jobs, "Processing", request)

    def stop_processing_job(self, request: dict) -> dict:
        name = request["ProcessingJobName"]
        status = self.jobs.describe("Processing", name)["ProcessingJobStatus"]
        with self._lock:
            stop = self._stops.get(name)
        if status != "InProgress" or stop is None:
            raise ValidationError(f"The processing job {name} is {status}: only an InProgress job that "
                                  "CreateProcessingJob started on this server can be stopped.")
        self.jobs.update_processing_job(name, {"ProcessingJobStatus": "Stopping"})
        stop.set()
        return {}

    def _run(self, name: str, request: dict, stop: threading.Event) -> None:
        """The job's thread: run it, then record how it ended (never leave it InProgress)."""
        try:
            result = run_processing_job(self.settings, name, request, stop=stop)
            ended = {k: v for k, v in result.items() if k not in ("CreationTime", "ProcessingStartTime")}
        except JobFailed as failure:
            ended = {k: v for k, v in failure.description.items() if k == "ExitMessage"}
            ended |= ({"ProcessingJobStatus": "Stopped"} if stop.is_set()
                      else {"ProcessingJobStatus": "Failed", "FailureReason": failure.reason})
        except Exception as error:  # a bug or a bad path must still end the job, with the reason
            ended = {"ProcessingJobStatus": "Failed",
                     "FailureReason": f"InternalServerError: {type(error).__name__}: {getattr(error, 'message', error)}"}
        self.jobs.update_processing_job(name, ended)
        with self._lock:
            self._stops.pop(name, None)
