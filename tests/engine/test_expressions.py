"""Expressions and conditions, table-driven, against a scope of plain values."""
from __future__ import annotations

import pytest

from sagelocal.engine.expressions import (ExpressionError, PropertyFileRef, evaluate, evaluate_condition,
                                          step_references)
from sagelocal.errors import UserError


class TableScope:
    parameters = {"Threshold": 0.9, "Flag": True, "Name": "abc", "Count": 3}
    properties = {"Prep": {"ProcessingOutputConfig": {"Outputs": [
        {"OutputName": "train", "S3Output": {"S3Uri": "s3://b/train"}},
        {"OutputName": "test", "S3Output": {"S3Uri": "s3://b/test"}}]}},
        "Train": {"ModelArtifacts": {"S3ModelArtifacts": "s3://b/model.tar.gz"},
                  "FinalMetricDataList": [{"MetricName": "validation:auc", "Value": 0.97}]}}
    files = {PropertyFileRef("Eval", "Report"): {"metrics": {"auc": {"value": 0.95}}, "list": [{"x": 1}, {"x": 2}]}}
    s3 = {"s3://b/report.json": {"score": "0.5"}}

    def execution_variable(self, name):
        return {"PipelineExecutionId": "abc123def456", "PipelineName": "p"}[name]

    def step_properties(self, step):
        if step not in self.properties:
            raise ExpressionError(f"step {step!r} has not succeeded")
        return self.properties[step]

    def property_file(self, ref):
        return self.files[ref]

    def read_json(self, uri):
        return self.s3[uri]


JSON_GET = {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Eval.PropertyFiles.Report"}, "Path": "metrics.auc.value"}}

EXPRESSIONS = [
    ("literal", "s3://x", "s3://x"),
    ("parameter", {"Get": "Parameters.Threshold"}, 0.9),
    ("execution id", {"Get": "Execution.PipelineExecutionId"}, "abc123def456"),
    ("output by name", {"Get": "Steps.Prep.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri"}, "s3://b/test"),
    ("output by index", {"Get": "Steps.Prep.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri"}, "s3://b/train"),
    ("model artifacts", {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}, "s3://b/model.tar.gz"),
    ("metric", {"Get": "Steps.Train.FinalMetricDataList['validation:auc'].Value"}, 0.97),
    ("join", {"Std:Join": {"On": "/", "Values": ["s3://b", {"Get": "Execution.PipelineExecutionId"}, "x"]}},
     "s3://b/abc123def456/x"),
    ("join renders booleans and numbers", {"Std:Join": {"On": " ", "Values": [{"Get": "Parameters.Flag"}, 1.5]}},
     "true 1.5"),
    ("json get of a property file", JSON_GET, 0.95),
    ("json get with an index", {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Eval.PropertyFiles.Report"},
                                                "Path": "list[1].x"}}, 2),
    ("json get by S3 URI", {"Std:JsonGet": {"S3Uri": "s3://b/report.json", "Path": "score"}}, "0.5"),
    ("nested object", {"A": [{"Get": "Parameters.Count"}], "B": {"C": {"Get": "Parameters.Name"}}},
     {"A": [3], "B": {"C": "abc"}}),
]


@pytest.mark.parametrize("expression,expected", [(e, x) for _, e, x in EXPRESSIONS],
                         ids=[name for name, _, _ in EXPRESSIONS])
def test_expression(expression, expected):
    assert evaluate(expression, TableScope()) == expected


def comparison(kind, left, right):
    return {"Type": kind, "LeftValue": left, "RightValue": right}


CONDITIONS = [
    (comparison("GreaterThanOrEqualTo", JSON_GET, {"Get": "Parameters.Threshold"}), True),
    (comparison("GreaterThanOrEqualTo", 0.9, {"Get": "Parameters.Threshold"}), True),
    (comparison("GreaterThan", 0.9, {"Get": "Parameters.Threshold"}), False),
    (comparison("LessThan", JSON_GET, 0.96), True),
    (comparison("LessThanOrEqualTo", 0.96, JSON_GET), False),
    (comparison("Equals", {"Get": "Parameters.Name"}, "abc"), True),
    (comparison("Equals", {"Get": "Parameters.Count"}, 3.0), True),
    (comparison("Equals", {"Get": "Parameters.Flag"}, False), False),
    (comparison("GreaterThan", {"Std:JsonGet": {"S3Uri": "s3://b/report.json", "Path": "score"}}, 0.4), True),
    ({"Type": "In", "QueryValue": {"Get": "Parameters.Name"}, "InValues": ["x", "abc"]}, True),
    ({"Type": "In", "QueryValue": {"Get": "Parameters.Count"}, "InValues": [1, 2]}, False),
    ({"Type": "Not", "Expression": comparison("Equals", {"Get": "Parameters.Name"}, "abc")}, False),
    ({"Type": "Or", "Conditions": [comparison("Equals", 1, 2), comparison("LessThan", 1, 2)]}, True),
    ({"Type": "Or", "Conditions": [comparison("Equals", 1, 2), {"Type": "Not", "Expression":
                                                                  comparison("LessThan", 1, 2)}]}, False),
]


@pytest.mark.parametrize("condition,expected", CONDITIONS, ids=[f"{c['Type']}-{i}" for i, (c, _) in enumerate(CONDITIONS)])
def test_condition(condition, expected):
    assert evaluate_condition(condition, TableScope()) is expected


@pytest.mark.parametrize("expression,message", [
    ({"Get": "Steps.Missing.ModelArtifacts.S3ModelArtifacts"}, "has not succeeded"),
    ({"Get": "Steps.Prep.ProcessingOutputConfig.Outputs['nope'].S3Output.S3Uri"}, "'nope'"),
    ({"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Eval.PropertyFiles.Report"}, "Path": "metrics.f1.value"}},
     "metrics.f1.value"),
    ({"Std:Frobnicate": {}}, "Std:Frobnicate"),
])
def test_expression_errors_name_the_problem(expression, message):
    with pytest.raises(ExpressionError, match=message.replace("[", r"\[").replace("(", r"\(")):
        evaluate(expression, TableScope())


def test_comparing_text_with_a_number_is_an_error():
    with pytest.raises(ExpressionError, match="cannot compare"):
        evaluate_condition(comparison("GreaterThan", "abc", 1), TableScope())


def test_unknown_condition_type():
    with pytest.raises(ExpressionError, match="Bigger"):
        evaluate_condition({"Type": "Bigger"}, TableScope())


def test_references_are_found_everywhere_in_a_step():
    step = {"Arguments": {"Conditions": [comparison("Equals", JSON_GET, {"Std:Join": {"On": "", "Values": [
        {"Get": "Steps.Prep.ProcessingOutputConfig.Outputs['x'].S3Output.S3Uri"}]}})]},
        "SkipCheck": {"Get": "Parameters.Flag"}, "Env": {"Get": "Execution.PipelineName"}}
    assert step_references(step) == {"Steps": {"Eval", "Prep"}, "Parameters": {"Flag"}, "Execution": {"PipelineName"}}


@pytest.mark.parametrize("reference", ["Execution.Nope", "Other.X", "Steps.A..B"])
def test_malformed_references_are_refused(reference):
    with pytest.raises(UserError):
        step_references({"Get": reference})
