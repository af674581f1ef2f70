"""The parts every job shares: its folder, moving data between local S3 and that folder, running its process."""
from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import sagelocal
from sagelocal.jobs.image_registries import REGISTRY_ACCOUNTS
from sagelocal.jobs.processes import kill_group
from sagelocal.storage.s3 import LocalS3, object_files

STDERR_TAIL_LINES = 10
STOP_POLL_SECONDS = 0.1  # how often a running job looks at its timeout and its stop request
# SageMaker retries these job failures when a RetryPolicy names them; an instance that died is the local case.
JOB_INTERNAL_ERROR = "SageMaker.JOB_INTERNAL_ERROR"
# ProcessingJobName's and TrainingJobName's pattern in the sagemaker service model (a test holds them equal).
JOB_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
# SageMaker's images, as image_uris.retrieve() spells them: 683313688378.dkr.ecr.us-east-1.amazonaws.com/
# sagemaker-xgboost:1.7-1, ...amazonaws.com.cn/... in China, a tag or a digest.
ECR_IMAGE = re.compile(r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.(?P<domain>amazonaws\.com(\.cn)?)/"
                       r"(?P<repository>[a-z0-9][a-z0-9._-]*)(:[A-Za-z0-9._-]{1,128}|@sha256:[0-9a-f]{64})?")
JOB_MARKER = ".sagelocal-job"  # written in every job folder the runtime makes, and required before removing one
# What a job's process may see of the machine: a fixed PATH (the venv's interpreter first), a UTF-8 locale and
# nothing of the server's own environment (its AWS keys, tokens, anything else it was started with).
RUNTIME_CODE = str(Path(sagelocal.__file__).resolve().parents[1])
_JOB_PATH = os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"])


class JobFailed(Exception):
    """A job that ended Failed. ``exception_type`` is the retry class SageMaker would give it, if any."""

    def __init__(self, reason: str, exception_type: str | None = None, description: dict | None = None):
        super().__init__(reason)
        self.reason = reason
        self.exception_type = exception_type
        self.description = description or {}


class JobStopped(JobFailed):
    """The job was killed because a stop was asked (StopProcessingJob, StopPipelineExecution)."""


@dataclass
class ProcessResult:
    returncode: int
    seconds: float
    stdout: str
    stderr_tail: str


def image_refusal(image_uri: str, runnable: tuple[str, ...], what: str) -> str | None:
    """Why ``image_uri`` cannot run offline, or None when it is one of SageMaker's own images the runtime runs.

    SageMaker's images live in one AWS account per region and repository (``REGISTRY_ACCOUNTS``): the same
    repository name in any other account is someone else's image, whatever its last segment says.
    """
    uri = ECR_IMAGE.fullmatch(str(image_uri))
    if uri is None or uri["repository"] not in runnable:
        return (f"image {image_uri} cannot run offline (runnable {what} images: SageMaker's "
                f"<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag] for {', '.join(runnable)})")
    repository, region = uri["repository"], uri["region"]
    accounts = REGISTRY_ACCOUNTS[repository]
    if region not in accounts:
        return f"image {image_uri} cannot run offline: SageMaker publishes no {repository} image in region {region}"
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    if uri["domain"] != domain:
        return f"image {image_uri} cannot run offline: the ECR registries of region {region} are under {domain}"
    if uri["account"] != accounts[region]:
        return (f"image {image_uri} cannot run offline: SageMaker's {repository} images in {region} are in "
                f"account {accounts[region]}, not {uri['account']}")
    return None


def check_image_uri(image_uri: str, runnable: tuple[str, ...], what: str) -> None:
    """Accept only one of SageMaker's own images whose repository the runtime can run (see image_refusal)."""
    if reason := image_refusal(image_uri, runnable, what):
        raise JobFailed(reason)


def image_repository(image_uri: str) -> str:
    """``sagemaker-xgboost`` for ``683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.2-0``."""
    last = str(image_uri).rsplit("/", 1)[-1]
    return last.split("@", 1)[0].split(":", 1)[0]


def check_job_name(job_name: str) -> None:
    """AWS's own rule for job names, which also keeps a name from naming any path but its own folder."""
    if not isinstance(job_name, str) or not JOB_NAME.fullmatch(job_name):
        raise JobFailed(f"1 validation error detected: Value {job_name!r} at 'jobName' failed to satisfy constraint: "
                        f"Member must satisfy regular expression pattern: {JOB_NAME.pattern}")


def job_folder(home: Path, job_name: str) -> Path:
    """A fresh ``home/jobs/<job_name>`` standing for the job's /opt/ml.

    The name must be a valid job name (so it cannot be ``..``, hold a ``/`` or be absolute), and the folder
    must resolve inside ``home/jobs``. A folder already there is removed only when it carries the marker this
    function writes: the runtime deletes nothing it did not create for a job.
    """
    check_job_name(job_name)
    jobs = (home / "jobs").resolve()
    folder = jobs / job_name
    if folder.resolve().parent != jobs:
        raise JobFailed(f"the folder of job {job_name!r} would be outside {jobs}")
    if folder.is_symlink() or (folder.exists() and not (folder / JOB_MARKER).is_file()):
        raise JobFailed(f"{folder} exists and was not made by sagelocal for a job: it is left as it is")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / JOB_MARKER).write_text(job_name)
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


def run_process(argv: list[str], env: dict, cwd: Path, timeout: float | None, tracker=None,
                stop: Callable[[], bool] | None = None) -> ProcessResult:
    """Run the job's program with its output in ``cwd``/stdout.log and stderr.log (files: no pipe can fill up).

    The program leads its own process group, as a container holds all a job starts: the whole group is killed
    when the job outlives ``timeout`` seconds, when a stop is asked (``tracker.stop_requested()`` or ``stop()``),
    when the runner itself is interrupted, and when the program ends (what it left running ends with it).
    ``tracker`` (a :class:`~sagelocal.jobs.store.JobTracker`) records the process so a crash can be settled.
    """
    stdout_path, stderr_path = cwd / "stdout.log", cwd / "stderr.log"
    started = time.perf_counter()
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        try:
            process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        except OSError as exc:
            raise JobFailed(f"cannot start {argv[0]!r}: {exc.strerror}") from None
        # Readable once the process has ended: its end is seen at once, not at the next poll.
        ended = os.pidfd_open(process.pid)
        try:
            if tracker is not None:
                tracker.process_started(process.pid)
            while (returncode := _wait(process, ended, STOP_POLL_SECONDS)) is None:
                if (tracker is not None and tracker.stop_requested()) or (stop is not None and stop()):
                    raise JobStopped("Stopped: a stop was requested")
                if timeout is not None and time.perf_counter() - started > timeout:
                    raise JobFailed(f"MaxRuntimeExceeded: the job ran longer than {timeout:g} seconds")
        finally:
            os.close(ended)
            kill_group(process.pid)
            process.wait()
    seconds = time.perf_counter() - started
    tail = stderr_path.read_text(errors="replace").strip().splitlines()[-STDERR_TAIL_LINES:]
    return ProcessResult(returncode, seconds, stdout_path.read_text(errors="replace"), "\n".join(tail))


def _wait(process: subprocess.Popen, ended: int, seconds: float) -> int | None:
    """The exit status, waiting at most ``seconds`` for the process's pidfd ``ended`` to say it has ended."""
    waiting = select.poll()  # poll, not select: select() refuses descriptors numbered over 1023
    waiting.register(ended, select.POLLIN)
    waiting.poll(seconds * 1000)
    return process.poll()


def base_environment(home: Path, extra: dict) -> dict:
    """A job's whole environment: PATH, a UTF-8 locale, ``HOME`` in the job's own folder, the runtime's code on
    PYTHONPATH (the analyzer and the algorithm are modules of it), and the job's own variables, all as strings."""
    return {"PATH": _JOB_PATH, "LANG": "C.UTF-8", "HOME": str(home), "PYTHONPATH": RUNTIME_CODE,
            **{str(k): str(v) for k, v in extra.items()}}


def failure_from(result: ProcessResult, what: str) -> JobFailed:
    if result.returncode < 0:
        # Killed by a signal: the local stand-in for an instance that died, which SageMaker may retry.
        return JobFailed(f"InternalServerError: {what} was killed by signal {-result.returncode}",
                         JOB_INTERNAL_ERROR)
    detail = result.stderr_tail or "(no output on stderr)"
    return JobFailed(f"AlgorithmError: {what} exited with status {result.returncode}:\n{detail}")

