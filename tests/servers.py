"""A real ``sagelocal`` server for tests, started in a thread on a free loopback port."""
from __future__ import annotations

from pathlib import Path


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


def start_local_server(home: Path, **settings_options) -> LocalServer:
    """Start the app in a thread with uvicorn on a free port and wait until it accepts connections."""
    import socket
    import threading
    import time

    import uvicorn

    from sagelocal.api.app import create_app
    from sagelocal.api.guard import server_config
    from sagelocal.config import Settings

    settings = Settings(home=home, **settings_options)
    app = create_app(settings)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(server_config(app, "127.0.0.1", port, settings.read_timeout, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("local server did not start")
        time.sleep(0.02)
    return LocalServer(settings, app, server, thread)
