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

from sagelocal.api.java_regex import compile_java

_NUMBERS = frozenset({"integer", "long", "float", "double"})
# One checker per botocore shape object, built on first use (service models live as long as the server).
_CHECKERS: dict[int, object] = {}


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
    length = _length(shape) if "min" in metadata or "max" in metadata else None
    enum = metadata.get("enum")
    allowed = frozenset(enum) if enum else None
    pattern = metadata.get("pattern")
    fullmatch = compile_java(pattern).fullmatch if pattern is not None else None

    def check(value, path, errors):
        if not isinstance(value, str):
            return
        if length is not None:
            length(value, _java_length(value), path, errors)
        if allowed is not None and value not in allowed:
            errors.append(_failure(shape, value, path, f"Member must satisfy enum value set: [{', '.join(enum)}]"))
        if fullmatch is not None and fullmatch(value) is None:
            errors.append(_failure(shape, value, path, f"Member must satisfy regular expression pattern: {pattern}"))
    return check


def _length(shape):
    low, high = shape.metadata.get("min", 0), shape.metadata.get("max")

    def check(value, length: int, path, errors):
        if length < low:
            errors.append(_failure(shape, value, path, f"Member must have length greater than or equal to {low}"))
        if high is not None and length > high:
            errors.append(_failure(shape, value, path, f"Member must have length less than or equal to {high}"))
    return check


def _number(shape):
    low, high = shape.metadata.get("min"), shape.metadata.get("max")

    def check(value, path, errors):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return
        if low is not None and value < low:
            errors.append(_failure(shape, value, path, f"Member must have value greater than or equal to {low}"))
        if high is not None and value > high:
            errors.append(_failure(shape, value, path, f"Member must have value less than or equal to {high}"))
    return check


def _list(shape):
    length = _length(shape)

    def check(value, path, errors):
        if not isinstance(value, list):
            return
        length(value, len(value), path, errors)
        item_checker = _checker(shape.member)
        for index, item in enumerate(value, 1):
            item_checker(item, f"{path}.{index}.member", errors)
    return check


def _map(shape):
    """AWS words a map's failures per side: ``Map keys must satisfy constraint: [Member must ...]``."""
    length = _length(shape)

    def check(value, path, errors):
        if not isinstance(value, dict):
            return
        length(value, len(value), path, errors)
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
    return check


def _blob(shape):
    length = _length(shape)

    def check(value, path, errors):
        if isinstance(value, (bytes, str)):
            length(value, len(value), path, errors)
    return check


_BUILDERS = {"structure": _structure, "string": _string, "list": _list, "map": _map, "blob": _blob,
             **{kind: _number for kind in _NUMBERS}}
