"""AWS's model patterns are Java regular expressions; compile them with Python's ``re``.

Most patterns mean the same in both. The differences that occur in botocore's sagemaker, sagemaker-runtime
and sagemaker-a2i-runtime models are translated here: ``\\p{L}``-style Unicode categories and POSIX classes
(``\\p{Alnum}``, ``\\p{ASCII}``, ``\\p{Print}``), which ``re`` lacks; surrogate pairs written as two
``\\uXXXX`` escapes, which Java reads as one code point; ``\\z``; and ``${1,128}`` (a quantified end anchor
Java accepts and ``re`` refuses: a zero-width match repeated is still that match). A pattern using any other
``\\p{...}`` raises, so a new model cannot silently change what is accepted (a test compiles every one).

Java's ``Matcher.matches()`` requires the whole value to match, so callers use :meth:`re.Pattern.fullmatch`.
"""
from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

# Java's POSIX classes are ASCII-only unless UNICODE_CHARACTER_CLASS is set (AWS does not set it).
_POSIX = {"Alnum": "a-zA-Z0-9", "Alpha": "a-zA-Z", "Digit": "0-9", "ASCII": "\\x00-\\x7f",
          "Print": "\\x20-\\x7e", "Graph": "\\x21-\\x7e", "Space": " \\t\\n\\x0b\\f\\r"}
_SURROGATE_PAIR = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE)
_PROPERTY = re.compile(r"\\p\{(\w+)\}")
_QUANTIFIED_END = re.compile(r"\$\{\d+(,\d*)?\}")


@lru_cache(maxsize=None)
def _unicode_categories() -> dict[str, str]:
    """Class bodies (``\\U...-\\U...`` ranges) of each major Unicode category, from one pass over unicodedata.

    Built on first use only (about 0.3 s): a handful of tag and description patterns need it.
    """
    runs: dict[str, list[str]] = {}
    start, current = 0, unicodedata.category("\0")[0]
    for code in range(1, sys.maxunicode + 2):
        major = unicodedata.category(chr(code))[0] if code <= sys.maxunicode else None
        if major != current:
            runs.setdefault(current, []).append(f"\\U{start:08x}-\\U{code - 1:08x}")
            start, current = code, major
    return {major: "".join(parts) for major, parts in runs.items()}


def _class_body(name: str) -> str:
    if name in _POSIX:
        return _POSIX[name]
    categories = _unicode_categories()
    if name in categories:
        return categories[name]
    raise ValueError(f"no Python translation for the Java class \\p{{{name}}}")


def _join_surrogates(match: re.Match) -> str:
    high, low = int(match[1], 16), int(match[2], 16)
    return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08x}"


def _replace_properties(pattern: str) -> str:
    """``\\p{X}`` → its ranges inside a character class, ``[ranges]`` outside one."""
    out, position, in_class = [], 0, False
    while position < len(pattern):
        char = pattern[position]
        if char == "\\":
            match = _PROPERTY.match(pattern, position)
            if match:
                body = _class_body(match[1])
                out.append(body if in_class else f"[{body}]")
                position = match.end()
                continue
            out.append(pattern[position:position + 2])
            position += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        position += 1
    return "".join(out)


@lru_cache(maxsize=None)
def compile_java(pattern: str) -> re.Pattern:
    """The Python equivalent of a Java pattern from an AWS model; use ``fullmatch`` as Java's ``matches``."""
    translated = _SURROGATE_PAIR.sub(_join_surrogates, pattern)
    translated = _QUANTIFIED_END.sub("$", translated.replace("\\z", "\\Z"))
    return re.compile(_replace_properties(translated))
