"""The constraints AWS checks on every request, read from botocore's own service models.

botocore's ParamValidator checks types and required members only. AWS also checks each member against the
``pattern``, ``min``/``max`` (length of strings, blobs, lists and maps; value of numbers) and ``enum`` its
model carries, and answers ValidationException listing every failure, counted:

    2 validation errors detected: Value '..' at 'processingJobName' failed to satisfy constraint: Member must
    satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}; Value null at 'roleArn' failed to
    satisfy constraint: Member must not be null

Member paths are AWS's: lower-camel member names joined by dots, list items as ``name.1.member`` (from 1).
Values of shapes the model marks sensitive are not echoed back. These checks are what keep names such as
``..`` or ``a/b`` from ever reaching code that builds a path from them.
"""
from __future__ import annotations

from sagelocal.validation.java_regex import compile_java

_NUMBERS = frozenset({"integer", "long", "float", "double"})
# One checker per botocore shape object, built on first use (service models live as long as the server).
_CHECKERS: dict[int, object] = {}
# Each string shape remembers up to this many values that passed, of at most this length.
_REMEMBERED_VALUES = 1024
_REMEMBERED_LENGTH = 256


def constraint_errors(shape, value, path: str = "") -> list[str]:
    """Every constraint ``value`` breaks, as AWS words each one; [] when it fits ``shape``."""
    errors: list[str] = []
    _checker(shape)(value, path, errors)
    return errors


def summary(errors: list[str]) -> str:
    """AWS's message for a list of constraint failures."""
    count = len(errors)
    return f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(errors)


def _checker(shape):
    checker = _CHECKERS.get(id(shape))
    if checker is None:
        build = _BUILDERS.get(shape.type_name)
        checker = _CHECKERS[id(shape)] = build(shape) if build else _no_constraints
    return checker


def _no_constraints(value, path, errors) -> None:
    pass


def _failure(shape, value, path: str, constraint: str) -> str:
    if shape.metadata.get("sensitive"):
        shown = " "
    else:
        shown = " null " if value is None else f" '{_java_text(value)}' "
    return f"Value{shown}at '{path}' failed to satisfy constraint: {constraint}"


def _java_text(value) -> str:
    """How Java's toString shows the value in AWS's messages."""
    if isinstance(value, list):
        return "[" + ", ".join(_java_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_java_text(item)}" for key, item in value.items()) + "}"
    return str(value)


def _java_length(text: str) -> int:
    """A Java string's length: UTF-16 code units, so a character beyond the BMP counts twice."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _structure(shape):
    camel = {name: name[:1].lower() + name[1:] for name in shape.members}
    required = [(name, camel[name]) for name in shape.required_members]

    def check(value, path, errors):
        if not isinstance(value, dict):
            return
        members = shape.members
        for name, item in value.items():
            member = members.get(name)
            if member is not None and item is not None:  # unknown members are botocore's type check's concern
                _checker(member)(item, f"{path}.{camel[name]}" if path else camel[name], errors)
        for name, camel_name in required:
            if value.get(name) is None:
                errors.append(_failure(members[name], None, f"{path}.{camel_name}" if path else camel_name,
                                       "Member must not be null"))
    return check


def _string(shape):
    metadata = shape.metadata
    length = _bounds(shape) if "min" in metadata or "max" in metadata else None
    enum = metadata.get("enum")
    allowed = frozenset(enum) if enum else None
    pattern = metadata.get("pattern")
    fullmatch = compile_java(pattern).fullmatch if pattern is not None else None

    # Values seen to pass: the same names (an endpoint, a content type) come back on every request.
    passed: set[str] = set()

    def check(value, path, errors):
        if not isinstance(value, str) or value in passed:
            return
        before = len(errors)
        if length is not None:
            length(value, _java_length(value), path, errors)
        if allowed is not None and value not in allowed:
            errors.append(_failure(shape, value, path, f"Member must satisfy enum value set: [{', '.join(enum)}]"))
        if fullmatch is not None and fullmatch(value) is None:
            errors.append(_failure(shape, value, path, f"Member must satisfy regular expression pattern: {pattern}"))
        if len(errors) == before and len(value) <= _REMEMBERED_LENGTH:
            if len(passed) >= _REMEMBERED_VALUES:
                passed.clear()
            passed.add(value)
    return check


def _bounds(shape, measured: str = "length"):
    """The check of the shape's ``min``/``max`` on a measure of the value: its length, or (numbers) its value."""
    low, high = shape.metadata.get("min"), shape.metadata.get("max")

    def check(value, measure, path, errors):
        if low is not None and measure < low:
            errors.append(_failure(shape, value, path, f"Member must have {measured} greater than or equal to {low}"))
        if high is not None and measure > high:
            errors.append(_failure(shape, value, path, f"Member must have {measured} less than or equal to {high}"))
    return check


def _number(shape):
    bounds = _bounds(shape, "value")

    def check(value, path, errors):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            bounds(value, value, path, errors)
    return check


def _sized(shape, kind, check_items):
    """Lists, maps and blobs: the length bounds, then ``check_items`` on the contents."""
    length = _bounds(shape)

    def check(value, path, errors):
        if isinstance(value, kind):
            length(value, len(value), path, errors)
            check_items(value, path, errors)
    return check


def _list(shape):
    def check_items(value, path, errors):
        item_checker = _checker(shape.member)
        for index, item in enumerate(value, 1):
            item_checker(item, f"{path}.{index}.member", errors)
    return _sized(shape, list, check_items)


def _map(shape):
    """AWS words a map's failures per side: ``Map keys must satisfy constraint: [Member must ...]``."""
    def check_items(value, path, errors):
        for side, side_shape, items in (("keys", shape.key, value.keys()), ("value", shape.value, value.values())):
            broken = []
            for item in items:
                for failure in constraint_errors(side_shape, item, path):
                    constraint = failure.split("failed to satisfy constraint: ", 1)[1]
                    if constraint not in broken:
                        broken.append(constraint)
            if broken:
                errors.append(_failure(shape, value, path, f"Map {side} must satisfy constraint: "
                                                           f"[{', '.join(broken)}]"))
    return _sized(shape, dict, check_items)


def _blob(shape):
    return _sized(shape, (bytes, str), _no_constraints)


_BUILDERS = {"structure": _structure, "string": _string, "list": _list, "map": _map, "blob": _blob,
             **{kind: _number for kind in _NUMBERS}}
