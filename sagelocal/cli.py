"""``sagelocal``: one command, one sub-command group per room.

Each room's ``cli`` module has ``register(subparsers)``, which adds its group and sets ``handler`` on the
parsed arguments. Handlers return an exit status. Rooms import their heavy dependencies inside handlers so
that ``sagelocal --help`` and the fast paths stay fast.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from sagelocal import __version__
from sagelocal.errors import UserError

COMMAND_GROUPS = (
    "sagelocal.engine.cli",
    "sagelocal.monitor.cli",
    "sagelocal.api.cli",
    "sagelocal.review.cli",
)
# Commands a room adds to another room's group: scheduled monitoring executions are listed under
# ``sagelocal monitor`` but belong to the schedules room, which the monitor library must not import.
GROUP_EXTENSIONS = {"sagelocal.monitor.cli": "sagelocal.schedules.cli"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sagelocal", description="Run a SageMaker project offline: pipelines, "
                                     "endpoints with data capture, Model Monitor and A2I human review.")
    parser.add_argument("--version", action="version", version=f"sagelocal {__version__}")
    # Commands that run jobs (``sagelocal pipeline run``) start a server for the jobs' own AWS calls: it is handed
    # to them from here, the layer above the HTTP one, as the rooms below must not import the server.
    parser.set_defaults(local_server=_local_server)
    subparsers = parser.add_subparsers(dest="group", metavar="COMMAND", required=True)
    for module in COMMAND_GROUPS:
        commands = importlib.import_module(module).register(subparsers)
        if module in GROUP_EXTENSIONS:
            importlib.import_module(GROUP_EXTENSIONS[module]).add_commands(commands)
    return parser


def _local_server(settings):
    """The local server on a free loopback port, without the schedules (the command's own jobs are all it serves)."""
    from sagelocal.api.background import BackgroundServer

    return BackgroundServer(settings, schedules=False)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Everything the runtime and its jobs write (state, local S3, capture, logs, reports) is the owner's only.
    os.umask(0o077)
    try:
        return int(args.handler(args) or 0)
    except UserError as exc:
        print(f"sagelocal: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
