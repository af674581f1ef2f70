"""A bad definition or parameter is refused with one error that names the problem, before anything runs."""
from __future__ import annotations

import json

import pytest

from sagelocal.engine import definition
from sagelocal.errors import UserError

from .conftest import BUCKET, output_uri, processing_step

PARAMETERS = [{"Name": "Threshold", "Type": "Float", "DefaultValue": 0.5},
              {"Name": "Count", "Type": "Integer", "DefaultValue": 2},
              {"Name": "Flag", "Type": "Boolean", "DefaultValue": False},
              {"Name": "Label", "Type": "String", "DefaultValue": "x"}]


def document(steps, parameters=PARAMETERS):
    return {"Version": "2020-12-01", "Parameters": parameters, "Steps": steps}


def test_corrupt_json_names_file_and_position(tmp_path):
    path = tmp_path / "pipeline.json"
    path.write_text('{"Steps": [')
    with pytest.raises(UserError, match=r"pipeline.json is not valid JSON: .* line 1 column 12"):
        definition.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="cannot read pipeline definition"):
        definition.load(tmp_path / "nope.json")


@pytest.mark.parametrize("steps,message", [
    ([], "non-empty 'Steps'"),
    ([{"Type": "Processing", "Arguments": {}}], "needs a 'Name'"),
    ([{"Name": "A", "Type": "EMR", "Arguments": {}}], r"1 step of types this runner does not run: 'A' \(EMR\)"),
    ([{"Name": "A", "Type": "Fail"}], "'A' has no 'Arguments'"),
    ([{"Name": "A", "Type": "Fail", "Arguments": {}}, {"Name": "A", "Type": "Fail", "Arguments": {}}], "two steps"),
    ([{"Name": "A", "Type": "Fail", "Arguments": {"ErrorMessage": {"Get": "Parameters.Nope"}}}],
     "reads Parameters.Nope"),
    ([{"Name": "A", "Type": "Fail", "Arguments": {}, "DependsOn": ["Ghost"]}], "unknown step 'Ghost'"),
    ([processing_step("A", "a.py", {"o": output_uri("B", "o")}), processing_step("B", "b.py", {"o": output_uri("A", "o")})],
     "cycle: A -> B -> A"),
    ([{"Name": "A", "Type": "Fail", "Arguments": {"ErrorMessage": {"Get": "Execution.Nope"}}}],
     "unknown execution variable"),
    ([{"Name": "A", "Type": "Processing", "Arguments": {}, "CacheConfig": {"Enabled": True, "ExpireAfter": "1h"}}],
     "step 'A': CacheConfig ExpireAfter '1h' is not an ISO-8601 duration"),
    ([{"Name": "A", "Type": "Processing", "Arguments": {}, "RetryPolicies": [{"MaxAttempts": 2}]}],
     "needs a non-empty ExceptionType"),
])
def test_bad_definitions(steps, message):
    with pytest.raises(UserError, match=message):
        definition.parse(document(steps))


def test_every_step_the_runner_cannot_run_is_named_in_one_error():
    """A definition with steps of kinds the runner does not run is refused once, naming all of them wherever
    they are, branches included, not one per attempt."""
    steps = [{"Name": "Notify", "Type": "Lambda", "FunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:f"},
             {"Name": "Submit", "Type": "EMR", "Arguments": {}},
             {"Name": "Check", "Type": "Condition", "Arguments": {
                 "Conditions": [], "IfSteps": [{"Name": "Tune", "Type": "Tuning", "Arguments": {}}],
                 "ElseSteps": [{"Name": "Cluster", "Type": "EMR", "Arguments": {}}]}},
             {"Name": "DataBias", "Type": "ClarifyCheck", "Arguments": {}},
             {"Name": "CreateModel", "Type": "Model", "Arguments": {}},
             {"Name": "Transform", "Type": "Transform", "Arguments": {}}]
    with pytest.raises(UserError) as refused:
        definition.parse(document(steps))
    assert "4 steps of types this runner does not run: 'Notify' (Lambda), 'Submit' (EMR), 'Tune' (Tuning), " \
           "'Cluster' (EMR)" in str(refused.value)
    assert not any(f"'{name}'" in str(refused.value) for name in ("DataBias", "CreateModel", "Transform"))


@pytest.mark.parametrize("parameters,message", [
    ([{"Name": "P", "Type": "Float", "DefaultValue": "high"}], "default 'high' is not a Float"),
    ([{"Name": "P", "Type": "Decimal"}], "unknown type 'Decimal'"),
])
def test_bad_parameter_declarations(parameters, message):
    with pytest.raises(UserError, match=message):
        definition.parse(document([{"Name": "A", "Type": "Fail", "Arguments": {}}], parameters))


def test_parameters_are_typed_and_defaulted():
    parsed = definition.parse(document([{"Name": "A", "Type": "Fail", "Arguments": {}}]))
    values = parsed.resolve_parameters({"Threshold": "0.75", "Count": "7", "Flag": "TRUE"})
    assert values == {"Threshold": 0.75, "Count": 7, "Flag": True, "Label": "x"}


@pytest.mark.parametrize("given,message", [
    ({"Nope": "1"}, "unknown pipeline parameter 'Nope' \\(the definition declares: Threshold, Count, Flag, Label\\)"),
    ({"Count": "1.5"}, "'Count' is a Integer; '1.5' is not"),
    ({"Flag": "yes"}, "'Flag' is a Boolean; 'yes' is not"),
])
def test_bad_parameter_values(given, message):
    parsed = definition.parse(document([{"Name": "A", "Type": "Fail", "Arguments": {}}]))
    with pytest.raises(UserError, match=message):
        parsed.resolve_parameters(given)


def test_dependencies_come_from_references_depends_on_and_branches():
    condition = {"Name": "Check", "Type": "Condition", "Arguments": {
        "Conditions": [{"Type": "Equals", "LeftValue": {"Get": "Steps.B.ProcessingOutputConfig.Outputs['o'].S3Output.S3Uri"},
                        "RightValue": "x"}],
        "IfSteps": [{"Name": "Yes", "Type": "Fail", "Arguments": {"ErrorMessage": {"Std:Join": {"On": "", "Values": [
            {"Get": "Steps.A.ProcessingOutputConfig.Outputs['o'].S3Output.S3Uri"}]}}}}],
        "ElseSteps": [{"Name": "No", "Type": "Fail", "Arguments": {}}]}}
    steps = [processing_step("A", "a.py", {"o": f"{BUCKET}/a"}),
             processing_step("B", "b.py", {"o": f"{BUCKET}/b"}, DependsOn=["A"]), condition]
    parsed = definition.parse(document(steps))
    assert parsed.steps["B"].depends_on == {"A"}
    assert parsed.steps["Check"].depends_on == {"B"}
    assert parsed.steps["Yes"].depends_on == {"Check", "A"} and parsed.steps["Yes"].branch == ("Check", True)
    assert parsed.steps["No"].branch == ("Check", False)


def test_the_project_definition_loads(tmp_path):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    parsed = definition.load(root / "pipeline.json")
    assert set(parsed.steps) >= {"PreprocessData", "TrainXGBoost", "EvaluateModel", "CheckChallenger"}
    json.dumps(parsed.resolve_parameters({}))
