"""Record and block every network attempt of this process (the SDK reference's socket guard).

Import it first in a subprocess (``python -c "import netguard; ..."``) or call ``install()``; loopback
stays allowed so local servers can be tested, anything else raises and is recorded.
"""
from __future__ import annotations

import sys

ATTEMPTS: list[tuple[str, object]] = []
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _is_loopback(target) -> bool:
    host = target[0] if isinstance(target, tuple) else target
    return isinstance(host, (str, bytes)) and (host.decode() if isinstance(host, bytes) else host) in _LOOPBACK


def _hook(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname"):
        target = args[1] if event == "socket.connect" else args[0]
        if event == "socket.connect" and isinstance(target, str):  # AF_UNIX paths
            return
        if _is_loopback(target):
            return
        ATTEMPTS.append((event, target))
        raise OSError(f"network blocked: {event} {target!r}")


_installed = False


def install() -> None:
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True
