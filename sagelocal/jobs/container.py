"""The parts every job shares: its folder, moving data between local S3 and that folder, running its process."""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sagelocal.storage.s3 import LocalS3, object_files

STDERR_TAIL_LINES = 10
STOP_POLL_SECONDS = 0.1  # how often a running job looks at its timeout and its stop request
# SageMaker retries these job failures when a RetryPolicy names them; an instance that died is the local case.
JOB_INTERNAL_ERROR = "SageMaker.JOB_INTERNAL_ERROR"


class JobFailed(Exception):
    """A job that ended Failed. ``exception_type`` is the retry class SageMaker would give it, if any."""

    def __init__(self, reason: str, exception_type: str | None = None, description: dict | None = None):
        super().__init__(reason)
        self.reason = reason
        self.exception_type = exception_type
        self.description = description or {}


@dataclass
class ProcessResult:
    returncode: int
    seconds: float
    stdout: str
    stderr_tail: str


def image_repository(image_uri: str) -> str:
    """``sagemaker-xgboost`` for ``683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.2-0``."""
    last = str(image_uri).rsplit("/", 1)[-1]
    return last.split("@", 1)[0].split(":", 1)[0]


def job_folder(home: Path, job_name: str) -> Path:
    folder = home / "jobs" / job_name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def download(s3: LocalS3, uri: str, target: Path) -> bool:
    """Copy an S3 prefix into ``target`` as SageMaker's File mode does; False when nothing is there.

    A prefix that names one object lands as ``target/<its basename>``; a folder prefix keeps the keys below it.
    """
    source = s3.path(uri)
    target.mkdir(parents=True, exist_ok=True)
    if source.is_file():
        shutil.copyfile(source, target / source.name)
        return True
    if not source.is_dir():
        return False
    files = object_files(source)
    for path in files:
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    return bool(files)


def upload(s3: LocalS3, source: Path, uri: str) -> None:
    """Copy every file under ``source`` to ``uri`` as a prefix (nothing when the job wrote nothing)."""
    if source.is_dir() and any(source.iterdir()):
        s3.copy_in(source, uri)


def run_process(argv: list[str], env: dict, cwd: Path, timeout: float | None,
                stop: threading.Event | None = None) -> ProcessResult:
    """Run the job's program with its output in ``cwd``/stdout.log and stderr.log (files: no pipe can fill up).

    The program is killed when it outlives ``timeout`` seconds or when ``stop`` is set (StopProcessingJob).
    """
    stdout_path, stderr_path = cwd / "stdout.log", cwd / "stderr.log"
    started = time.perf_counter()
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        try:
            process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        except OSError as exc:
            raise JobFailed(f"cannot start {argv[0]!r}: {exc.strerror}") from None
        while (returncode := _wait(process, STOP_POLL_SECONDS)) is None:
            reason = None
            if stop is not None and stop.is_set():
                reason = "Stopped: the job was stopped by StopProcessingJob"
            elif timeout is not None and time.perf_counter() - started > timeout:
                reason = f"MaxRuntimeExceeded: the job ran longer than {timeout:g} seconds"
            if reason:
                process.kill()
                process.wait()
                raise JobFailed(reason)
    seconds = time.perf_counter() - started
    tail = stderr_path.read_text(errors="replace").strip().splitlines()[-STDERR_TAIL_LINES:]
    return ProcessResult(returncode, seconds, stdout_path.read_text(errors="replace"), "\n".join(tail))


def _wait(process: subprocess.Popen, seconds: float) -> int | None:
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return None


def base_environment(extra: dict) -> dict:
    """The runner's environment (PATH, the venv) plus the job's own variables, all as strings."""
    return {**os.environ, **{str(k): str(v) for k, v in extra.items()}}


def failure_from(result: ProcessResult, what: str) -> JobFailed:
    if result.returncode < 0:
        # Killed by a signal: the local stand-in for an instance that died, which SageMaker may retry.
        return JobFailed(f"InternalServerError: {what} was killed by signal {-result.returncode}",
                         JOB_INTERNAL_ERROR)
    detail = result.stderr_tail or "(no output on stderr)"
    return JobFailed(f"AlgorithmError: {what} exited with status {result.returncode}:\n{detail}")

