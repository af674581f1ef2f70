"""The one way to build a path from names a request or a definition supplies: never outside its root.

Names are checked against AWS's patterns at the API, but paths are also built from names that come from
pipeline definitions, S3 keys and job requests run by the engine. Joining through :func:`contained` means
no name (``..``, ``../s3``, an absolute path, a symlink out) can make the runtime write or delete outside
the folder it meant.
"""
from __future__ import annotations

from pathlib import Path

from sagelocal.errors import ValidationError


class OutsideRoot(ValidationError):
    """A name would put a path outside (or at) the folder it must stay strictly inside."""


def contained(root: Path | str, *names: str) -> Path:
    """``root/names...`` resolved; raise :class:`OutsideRoot` unless it lies strictly inside ``root``.

    ``root`` itself is refused too: deleting or replacing "the job folder" must never mean the jobs folder.
    """
    base = Path(root).resolve()
    for name in names:
        if not isinstance(name, str) or not name or "\0" in name:
            raise OutsideRoot(f"{name!r} is not a usable file or folder name")
    path = base.joinpath(*names).resolve()
    if base not in path.parents:
        raise OutsideRoot(f"{'/'.join(names)!r} leads outside {base}")
    return path
