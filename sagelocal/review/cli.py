"""``sagelocal review``: reviewer accounts for the worker portal."""
from __future__ import annotations


def register(subparsers) -> None:
    group = subparsers.add_parser("review", help="human review (A2I): reviewer accounts for the worker portal")
    commands = group.add_subparsers(dest="command", metavar="COMMAND", required=True)
    workers = commands.add_parser("workers", help="reviewer accounts").add_subparsers(
        dest="workers_command", metavar="COMMAND", required=True)

    add = workers.add_parser("add", help="create a reviewer in a workteam and print a one-time password")
    add.add_argument("name", help="the reviewer's sign-in name")
    add.add_argument("--team", required=True, help="the private workteam (CreateWorkteam's WorkteamName)")
    add.set_defaults(handler=_add)

    listing = workers.add_parser("list", help="list reviewers and their user groups")
    listing.set_defaults(handler=_list)


def _reviewers():
    from sagelocal.config import Settings
    from sagelocal.review.reviewers import Reviewers
    from sagelocal.review.store import open_database

    return Reviewers(open_database(Settings.from_env()))


def _add(args) -> int:
    password = _reviewers().add(args.name, args.team)
    print(f"reviewer {args.name} added to workteam {args.team}")
    print(f"one-time password (shown only now, stored hashed): {password}")
    return 0


def _list(args) -> int:
    rows = _reviewers().list()
    for row in rows:
        print(f"{row['name']:<24} worker id {row['worker_id']}  groups: {row['groups'] or '-'}")
    if not rows:
        print("no reviewers yet (add one with: sagelocal review workers add NAME --team TEAM)")
    return 0
