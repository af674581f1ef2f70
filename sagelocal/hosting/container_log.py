"""An endpoint variant's container log, ``$SAGELOCAL_HOME/endpoints/<endpoint>/<variant>.log``: what the serving
container would print (the model it loaded, the errors it answered). CloudWatch Logs serves it as the stream
``<variant>/<instance id>`` of ``/aws/sagemaker/Endpoints/<endpoint>`` (see :mod:`sagelocal.logs.sources`)."""
from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path


class ContainerLog:
    def __init__(self, home: Path, endpoint: str, variant: str):
        self.path = home / "endpoints" / endpoint / f"{variant}.log"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def write(self, message: str) -> None:
        flat = " ".join(message.split("\n"))  # one log event per entry
        line = f"{datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%S.%fZ} {flat}\n"
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
