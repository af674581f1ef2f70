"""The local server in a thread of the current process, on a free loopback port: what a command that runs jobs
(``sagelocal pipeline run``) starts so that the jobs' own AWS calls have a server to reach, and stops after."""
from __future__ import annotations

import dataclasses
import socket
import threading
import time

from sagelocal.config import Settings

START_TIMEOUT_SECONDS = 10


class BackgroundServer:
    """The app on 127.0.0.1:<free port>. ``settings`` are the given ones with ``endpoint_url`` set to it, so jobs
    run with them (and by the server's own backends) get its endpoint."""

    def __init__(self, settings: Settings, schedules: bool = True):
        import uvicorn

        from sagelocal.api.app import create_app
        from sagelocal.api.guard import server_config

        self._socket = socket.create_server(("127.0.0.1", 0))
        port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.settings = dataclasses.replace(settings, endpoint_url=self.url)
        self.app = create_app(self.settings, schedules=schedules)
        self._server = uvicorn.Server(server_config(self.app, "127.0.0.1", port, settings.read_timeout,
                                                    log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name="sagelocal-server", daemon=True)

    def start(self) -> "BackgroundServer":
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the local server on {self.url} did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=START_TIMEOUT_SECONDS)
        self._socket.close()

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
