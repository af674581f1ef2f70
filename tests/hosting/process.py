"""Test helper: ``sagelocal serve`` as a real subprocess (so it can be SIGKILLed), with boto3 clients."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sagelocal.config import Settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    def __init__(self, home: Path, port: int | None = None):
        self.settings = Settings(home=home)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> "ServerProcess":
        env = dict(os.environ, SAGELOCAL_HOME=str(self.settings.home))
        # The server's log goes to a file: a pipe nobody reads would block the server once it filled up.
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(self.command(), env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError("server did not start listening")

    def log_text(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def command(self) -> list[str]:
        return [sys.executable, "-m", "sagelocal", "serve", "--port", str(self.port)]

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def client(self, service: str):
        import boto3
        from botocore.config import Config

        from sagelocal.credentials import client_kwargs

        return boto3.client(service, config=Config(retries={"max_attempts": 1}),
                            **client_kwargs(self.settings, self.url))
