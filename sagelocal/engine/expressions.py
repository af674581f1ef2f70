"""The definition's expression language: ``Get``, ``Std:Join``, ``Std:JsonGet`` and the condition types.

Values come from a :class:`Scope` (parameters, execution variables, step properties, files in S3) that the
runner supplies, so the rules here are pure and testable from tables.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Protocol

from sagelocal.errors import UserError

EXECUTION_VARIABLES = ("PipelineExecutionId", "PipelineName", "PipelineExecutionArn", "StartDateTime",
                       "CurrentDateTime")
_TOKEN = re.compile(r"\.?([A-Za-z0-9_\-]+)|\['([^']*)'\]|\[(\d+)\]")
# In a list of named items (outputs, metrics, channels), these keys carry the name that ['...'] selects.
_ITEM_NAME_KEYS = ("OutputName", "MetricName", "ChannelName", "InputName", "Name")


class ExpressionError(Exception):
    """An expression that cannot be evaluated in this execution (names the expression)."""


@dataclass(frozen=True)
class PropertyFileRef:
    step: str
    name: str


class Scope(Protocol):
    parameters: dict

    def execution_variable(self, name: str): ...

    def step_properties(self, step: str) -> dict: ...

    def property_file(self, ref: PropertyFileRef): ...

    def read_json(self, s3_uri: str): ...


def evaluate(value, scope: Scope):
    """The value of ``value`` with every expression in it replaced by its result (recursively)."""
    if isinstance(value, list):
        return [evaluate(item, scope) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, body), = value.items()
        if key == "Get":
            return _get(body, scope)
        if key == "Std:Join":
            return _join(body, scope)
        if key == "Std:JsonGet":
            return _json_get(body, scope)
        if key.startswith("Std:"):
            raise ExpressionError(f"unsupported function {key}")
    return {key: evaluate(item, scope) for key, item in value.items()}


def evaluate_condition(condition: dict, scope: Scope) -> bool:
    kind = condition.get("Type")
    if kind in _COMPARISONS:
        left = evaluate(condition.get("LeftValue"), scope)
        right = evaluate(condition.get("RightValue"), scope)
        return _compare(kind, left, right)
    if kind == "In":
        query = evaluate(condition.get("QueryValue"), scope)
        return any(_equal(query, evaluate(item, scope)) for item in condition.get("InValues") or [])
    if kind == "Not":
        return not evaluate_condition(condition.get("Expression") or {}, scope)
    if kind == "Or":
        return any(evaluate_condition(item, scope) for item in condition.get("Conditions") or [])
    raise ExpressionError(f"unknown condition type {kind!r}")


def step_references(value) -> dict[str, set[str]]:
    """Names read by ``Get`` anywhere in ``value``: {'Parameters': {...}, 'Steps': {...}, 'Execution': {...}}."""
    found: dict[str, set[str]] = {"Parameters": set(), "Steps": set(), "Execution": set()}

    def walk(item):
        if isinstance(item, dict):
            if isinstance(item.get("Get"), str) and len(item) == 1:
                root, _, rest = item["Get"].partition(".")
                if root not in found or not rest:
                    raise UserError(f"unsupported reference {item['Get']!r} (expected Parameters., Steps. or Execution.)")
                name = _tokens(rest, item["Get"])[0]
                if root == "Execution" and name not in EXECUTION_VARIABLES:
                    raise UserError(f"unknown execution variable {item['Get']!r}")
                found[root].add(name)
            for child in item.values():
                walk(child)
        elif isinstance(item, list):
            for child in item:
                walk(child)

    walk(value)
    return found


def json_path(document, path: str):
    """Follow a JsonPath such as ``a.b[0].c`` (an optional leading ``$.``) into ``document``."""
    value = document
    for key, quoted, index in _TOKEN.findall(path.removeprefix("$.").removeprefix("$")):
        step = quoted or key
        try:
            value = value[int(index)] if index else value[step]
        except (KeyError, IndexError, TypeError):
            raise ExpressionError(f"JsonGet path {path!r} does not exist in the file") from None
    return value


def _get(path, scope: Scope):
    if not isinstance(path, str):
        raise ExpressionError(f"Get takes a string, got {path!r}")
    root, _, rest = path.partition(".")
    tokens = _tokens(rest, path)
    if root == "Parameters":
        if tokens[0] not in scope.parameters:
            raise ExpressionError(f"unknown parameter in {path!r}")
        return scope.parameters[tokens[0]]
    if root == "Execution":
        return scope.execution_variable(tokens[0])
    if root == "Steps":
        if len(tokens) == 3 and tokens[1] == "PropertyFiles":
            return PropertyFileRef(tokens[0], tokens[2])
        value = scope.step_properties(tokens[0])
        for token in tokens[1:]:
            value = _select(value, token, path)
        return value
    raise ExpressionError(f"unsupported reference {path!r}")


def _select(value, token, path: str):
    if isinstance(value, dict) and token in value:
        return value[token]
    if isinstance(value, list):
        if isinstance(token, int) and token < len(value):
            return value[token]
        for item in value:
            if isinstance(item, dict) and any(item.get(k) == token for k in _ITEM_NAME_KEYS):
                return item
    raise ExpressionError(f"property {path!r} is not available (no {token!r})")


def _tokens(rest: str, whole: str) -> list:
    tokens, position = [], 0
    for match in _TOKEN.finditer(rest):
        if match.start() != position:
            break
        key, quoted, index = match.groups()
        tokens.append(int(index) if index else (quoted if quoted is not None else key))
        position = match.end()
    if not tokens or position != len(rest):
        raise UserError(f"malformed reference {whole!r}")
    return tokens


def _join(body, scope: Scope) -> str:
    if not isinstance(body, dict) or not isinstance(body.get("Values"), list):
        raise ExpressionError(f"Std:Join needs 'On' and a 'Values' list: {body!r}")
    return str(body.get("On", "")).join(_text(evaluate(item, scope)) for item in body["Values"])


def _json_get(body, scope: Scope):
    if not isinstance(body, dict) or not isinstance(body.get("Path"), str):
        raise ExpressionError(f"Std:JsonGet needs a 'Path': {body!r}")
    if "PropertyFile" in body:
        ref = evaluate(body["PropertyFile"], scope)
        if not isinstance(ref, PropertyFileRef):
            raise ExpressionError(f"Std:JsonGet PropertyFile must be a Steps.X.PropertyFiles.Y reference: {body!r}")
        document = scope.property_file(ref)
    elif "S3Uri" in body:
        document = scope.read_json(evaluate(body["S3Uri"], scope))
    else:
        raise ExpressionError(f"Std:JsonGet needs a PropertyFile or an S3Uri: {body!r}")
    return json_path(document, body["Path"])


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


_COMPARISONS = {
    "Equals": lambda a, b: _equal(a, b),
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanOrEqualTo": lambda a, b: a >= b,
    "LessThan": lambda a, b: a < b,
    "LessThanOrEqualTo": lambda a, b: a <= b,
}


def _number(value):
    """Numbers compare as numbers, even when one side is a numeric string read from a JSON file."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _equal(left, right) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return left == right
    return _number(left) == _number(right) if isinstance(left, str) != isinstance(right, str) else left == right


def _compare(kind: str, left, right) -> bool:
    if kind != "Equals":
        left, right = _number(left), _number(right)
    try:
        return bool(_COMPARISONS[kind](left, right))
    except TypeError:
        raise ExpressionError(f"{kind} cannot compare {left!r} with {right!r}") from None
