"""``GET /metrics``: the latest monitoring results and capture drops, for Prometheus.

The page needs the server's credentials, like every other route: HTTP Basic with the access key id as user and
the secret as password (Prometheus ``basic_auth``), or ``Authorization: Bearer <secret>``.
"""
from __future__ import annotations

import base64
import hmac

from starlette.requests import Request
from starlette.responses import PlainTextResponse

from sagelocal.schedules.metrics import render


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


def metrics_handler(backend, access_key):
    """The page over ``backend`` (the SchedulesBackend), open to whoever holds ``access_key``."""

    async def metrics(request: Request) -> PlainTextResponse:
        if not _authorised(request, access_key):
            return PlainTextResponse("Unauthorized: use the server's credentials (basic auth or bearer secret)\n",
                                     status_code=401, headers={"WWW-Authenticate": 'Basic realm="sagelocal"'})
        latest = {}
        for report in backend.execution_reports():
            if report["MonitoringExecutionStatus"] != "InProgress":
                latest.setdefault(report["MonitoringScheduleName"], report)
        return PlainTextResponse(render(list(latest.values()), backend.hosting.capture_drops.counts()),
                                 media_type="text/plain; version=0.0.4")

    return metrics
