"""Shared test helpers: where AWS's real artifacts are, and a guard that fails on any network attempt."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """``../shared/fixtures``: real AWS artifacts, read where they are, never copied."""
    assert FIXTURES.is_dir(), f"missing {FIXTURES}: CI keeps shared/ beside the checkout"
    return FIXTURES


@pytest.fixture
def sagelocal_home(tmp_path, monkeypatch) -> Path:
    """A fresh runtime home (local S3 and SQLite stores) for one test."""
    home = tmp_path / "sagelocal-home"
    monkeypatch.setenv("SAGELOCAL_HOME", str(home))
    return home


class LocalServer:
    """A real ``sagelocal`` server on a free loopback port, with boto3 clients signed by its key."""

    def __init__(self, settings, app, server, thread):
        self.settings, self.app, self._server, self._thread = settings, app, server, thread
        self.url = f"http://127.0.0.1:{server.config.port}"

    def client(self, service: str):
        import boto3
        from botocore.config import Config

        from sagelocal.api.credentials import client_kwargs

        return boto3.client(service, config=Config(retries={"max_attempts": 1}),
                            **client_kwargs(self.settings, self.url))

    def stop(self):
        self._server.should_exit = True
        self._thread.join(timeout=10)


def start_local_server(home: Path) -> LocalServer:
    """Start the app in a thread with uvicorn on a free port and wait until it accepts connections."""
    import socket
    import threading
    import time

    import uvicorn

    from sagelocal.api.app import create_app
    from sagelocal.config import Settings

    settings = Settings(home=home)
    app = create_app(settings)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("local server did not start")
        time.sleep(0.02)
    return LocalServer(settings, app, server, thread)


@pytest.fixture
def local_server(tmp_path):
    server = start_local_server(tmp_path / "server-home")
    yield server
    server.stop()
