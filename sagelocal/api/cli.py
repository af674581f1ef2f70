"""``sagelocal serve``: the local server that boto3 clients talk to with ``endpoint_url``."""
from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser("serve", help="start the local AWS-compatible server on 127.0.0.1")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: loopback only)")
    parser.add_argument("--port", type=int, default=8080)
    parser.set_defaults(handler=_serve)


def _serve(args) -> int:
    import uvicorn

    from sagelocal.api.app import create_app
    from sagelocal.api.credentials import credentials_path
    from sagelocal.api.guard import server_config
    from sagelocal.config import Settings

    settings = Settings.from_env()
    app = create_app(settings)
    print(f"sagelocal serving on http://{args.host}:{args.port} (credentials: {credentials_path(settings)}, "
          "profile sagelocal)", flush=True)
    server = uvicorn.Server(server_config(app, args.host, args.port, settings.read_timeout, log_level="warning"))
    server.run()
    return 0 if server.started else 1  # not started: the port was taken (uvicorn has logged why)
