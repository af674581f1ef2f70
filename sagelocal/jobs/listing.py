"""List*Jobs over the shared job store: processing, training and transform jobs filtered, sorted and paged as
SageMaker does (NameContains, StatusEquals, creation and modification time bounds, SortBy Name|CreationTime|Status).
"""
from __future__ import annotations

from sagelocal.config import Settings
from sagelocal.jobs.store import JobStore
from sagelocal.paging import paginate, sorted_by_request, time_filtered, with_token

_SUMMARY_FIELDS = {
    "Processing": ("ProcessingJobName", "ProcessingJobArn", "CreationTime", "ProcessingEndTime", "LastModifiedTime",
                   "ProcessingJobStatus", "FailureReason", "ExitMessage"),
    "Training": ("TrainingJobName", "TrainingJobArn", "CreationTime", "TrainingEndTime", "LastModifiedTime",
                 "TrainingJobStatus", "SecondaryStatus"),
    "Transform": ("TransformJobName", "TransformJobArn", "CreationTime", "TransformEndTime", "LastModifiedTime",
                  "TransformJobStatus", "FailureReason"),
}


def list_jobs(jobs: JobStore, kind: str, request: dict) -> dict:
    """The List<kind>Jobs response for ``request``."""
    name, status = f"{kind}JobName", f"{kind}JobStatus"
    items = [{k: job[k] for k in _SUMMARY_FIELDS[kind] if k in job} for job in jobs.all(kind)]
    if request.get("NameContains"):
        items = [i for i in items if request["NameContains"] in i[name]]
    if request.get("StatusEquals"):
        items = [i for i in items if i[status] == request["StatusEquals"]]
    items = time_filtered(time_filtered(items, request, "CreationTime"), request, "LastModifiedTime",
                          "LastModifiedTime")
    items = sorted_by_request(items, request, {"Name": name, "CreationTime": "CreationTime", "Status": status},
                              "CreationTime")
    page, token = paginate(items, request)
    return with_token({f"{kind}JobSummaries": page}, token)


class JobListingsBackend:
    """ListTrainingJobs (ListProcessingJobs and ListTransformJobs are their jobs' backends')."""

    def __init__(self, settings: Settings):
        self.jobs = JobStore(settings)

    def list_training_jobs(self, request: dict) -> dict:
        return list_jobs(self.jobs, "Training", request)
