"""CloudWatch Logs filter patterns for unstructured events: terms and quoted phrases (all must appear),
``?term`` alternatives (any must appear), ``-term`` exclusions, and ``%regex%``. Matching is case-sensitive,
as on AWS. JSON (``{ $.x = ... }``) and space-delimited (``[a, b]``) patterns are refused by name.
"""
from __future__ import annotations

import re
import shlex
from typing import Callable

from sagelocal.errors import ServiceError


class InvalidParameter(ServiceError):
    code = "InvalidParameterException"


def compile_pattern(pattern: str | None) -> Callable[[str], bool]:
    text = (pattern or "").strip()
    if not text:
        return lambda message: True
    if text[0] in "{[":
        kind = "JSON" if text[0] == "{" else "space-delimited"
        raise InvalidParameter(f"{kind} filter patterns are not supported by sagelocal; use terms, \"phrases\", "
                               "?alternatives, -exclusions or %regex%")
    if len(text) > 1 and text[0] == text[-1] == "%":
        try:
            regex = re.compile(text[1:-1])
        except re.error as error:
            raise InvalidParameter(f"Invalid regex in filter pattern {text!r}: {error}") from None
        return lambda message: regex.search(message) is not None
    try:
        terms = shlex.split(text, posix=True)
    except ValueError:
        raise InvalidParameter(f"Invalid character(s) in term {text!r}") from None
    anyof = [t[1:] for t in terms if t.startswith("?") and len(t) > 1]
    excluded = [t[1:] for t in terms if t.startswith("-") and len(t) > 1]
    required = [t for t in terms if t[:1] not in ("?", "-") or len(t) == 1]

    def matches(message: str) -> bool:
        if anyof and not any(t in message for t in anyof):
            return False
        return all(t in message for t in required) and not any(t in message for t in excluded)

    return matches
