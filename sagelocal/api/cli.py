"""Command-line group of sagelocal.api (filled in by its room)."""


def register(subparsers) -> None:
    subparsers.add_parser("serve", help="(not yet available)")
