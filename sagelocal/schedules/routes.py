"""The server side of schedules: the scheduler thread and the ``/metrics`` page.

``/metrics`` needs the server's credentials, like every other route: HTTP Basic with the access key id as
user and the secret as password (Prometheus ``basic_auth``), or ``Authorization: Bearer <secret>``.
The scheduler checks for due executions every ``SAGELOCAL_SCHEDULER_TICK`` seconds (default 10).
"""
from __future__ import annotations

import base64
import hmac
import logging
import os
import threading

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from sagelocal.schedules.metrics import render

log = logging.getLogger(__name__)


class Scheduler:
    """A daemon thread that runs due executions until stopped."""

    def __init__(self, backend, tick: float):
        self.backend, self.tick = backend, tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="monitoring-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.tick):
            try:
                self.backend.run_due()
            except Exception:  # a bad schedule must not stop the others' next fires
                log.exception("monitoring scheduler: run_due failed")


def _authorised(request: Request, key) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer":
        return hmac.compare_digest(credentials.strip(), key.secret_access_key)
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(credentials).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(user, key.access_key_id) & hmac.compare_digest(password, key.secret_access_key)
    return False


def install(app, backend, run_scheduler: bool = True) -> None:
    if run_scheduler:
        scheduler = Scheduler(backend, float(os.environ.get("SAGELOCAL_SCHEDULER_TICK", "10")))
        app.router.on_startup.append(scheduler.start)
        app.router.on_shutdown.append(scheduler.stop)

    async def metrics(request: Request) -> PlainTextResponse:
        if not _authorised(request, app.state.access_key):
            return PlainTextResponse("Unauthorized: use the server's credentials (basic auth or bearer secret)\n",
                                     status_code=401, headers={"WWW-Authenticate": 'Basic realm="sagelocal"'})
        latest = {}
        for report in backend.execution_reports():
            if report["MonitoringExecutionStatus"] != "InProgress":
                latest.setdefault(report["MonitoringScheduleName"], report)
        return PlainTextResponse(render(list(latest.values()), backend.hosting.capture_drops.counts()),
                                 media_type="text/plain; version=0.0.4")

    app.router.routes.insert(0, Route("/metrics", metrics, methods=["GET"]))
