"""The scheduler thread: checks for due executions every ``SAGELOCAL_SCHEDULER_TICK`` seconds (default 10)."""
from __future__ import annotations

import logging
import os
import threading

log = logging.getLogger(__name__)


class Scheduler:
    """A daemon thread that runs due executions until stopped."""

    def __init__(self, backend, tick: float | None = None):
        self.backend = backend
        self.tick = float(os.environ.get("SAGELOCAL_SCHEDULER_TICK", "10")) if tick is None else tick
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
