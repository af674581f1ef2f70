"""``sagelocal serve``: the local server that boto3 clients talk to with ``endpoint_url``."""
from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser("serve", help="start the local AWS-compatible server on 127.0.0.1")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: loopback only)")
    parser.add_argument("--port", type=int, default=8080)
    parser.set_defaults(handler=_serve)


def _serve(args) -> int:
    import dataclasses

    import uvicorn

    from sagelocal.api.app import create_app
    from sagelocal.credentials import credentials_path
    from sagelocal.api.guard import server_config
    from sagelocal.config import Settings

    # Jobs the server runs reach it on the address it listens on (loopback when it listens on every address).
    settings = dataclasses.replace(Settings.from_env(), endpoint_url=f"http://{_reachable(args.host)}:{args.port}")
    app = create_app(settings)
    _keep_freed_memory()
    print(f"sagelocal serving on http://{args.host}:{args.port} (credentials: {credentials_path(settings)}, "
          "profile sagelocal)", flush=True)
    server = uvicorn.Server(server_config(app, args.host, args.port, settings.read_timeout, log_level="warning"))
    server.run()
    return 0 if server.started else 1  # not started: the port was taken (uvicorn has logged why)


def _keep_freed_memory() -> None:
    """Have glibc keep the memory uploads free for the next ones, rather than give it back to the system.

    A large body passes through megabyte-sized buffers; by default glibc maps each anew (and unmaps it when freed)
    and trims the heap's free top, so every upload faults in fresh, zeroed pages again (dearer still on a VM that
    hands freed memory back to its host). Buffers below 32 MiB come from the heap instead, and up to 256 MiB of it
    is kept free for reuse.
    """
    import ctypes

    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # glibc's; other C libraries go their own way
    if mallopt is not None:
        mallopt(-1, 256 * 1024 * 1024)  # M_TRIM_THRESHOLD
        mallopt(-3, 32 * 1024 * 1024)  # M_MMAP_THRESHOLD


def _reachable(host: str) -> str:
    """How a local client names the server that listens on ``host``."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host
