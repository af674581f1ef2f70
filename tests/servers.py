"""A real ``sagelocal`` server for tests, started in a thread on a free loopback port."""
from __future__ import annotations

from pathlib import Path

from sagelocal.api.background import BackgroundServer


class LocalServer(BackgroundServer):
    """A real ``sagelocal`` server on a free loopback port, with boto3 clients signed by its key. Jobs it runs
    reach it (its settings carry its endpoint)."""

    def client(self, service: str):
        import boto3
        from botocore.config import Config

        from sagelocal.credentials import client_kwargs

        return boto3.client(service, config=Config(retries={"max_attempts": 1}),
                            **client_kwargs(self.settings, self.url))


def start_local_server(home: Path, **settings_options) -> LocalServer:
    """Start the app in a thread with uvicorn on a free port and wait until it accepts connections."""
    from sagelocal.config import Settings

    return LocalServer(Settings(home=home, **settings_options)).start()
