"""``sagelocal review``: reviewer accounts for the worker portal."""
from __future__ import annotations



def _print_one_time(password: str) -> None:
    print(f"one-time password (shown only now, stored hashed): {password}")
    print("it works for one sign-in within 7 days; the portal then asks the reviewer to choose a password")


def register(subparsers) -> None:
    group = subparsers.add_parser("review", help="human review (A2I): reviewer accounts for the worker portal")
    commands = group.add_subparsers(dest="command", metavar="COMMAND", required=True)
    workers = commands.add_parser("workers", help="reviewer accounts").add_subparsers(
        dest="workers_command", metavar="COMMAND", required=True)

    add = workers.add_parser("add", help="create a reviewer in a workteam and print a one-time password")
    add.add_argument("name", help="the reviewer's sign-in name")
    add.add_argument("--team", required=True, help="the private workteam (CreateWorkteam's WorkteamName)")
    add.set_defaults(handler=_add)

    reset = workers.add_parser("reset", help="give a reviewer a new one-time password and sign it out everywhere")
    reset.add_argument("name", help="the reviewer's sign-in name")
    reset.set_defaults(handler=_reset)

    remove = workers.add_parser("remove", help="delete a reviewer: its sessions end, the tasks it holds go back "
                                               "to the queue, its submitted answers stay")
    remove.add_argument("name", help="the reviewer's sign-in name")
    remove.set_defaults(handler=_remove)

    listing = workers.add_parser("list", help="list reviewers, their user pool, groups and password state")
    listing.set_defaults(handler=_list)


def _reviewers():
    from sagelocal.config import Settings
    from sagelocal.review.reviewers import Reviewers
    from sagelocal.review.store import open_database

    return Reviewers(open_database(Settings.from_env()))


def _add(args) -> int:
    password = _reviewers().add(args.name, args.team)
    print(f"reviewer {args.name} added to workteam {args.team}")
    _print_one_time(password)
    return 0


def _reset(args) -> int:
    password = _reviewers().reset(args.name)
    print(f"reviewer {args.name}: old password revoked, every session signed out")
    _print_one_time(password)
    return 0


def _remove(args) -> int:
    _reviewers().remove(args.name)
    print(f"reviewer {args.name} removed")
    return 0


def _password_state(expires: str | None) -> str:
    from sagelocal.clock import as_utc_datetime
    from sagelocal.review.store import now

    if expires is None:
        return "password set"
    if expires <= now():
        return "one-time password expired (reset it)"
    return f"one-time password until {as_utc_datetime(expires).astimezone():%Y-%m-%d %H:%M}"


def _list(args) -> int:
    rows = _reviewers().list()
    for row in rows:
        print(f"{row['name']:<24} worker id {row['worker_id']}  pool {row['user_pool'] or '-'}  "
              f"groups: {row['groups'] or '-'}  {_password_state(row['password_expires'])}")
    if not rows:
        print("no reviewers yet (add one with: sagelocal review workers add NAME --team TEAM)")
    return 0
