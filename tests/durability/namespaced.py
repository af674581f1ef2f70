"""Test helper: ``sagelocal serve`` in a mount namespace of its own, so that a test can give its home a small
disk (a size-limited tmpfs) or make it read-only (a read-only bind mount) for the server alone, as root can.

The test reaches the server's view of the home through ``/proc/<pid>/root``; ``settings`` points there.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from hosting.process import ServerProcess

from sagelocal.config import Settings


def namespaces_work() -> bool:
    """Whether this machine lets us make a mount namespace and mount in it (root, unshare, not blocked)."""
    if not shutil.which("unshare") or not shutil.which("nsenter"):
        return False
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "mount", "-t", "tmpfs", "tmpfs", "/mnt"],
                           capture_output=True)
    return probe.returncode == 0


class NamespacedServer(ServerProcess):
    """The server with ``setup`` (a shell command run inside its new mount namespace) before it starts."""

    def __init__(self, home: Path, setup: str = "true"):
        home.mkdir(parents=True, exist_ok=True)
        super().__init__(home)
        self.home = home
        self.setup = setup

    def command(self) -> list[str]:
        return ["unshare", "-m", "--propagation", "private", "sh", "-c", f'{self.setup} && exec "$0" "$@"',
                sys.executable, "-m", "sagelocal", "serve", "--port", str(self.port)]

    def start(self, timeout: float = 30) -> "NamespacedServer":
        super().start(timeout)
        # unshare and sh exec the server: the process we started is the server, in its namespace.
        self.settings = Settings(home=self.view(self.home))
        return self

    def view(self, path: Path) -> Path:
        """``path`` as the server sees it."""
        return Path(f"/proc/{self.process.pid}/root") / path.relative_to("/")

    def in_namespace(self, *command: str) -> None:
        subprocess.run(["nsenter", "-t", str(self.process.pid), "-m", "--", *command], check=True,
                       capture_output=True)
