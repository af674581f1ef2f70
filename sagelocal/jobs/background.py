"""Create*Job on the server: the job is recorded InProgress and answered at once, and runs in a thread of its own."""
from __future__ import annotations

import threading
from typing import Callable

from sagelocal.errors import ValidationError
from sagelocal.jobs.container import JobFailed, check_job_name
from sagelocal.jobs.store import JobStore


def start_in_background(jobs: JobStore, kind: str, name: str, recorded: dict, run: Callable[[], None]) -> dict:
    """Check the job's name, record the job (``recorded`` is the request its description shows), start ``run`` in
    a thread; return the description. How the job ends is in the job store, which is where a client reads it."""
    try:
        check_job_name(name)
    except JobFailed as failure:
        raise ValidationError(failure.reason) from None
    description = jobs.start_job(kind, name, recorded)
    threading.Thread(target=_recorded, args=(run,), name=f"{kind.lower()}-job-{name}", daemon=True).start()
    return description


def _recorded(run: Callable[[], None]) -> None:
    try:
        run()
    except JobFailed:
        pass  # recorded as the job's FailureReason (or Stopped)
