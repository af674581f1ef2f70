"""The origin (``scheme://host:port``) a client reached the server at, for the few answers that carry an absolute
URL or host name (a task UI's template URL, a workteam's SubDomain). The HTTP layer sets it per request; backends
read it without knowing about HTTP. Outside a request it is the default local server address.
"""
from __future__ import annotations

from contextvars import ContextVar

DEFAULT = "http://127.0.0.1:8080"
_ORIGIN: ContextVar[str] = ContextVar("sagelocal_request_origin", default=DEFAULT)


def remember(scheme: str, host: str) -> None:
    if host:
        _ORIGIN.set(f"{scheme}://{host}")


def current() -> str:
    return _ORIGIN.get()


def host() -> str:
    """``host:port`` of the current origin."""
    return current().split("://", 1)[-1]
