"""Load a pipeline definition (the JSON that CreatePipeline takes) and check it before anything runs.

Everything wrong with the file is found here and reported as one :class:`UserError` that names the problem,
so a run never starts on a definition that cannot finish.
"""
from __future__ import annotations

import graphlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from sagelocal.engine import policies
from sagelocal.engine.expressions import step_references
from sagelocal.errors import UserError

STEP_TYPES = ("Processing", "Training", "QualityCheck", "ClarifyCheck", "Condition", "RegisterModel", "Model",
              "Transform", "Fail")
PARAMETER_TYPES = ("String", "Integer", "Float", "Boolean")


@dataclass
class Step:
    """One step of the definition. ``branch`` is (condition step, True/False) for steps in IfSteps/ElseSteps."""

    name: str
    type: str
    body: dict
    depends_on: set[str] = field(default_factory=set)
    branch: tuple[str, bool] | None = None

    @property
    def arguments(self) -> dict:
        return self.body.get("Arguments") or {}


@dataclass
class Definition:
    parameters: dict[str, dict]
    steps: dict[str, Step]
    document: dict = field(default_factory=dict)  # the JSON it was parsed from: an execution keeps it for retries

    def resolve_parameters(self, given: dict[str, str]) -> dict[str, object]:
        """Typed values of every parameter: the defaults, overridden by ``given`` (strings from the command line)."""
        unknown = sorted(set(given) - set(self.parameters))
        if unknown:
            declared = ", ".join(self.parameters) or "none"
            raise UserError(f"unknown pipeline parameter {unknown[0]!r} (the definition declares: {declared})")
        values = {}
        for name, spec in self.parameters.items():
            if name in given:
                values[name] = _parse_value(name, spec["Type"], given[name])
            elif "DefaultValue" in spec:
                values[name] = spec["DefaultValue"]
            else:
                raise UserError(f"pipeline parameter {name!r} has no default: pass --param {name}=VALUE")
        return values


def load(path: Path | str) -> Definition:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise UserError(f"cannot read pipeline definition {path}: {exc.strerror}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    return parse(document, source=str(path))


def parse(document, source: str = "definition") -> Definition:
    if not isinstance(document, dict) or not isinstance(document.get("Steps"), list) or not document["Steps"]:
        raise UserError(f"{source}: not a pipeline definition (expected an object with a non-empty 'Steps' list)")
    parameters = _parse_parameters(document.get("Parameters") or [], source)
    steps: dict[str, Step] = {}
    _collect_steps(document["Steps"], steps, None, source)
    _refuse_unsupported(steps, source)
    _link(steps, parameters, source)
    return Definition(parameters, steps, document)


def _parse_parameters(items, source: str) -> dict[str, dict]:
    parameters = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("Name"), str):
            raise UserError(f"{source}: every parameter needs a 'Name': {item!r}")
        name, kind = item["Name"], item.get("Type", "String")
        if kind not in PARAMETER_TYPES:
            raise UserError(f"{source}: parameter {name!r} has unknown type {kind!r} (one of {', '.join(PARAMETER_TYPES)})")
        if "DefaultValue" in item and not _has_type(item["DefaultValue"], kind):
            raise UserError(f"{source}: parameter {name!r} default {item['DefaultValue']!r} is not a {kind}")
        parameters[name] = {**item, "Type": kind}
    return parameters


def _collect_steps(items, steps: dict[str, Step], branch, source: str) -> None:
    if not isinstance(items, list):
        raise UserError(f"{source}: steps must be a list, got {type(items).__name__}")
    for body in items:
        if not isinstance(body, dict) or not isinstance(body.get("Name"), str) or not body["Name"]:
            raise UserError(f"{source}: every step needs a 'Name': {str(body)[:80]}")
        name, kind = body["Name"], body.get("Type")
        if name in steps:
            raise UserError(f"{source}: two steps are named {name!r}")
        if kind in STEP_TYPES and not isinstance(body.get("Arguments"), dict):
            raise UserError(f"{source}: step {name!r} has no 'Arguments' object")
        try:  # checked now so that a bad policy stops the run before any step starts
            policies.cache_settings(body)
            policies.retry_rules(body)
        except UserError as error:
            raise UserError(f"{source}: step {name!r}: {error}") from None
        steps[name] = Step(name, kind, body, set(body.get("DependsOn") or []), branch)
        if kind == "Condition":
            _collect_steps(body["Arguments"].get("IfSteps") or [], steps, (name, True), source)
            _collect_steps(body["Arguments"].get("ElseSteps") or [], steps, (name, False), source)


def _refuse_unsupported(steps: dict[str, Step], source: str) -> None:
    """One error naming every step this runner cannot run, so that a definition is not fixed one step at a time."""
    unsupported = [f"{step.name!r} ({step.type})" for step in steps.values() if step.type not in STEP_TYPES]
    if unsupported:
        raise UserError(f"{source}: {len(unsupported)} step{'s' if len(unsupported) > 1 else ''} of types this "
                        f"runner does not run: {', '.join(unsupported)} (it runs {', '.join(STEP_TYPES)})")


def _link(steps: dict[str, Step], parameters: dict, source: str) -> None:
    """Add the dependencies that property references imply, and check every reference names something."""
    for step in steps.values():
        own = {k: v for k, v in step.body.items() if k not in ("Name", "Type", "DependsOn")}
        if step.type == "Condition":
            own["Arguments"] = {k: v for k, v in step.arguments.items() if k not in ("IfSteps", "ElseSteps")}
        refs = step_references(own)
        for name in sorted(refs["Parameters"]):
            if name not in parameters:
                raise UserError(f"{source}: step {step.name!r} reads Parameters.{name}, which is not declared")
        for name in sorted(refs["Steps"] | step.depends_on):
            if name not in steps:
                raise UserError(f"{source}: step {step.name!r} depends on unknown step {name!r}")
            if name == step.name:
                raise UserError(f"{source}: step {step.name!r} depends on itself")
        step.depends_on |= refs["Steps"]
        if step.branch:
            step.depends_on.add(step.branch[0])
    _check_acyclic(steps, source)


def _check_acyclic(steps: dict[str, Step], source: str) -> None:
    graph = {name: sorted(steps[name].depends_on) for name in steps}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        # graphlib lists each step before the one that depends on it; the message follows dependencies.
        cycle = list(reversed(error.args[1]))
        raise UserError(f"{source}: steps depend on each other in a cycle: {' -> '.join(cycle)}") from None


def _has_type(value, kind: str) -> bool:
    if kind == "Boolean":
        return isinstance(value, bool)
    if kind == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "Float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, str)


def _parse_value(name: str, kind: str, text: str):
    try:
        if kind == "Integer":
            return int(text)
        if kind == "Float":
            return float(text)
    except ValueError:
        raise UserError(f"pipeline parameter {name!r} is a {kind}; {text!r} is not") from None
    if kind == "Boolean":
        if text.lower() not in ("true", "false"):
            raise UserError(f"pipeline parameter {name!r} is a Boolean; {text!r} is not (use true or false)")
        return text.lower() == "true"
    return text
