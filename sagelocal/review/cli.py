"""Command-line group of sagelocal.review (filled in by its room)."""


def register(subparsers) -> None:
    subparsers.add_parser("review", help="(not yet available)")
