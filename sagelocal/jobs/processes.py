"""Which process is which, across a crash: a pid plus the time the kernel started it.

A pid alone is not an identity: once its process is gone the kernel hands the number to another one. The start
time (``/proc/<pid>/stat`` field 22, in clock ticks since boot) tells the process we recorded from a stranger
that got its pid, so the runtime never kills, or waits on, a process that is not its own.
"""
from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path


def _start_ticks(pid: int) -> int | None:
    """When the process started (clock ticks since boot), or None when there is no such process (or only its
    zombie, which runs nothing and which a container's init may never reap)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in ("Z", "X") else int(fields[19])


@dataclass(frozen=True)
class ProcessId:
    pid: int
    started: int

    @classmethod
    def of(cls, pid: int) -> "ProcessId | None":
        started = _start_ticks(pid)
        return None if started is None else cls(pid, started)

    @classmethod
    def current(cls) -> "ProcessId":
        return cls.of(os.getpid())

    @classmethod
    def parse(cls, text: str | None) -> "ProcessId | None":
        """The form :meth:`__str__` writes (``pid:started``); None for a missing value."""
        if not text:
            return None
        pid, started = str(text).split(":")
        return cls(int(pid), int(started))

    def __str__(self) -> str:
        return f"{self.pid}:{self.started}"

    def alive(self) -> bool:
        return _start_ticks(self.pid) == self.started

    def kill_group(self) -> None:
        """SIGKILL the process group this process leads (a job's whole tree), if it is still the one we started."""
        if self.alive():
            kill_group(self.pid)


def kill_group(leader: int) -> None:
    """SIGKILL every process left in the group ``leader`` started; nothing when the group is gone."""
    try:
        os.killpg(leader, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def interrupted(recorded_owner: str | None, what: str) -> str | None:
    """None while the runtime process recorded as running ``what`` is alive; once it is gone, the FailureReason
    of the ``what`` it left mid-flight."""
    owner = ProcessId.parse(recorded_owner)
    if owner is not None and owner.alive():
        return None
    name = f"pid {owner.pid}" if owner else "unknown: an older version"
    return f"InternalServerError: the sagelocal process that ran this {what} ({name}) ended before it finished"
