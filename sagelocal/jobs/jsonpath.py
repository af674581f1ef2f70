"""The JSONPath subset batch transform's DataProcessing filters accept (InputFilter, OutputFilter).

SageMaker documents the operators it supports: ``$`` (the root), ``.name`` and ``['name'(,'name')]`` (children by
name), ``[n(,n)]`` (elements by index; negative counts from the end), ``[start:end]`` (a slice, end excluded),
``*`` and ``[*]`` (every child). Several children picked at once end the path: nesting below them is not supported.
An index outside the record is an error, as on SageMaker ("indexes that aren't within the dimension size").
No installed library speaks exactly this subset (negative indexes, the end rule), hence this small parser.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"""
    \.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)          # .name
  | \.\*|\[\*\](?P<star>)                        # .* or [*]
  | \[(?P<slice>-?\d*:-?\d*)\]                   # [start:end]
  | \[(?P<indexes>\s*-?\d+\s*(?:,\s*-?\d+\s*)*)\]  # [n] or [n,m]
  | \[(?P<keys>\s*'[^']*'\s*(?:,\s*'[^']*'\s*)*)\]  # ['a'] or ['a','b']
""", re.VERBOSE)


class JsonPathError(ValueError):
    """A filter that is not in the supported subset, or that does not fit the record."""


@dataclass(frozen=True)
class _Step:
    kind: str  # "key", "index", "slice" or "all"
    values: tuple = ()

    @property
    def many(self) -> bool:
        return self.kind in ("slice", "all") or len(self.values) > 1


class JsonPath:
    def __init__(self, text: str):
        self.text = text
        if not text.startswith("$"):
            raise JsonPathError(f"JSONPath {text!r} must start with '$'")
        self.steps: list[_Step] = []
        position = 1
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                raise JsonPathError(f"JSONPath {text!r}: unsupported expression at {text[position:]!r}")
            if self.steps and self.steps[-1].many:
                raise JsonPathError(f"JSONPath {text!r}: nothing may follow a selection of several children")
            self.steps.append(_step(match))
            position = match.end()

    @property
    def is_root(self) -> bool:
        return not self.steps

    def select(self, value):
        for step in self.steps:
            value = _apply(step, value, self.text)
        return value


def _step(match: re.Match) -> _Step:
    if match["name"] is not None:
        return _Step("key", (match["name"],))
    if match["slice"] is not None:
        start, _, end = match["slice"].partition(":")
        return _Step("slice", (int(start) if start else None, int(end) if end else None))
    if match["indexes"] is not None:
        return _Step("index", tuple(int(i) for i in match["indexes"].split(",")))
    if match["keys"] is not None:
        return _Step("key", tuple(k.strip()[1:-1] for k in match["keys"].split(",")))
    return _Step("all")


def _apply(step: _Step, value, text: str):
    if step.kind == "all":
        return list(value.values()) if isinstance(value, dict) else list(_as_list(value, text))
    if step.kind == "slice":
        return _as_list(value, text)[slice(*step.values)]
    if step.kind == "index":
        items = _as_list(value, text)
        for index in step.values:
            if not -len(items) <= index < len(items):
                raise JsonPathError(f"JSONPath {text!r}: index {index} is outside the record's {len(items)} "
                                    "elements")
        picked = [items[i] for i in step.values]
        return picked if step.many else picked[0]
    if not isinstance(value, dict):
        raise JsonPathError(f"JSONPath {text!r}: the record is not a JSON object")
    missing = [key for key in step.values if key not in value]
    if missing:
        raise JsonPathError(f"JSONPath {text!r}: the record has no field {missing[0]!r}")
    return {key: value[key] for key in step.values} if step.many else value[step.values[0]]


def _as_list(value, text: str) -> list:
    if not isinstance(value, list):
        raise JsonPathError(f"JSONPath {text!r}: the record is not an array")
    return value
