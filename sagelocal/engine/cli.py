"""Command-line group of sagelocal.engine (filled in by its room)."""


def register(subparsers) -> None:
    subparsers.add_parser("pipeline", help="(not yet available)")
