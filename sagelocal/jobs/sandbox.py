"""Each job in a sandbox of its own, made with bubblewrap (``bwrap``): it sees SageMaker's paths where the
containers have them, and it can write nowhere but in its own folder.

A job's folder holds ``ml/``, which stands for the container's ``/opt/ml``. In the sandbox:

- the host's filesystem is there read-only, ``/opt`` without ``/opt/ml``;
- the job's own parts of ``ml/`` are bound at their real paths (``/opt/ml/processing``, ``/opt/ml/model``, ...),
  writable, its configuration files read-only; the rest of ``/opt/ml`` and of the root is read-only;
- ``/tmp`` is the folder's ``tmp/`` (private, on disk, and the working directory); ``/dev`` and ``/proc`` are the
  sandbox's own (a pid namespace of its own: when the job's first process ends, everything it started ends);
- the network is the host's, so the job reaches the local server on loopback;
- the job runs in a user namespace with no capabilities, as the same user as the runtime: even root inside
  cannot remount what is read-only.

Where namespaces cannot be made (a container that forbids them, unprivileged user namespaces turned off), the job
fails with a reason that says so and how to run without isolation: ``SAGELOCAL_JOB_ISOLATION=none``. Then the job
is a plain subprocess, the /opt/ml paths in its arguments and environment are rewritten to its folder, and a
script that writes /opt/ml/... literally fails as on a machine without /opt/ml.
"""
from __future__ import annotations

import dataclasses
import os
import re
import shutil
import sys
from pathlib import Path, PurePosixPath

from sagelocal.jobs.container import RUNTIME_CODE, JobFailed, ProcessResult

BUBBLEWRAP = "bubblewrap"
NO_ISOLATION = "none"
ISOLATION_VARIABLE = "SAGELOCAL_JOB_ISOLATION"
CONTAINER_ML = "/opt/ml"
HOST_NAME = "algo-1"  # SageMaker's name for a job's first (here: only) instance
_CONTAINER_ML_PATH = re.compile(re.escape(CONTAINER_ML) + r"(?![\w.-])")
_SIGNALLED, _LAST_SIGNAL = 128, 64  # bubblewrap's exit status for a job killed by signal N is 128 + N
_SANDBOX_OWN = frozenset({"dev", "proc", "tmp"})  # top-level folders the sandbox makes its own
_WITHOUT_ISOLATION = (f"set {ISOLATION_VARIABLE}=none to run jobs without isolation (each job is then a plain "
                      "subprocess that finds its folder only through the /opt/ml paths in its arguments and "
                      "environment, and can write wherever the runtime's user can)")


class JobSandbox:
    """How one job sees its folder: the parts of /opt/ml it may write, those it may only read, and its /tmp."""

    def __init__(self, isolation: str, folder: Path, writable: tuple[str, ...], read_only: tuple[str, ...] = ()):
        if isolation not in (BUBBLEWRAP, NO_ISOLATION):
            raise JobFailed(f"{ISOLATION_VARIABLE}={isolation!r} is not a job isolation: use {BUBBLEWRAP!r} (the "
                            f"default) or {NO_ISOLATION!r}")
        self.isolated = isolation == BUBBLEWRAP
        self.folder = folder
        self._writable, self._read_only = writable, read_only
        for path in (*writable, *read_only):
            self.host(path).mkdir(parents=True, exist_ok=True)
        (folder / "tmp").mkdir(exist_ok=True)

    def host(self, container_path: str) -> Path:
        """The host path behind ``container_path`` (a path under /opt/ml)."""
        return self.folder.joinpath("ml", *PurePosixPath(container_path).relative_to(CONTAINER_ML).parts)

    def seen(self, text) -> str:
        """``text`` with its /opt/ml paths as the job's process finds them: unchanged in the sandbox, the folder's
        ``ml/`` without isolation."""
        if self.isolated:
            return str(text)
        return _CONTAINER_ML_PATH.sub(lambda _: str(self.folder / "ml"), str(text))

    @property
    def home(self) -> str:
        """``HOME``: root's, as in SageMaker's containers (read-only here), or the job's folder without isolation."""
        return "/root" if self.isolated else str(self.folder)

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` run in the sandbox (``argv`` itself without isolation)."""
        if not self.isolated:
            return argv
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise JobFailed("ClientError: jobs run isolated with bubblewrap, which is not installed: install it "
                            f"(apt-get install bubblewrap), or {_WITHOUT_ISOLATION}")
        args = [bwrap, "--unshare-user", "--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try",
                "--hostname", HOST_NAME, "--cap-drop", "ALL", *_host_read_only(),
                "--dev", "/dev", "--proc", "/proc", "--bind", str(self.folder / "tmp"), "/tmp"]
        for path in _runtime_under_tmp():  # the interpreter and the runtime's code, even when they live in /tmp
            args += ["--ro-bind", path, path]
        for path in self._writable:
            args += ["--bind", str(self.host(path)), path]
        for path in self._read_only:
            args += ["--ro-bind", str(self.host(path)), path]
        return [*args, "--remount-ro", "/opt", "--remount-ro", "/", "--chdir", "/tmp", "--", *argv]

    def outcome(self, result: ProcessResult) -> ProcessResult:
        """``result`` with the job's own exit status: bubblewrap reports a job killed by signal N as 128 + N
        (as a shell does), which stands here for the signal itself, as a bare subprocess reports it."""
        if self.isolated and _SIGNALLED < result.returncode <= _SIGNALLED + _LAST_SIGNAL:
            return dataclasses.replace(result, returncode=_SIGNALLED - result.returncode)
        return result

    def setup_failure(self, result: ProcessResult) -> JobFailed | None:
        """Why the sandbox could not be made, when bubblewrap gave up before the job ran (status 1 and its one
        ``bwrap: ...`` line); None otherwise."""
        lines = result.stderr_tail.splitlines()
        if not self.isolated or result.returncode != 1 or len(lines) != 1 or not lines[0].startswith("bwrap: "):
            return None
        return JobFailed(f"ClientError: the job's sandbox could not be made ({lines[0]}). Jobs run in namespaces of "
                         "their own made with bubblewrap; where this machine does not allow them (a container "
                         "without user namespaces, kernel.unprivileged_userns_clone=0, user.max_user_namespaces=0), "
                         f"{_WITHOUT_ISOLATION}")


def _host_read_only() -> list[str]:
    """bubblewrap's arguments that show the host's filesystem read-only, with a ``/opt`` of the sandbox's own that
    holds the host's ``/opt`` entries but ``ml``: the job's binds go there, and /opt/ml need not exist on the host.

    The host's root is bound whole (one mount: the cheapest); a host without /opt has no mount point for that
    ``/opt``, so there each top-level entry is bound into the sandbox's own root instead.
    """
    has_opt = os.path.isdir("/opt") and not os.path.islink("/opt")
    if has_opt:
        args = ["--ro-bind", "/", "/"]
    else:
        top = sorted(os.scandir("/"), key=lambda e: e.name)
        args = [arg for entry in top if entry.name not in _SANDBOX_OWN for arg in _read_only(entry)]
    args += ["--tmpfs", "/opt"]
    for entry in sorted(os.scandir("/opt"), key=lambda e: e.name) if has_opt else ():
        args += [] if entry.name == "ml" else _read_only(entry)
    return args


def _runtime_under_tmp() -> list[str]:
    """The folders of the interpreter and of the runtime's code that the job's own /tmp would hide."""
    folders = {sys.prefix, sys.base_prefix, str(Path(sys.executable).resolve().parents[1]), RUNTIME_CODE}
    return sorted(folder for folder in folders if folder.startswith("/tmp/"))


def _read_only(entry: os.DirEntry) -> list[str]:
    if entry.is_symlink():
        return ["--symlink", os.readlink(entry.path), entry.path]
    return ["--ro-bind", entry.path, entry.path]
