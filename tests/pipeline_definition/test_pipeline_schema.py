"""pipeline.json against AWS's published definition schema, relaxed as sagemaker-sdk-v3.md §7 explains.

The published schema is closed (``additionalProperties: false``) and older than the SDK: it rejects keys the
service accepts (PropertyFiles, ModelApprovalStatus, ...) and knows no ``Std:JsonGet``. Relaxed, it still
checks every step's shape, types and enums, so it works as a lint. One addition to §7's recipe: the SDK (v2 and
v3) writes ``SuppliedBaselineStatistics/Constraints: null`` when no baseline is supplied (the check then uses
the model package group's latest approved baseline), and the schema types them as strings only; the same for the
ClarifyCheck step's SuppliedBaselineConstraints. Each step is checked against the definition whose ``Type`` enum
names its type (``Model`` is in ``CreateModelStep``). And a Model step's container ModelDataUrl may be an expression
(the monitoring template's CreateModel step takes the training step's artifact), where the schema allows only a
literal S3 URI.
"""
from __future__ import annotations

import copy
import json

import jsonschema
import pytest

STD_FUNCTION = {"type": "object", "minProperties": 1, "maxProperties": 1,
                "patternProperties": {"^Std:[A-Za-z]+$": {"type": "object"}}, "additionalProperties": False}


def _drop_closed_objects(node) -> None:
    if isinstance(node, dict):
        if node.get("additionalProperties") is False:
            del node["additionalProperties"]
        for value in node.values():
            _drop_closed_objects(value)
    elif isinstance(node, list):
        for value in node:
            _drop_closed_objects(value)


@pytest.fixture(scope="module")
def relaxed_schema(fixtures_dir) -> dict:
    schema = json.loads((fixtures_dir / "pipeline-definition-schema.json").read_text())
    _drop_closed_objects(schema)
    schema["definitions"]["StdFunction"] = STD_FUNCTION
    for kind in ("String", "Integer", "Float", "Boolean"):
        schema["definitions"][f"{kind}ArgumentValue"]["oneOf"].append({"$ref": "#/definitions/StdFunction"})
    for step_type, keys in (("QualityCheckStep", ("SuppliedBaselineStatistics", "SuppliedBaselineConstraints")),
                            ("ClarifyCheckStep", ("SuppliedBaselineConstraints",))):
        properties = schema["definitions"][step_type]["properties"]
        for key in keys:
            properties[key] = {"oneOf": [properties[key], {"type": "null"}]}
    container = schema["definitions"]["ContainerDefinition"]["properties"]
    container["ModelDataUrl"] = {"anyOf": [container["ModelDataUrl"], {"$ref": "#/definitions/StringArgumentValue"}]}
    jsonschema.Draft7Validator.check_schema(schema)
    return schema


def _all_steps(steps):
    for step in steps:
        yield step
        if step.get("Type") == "Condition":
            arguments = step.get("Arguments", {})
            yield from _all_steps(arguments.get("IfSteps", []) + arguments.get("ElseSteps", []))


def definition_errors(schema: dict, definition: dict) -> list[str]:
    """Schema errors, each step checked against its own type's definition so messages name the real problem."""
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
              for error in validator.iter_errors({**definition, "Steps": []})]
    for step in _all_steps(definition.get("Steps", [])):
        step_type = step.get("Type")
        named = [name for name, body in schema["definitions"].items() if name.endswith("Step")
                 and step_type in body.get("properties", {}).get("Type", {}).get("enum", [])]
        if not named:
            errors.append(f"step {step.get('Name')!r}: unknown step type {step_type!r}")
            continue
        step_schema = {**schema, "$ref": f"#/definitions/{named[0]}"}
        # Nested steps are checked on their own; the parent's oneOf would only say "not valid under any".
        checked = copy.deepcopy(step)
        if step_type == "Condition":
            checked["Arguments"].pop("IfSteps", None)
            checked["Arguments"].pop("ElseSteps", None)
        errors += [f"step {step.get('Name')!r} {'/'.join(map(str, error.absolute_path))}: {error.message}"
                   for error in jsonschema.Draft7Validator(step_schema).iter_errors(checked)]
    return errors


@pytest.mark.parametrize("mode", ["definition", "processing_definition"])
def test_pipeline_json_is_valid_under_the_relaxed_schema(relaxed_schema, request, mode):
    built = request.getfixturevalue(mode)
    assert definition_errors(relaxed_schema, built) == []
    jsonschema.Draft7Validator(relaxed_schema).validate(built)


def _set(definition: dict, path: list, value) -> dict:
    broken = copy.deepcopy(definition)
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return broken


def _condition(definition: dict) -> int:
    return next(i for i, step in enumerate(definition["Steps"]) if step["Type"] == "Condition")


BREAKAGES = {
    "string default of a Float parameter": lambda d: _set(d, ["Parameters", 4, "DefaultValue"], "0.9"),
    "unknown step type": lambda d: _set(d, ["Steps", 0, "Type"], "Processsing"),
    "string InstanceCount": lambda d: _set(
        d, ["Steps", 0, "Arguments", "ProcessingResources", "ClusterConfig", "InstanceCount"], "1"),
    "unknown condition type": lambda d: _set(
        d, ["Steps", _condition(d), "Arguments", "Conditions", 0, "Type"], "AtLeast"),
    "bad quality check type": lambda d: _set(d, ["Steps", 3, "CheckType"], "DATA_QUALITY_CHECK"),
    "wrong version": lambda d: _set(d, ["Version"], "2021-01-01"),
    "step name with a space": lambda d: _set(d, ["Steps", 1, "Name"], "Train XGBoost"),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_relaxed_schema_still_rejects_a_broken_definition(relaxed_schema, definition, breakage):
    broken = BREAKAGES[breakage](definition)
    assert broken != definition
    assert definition_errors(relaxed_schema, broken), f"the lint let through: {breakage}"
