"""Command-line group of sagelocal.monitor (filled in by its room)."""


def register(subparsers) -> None:
    subparsers.add_parser("monitor", help="(not yet available)")
