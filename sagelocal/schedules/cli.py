"""Commands for monitoring schedules: ``run-schedule NAME --now`` and ``executions``.

They work on the home's state directly (no server needed). ``add_commands(subparsers)`` adds them to any
argparse group (meant for ``sagelocal monitor``); ``python -m sagelocal.schedules ...`` runs them standalone.
"""
from __future__ import annotations

import argparse
import json
import os

from sagelocal.errors import UserError


def add_commands(subparsers) -> None:
    run = subparsers.add_parser("run-schedule", help="run a monitoring schedule's execution now")
    run.add_argument("name", help="MonitoringScheduleName")
    run.add_argument("--now", action="store_true", required=True,
                     help="analyse the window that ends now (the only mode: scheduled runs are the server's)")
    run.set_defaults(handler=_run_schedule)
    listing = subparsers.add_parser("executions", help="list monitoring executions and where their reports are")
    listing.add_argument("--schedule", help="only this schedule's executions")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(handler=_executions)


def _backend():
    from sagelocal.config import Settings
    from sagelocal.hosting import HostingBackend
    from sagelocal.registry import RegistryBackend
    from sagelocal.schedules import SchedulesBackend

    settings = Settings.from_env()
    return SchedulesBackend(settings, HostingBackend(settings, RegistryBackend(settings)))


def _run_schedule(args) -> int:
    from sagelocal.errors import ServiceError

    try:
        report = _backend().run_now(args.name)
    except ServiceError as error:
        raise UserError(error.message) from None
    _print([report])
    return 0 if report["MonitoringExecutionStatus"] != "Failed" else 1


def _executions(args) -> int:
    reports = _backend().execution_reports(args.schedule)
    if args.json:
        print(json.dumps(reports, default=str, indent=2))
    else:
        _print(reports)
    return 0


def _print(reports: list[dict]) -> None:
    if not reports:
        print("no monitoring executions")
    for r in reports:
        violations = ", ".join(f"{k}={v}" for k, v in sorted(r["Violations"].items())) or "-"
        where = f"{r['ReportUri']}/report.html" if r["ReportUri"] else r.get("FailureReason", "")
        print(f"{r['ScheduledTime']:%Y-%m-%dT%H:%M:%SZ}  {r['MonitoringScheduleName']}  "
              f"{r['MonitoringExecutionStatus']:<24} violations: {violations}  {where}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sagelocal.schedules")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    os.umask(0o077)  # reports and state are the owner's only, as with ``sagelocal``
    try:
        return args.handler(args)
    except UserError as error:
        print(f"sagelocal: error: {error}")
        return 2
