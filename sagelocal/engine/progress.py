"""Per-step progress of a run: redrawn in place on a terminal, one plain line per change otherwise."""
from __future__ import annotations

import sys
import threading
import time

_MARKS = {"Waiting": " ", "Executing": ">", "Succeeded": "+", "Failed": "x", "Stopped": "!", "NotExecuted": "-"}


class Progress:
    def __init__(self, stream=None, live: bool | None = None):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self._lock = threading.Lock()
        self._rows: dict[str, list] = {}  # name -> [status, detail, started, ended]
        self._drawn = 0
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def start(self, step_names: list[str]) -> None:
        self._rows = {name: ["Waiting", "", None, None] for name in step_names}
        if self.live:
            self._draw()
            # The clock of running steps keeps moving between events.
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def update(self, name: str, status: str, detail: str = "") -> None:
        with self._lock:
            row = self._rows.setdefault(name, ["Waiting", "", None, None])
            now = time.monotonic()
            if status == "Executing":
                row[2] = now
            elif row[2] is not None:
                row[3] = now
            row[0], row[1] = status, detail
            if not self.live:
                self.stream.write(self._line(name, row) + "\n")
                self.stream.flush()
        if self.live:
            self._draw()

    def finish(self) -> None:
        self._stop.set()
        if self._ticker:
            self._ticker.join()
        if self.live:
            self._draw()

    def _tick(self) -> None:
        while not self._stop.wait(0.25):
            self._draw()

    def _draw(self) -> None:
        with self._lock:
            up = f"\x1b[{self._drawn}F" if self._drawn else ""
            lines = [f"\x1b[2K{self._line(name, row)}" for name, row in self._rows.items()]
            self.stream.write(up + "\n".join(lines) + "\n")
            self.stream.flush()
            self._drawn = len(lines)

    @staticmethod
    def _line(name: str, row: list) -> str:
        status, detail, started, ended = row
        seconds = "" if started is None else f"{(ended or time.monotonic()) - started:6.1f}s"
        first_line = detail.splitlines()[0] if detail else ""
        return f"[{_MARKS.get(status, '?')}] {name:<28} {status:<12} {seconds:>7}  {first_line}"[:160].rstrip()
