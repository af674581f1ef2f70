"""Runs of small hand-written definitions: real subprocesses, real local S3, real SQLite."""
from __future__ import annotations

import dataclasses
import json

import pytest

from sagelocal.cli import main as sagelocal_main
from sagelocal.engine import definition as definitions
from sagelocal.engine.runner import PipelineRunner
from sagelocal.engine.store import PipelineStore
from sagelocal.registry import RegistryBackend

from .conftest import BUCKET, execution_prefix, output_uri, processing_step

WRITE = """
import os, sys, time
root = os.environ["SAGELOCAL_PROCESSING_ROOT"]
inputs = sorted(os.listdir(root)) if len(sys.argv) < 2 else []
text = os.environ.get("TEXT", "")
for name in ("a", "b", "c"):
    folder = os.path.join(root, name)
    if os.path.isdir(folder):
        for f in sorted(os.listdir(folder)):
            text += open(os.path.join(folder, f)).read()
time.sleep(float(os.environ.get("SLEEP", "0")))
os.makedirs(os.path.join(root, "out"), exist_ok=True)
open(os.path.join(root, "out", "out.txt"), "w").write(text)
"""


def run(project, steps, parameters=None, given=None, name="test-pipeline"):
    parsed = definitions.load(project.definition(steps, parameters))
    runner = PipelineRunner(project.settings, parsed, parsed.resolve_parameters(given or {}), name)
    execution = runner.run()
    listed = runner.store.list_pipeline_execution_steps({"PipelineExecutionArn": execution["PipelineExecutionArn"]})
    return execution, {s["StepName"]: s for s in listed["PipelineExecutionSteps"]}, runner


def write_step(name, environment, inputs=None, **extra):
    return processing_step(name, "write.py", {"out": execution_prefix(name)}, inputs, environment=environment, **extra)


def test_steps_run_in_dependency_order_and_independent_ones_at_once(project):
    project.script("write.py", WRITE)
    steps = [write_step("A", {"TEXT": "a"}),
             write_step("B", {"TEXT": "b", "SLEEP": "0.6"}, {"a": output_uri("A", "out")}),
             write_step("C", {"TEXT": "c", "SLEEP": "0.6"}, {"a": output_uri("A", "out")}),
             write_step("D", {"TEXT": "d"}, {"b": output_uri("B", "out"), "c": output_uri("C", "out")})]
    execution, listed, runner = run(project, steps)
    assert execution["PipelineExecutionStatus"] == "Succeeded", execution
    a, b, c, d = (listed[n] for n in "ABCD")
    assert b["StartTime"] >= a["EndTime"] and c["StartTime"] >= a["EndTime"]
    assert d["StartTime"] >= max(b["EndTime"], c["EndTime"])
    assert b["StartTime"] < c["EndTime"] and c["StartTime"] < b["EndTime"], "B and C should overlap"
    final = project.s3.read_bytes(f"{BUCKET}/{runner.execution_id}/D/out.txt").decode()
    assert final == "dbaca", "D reads what B and C wrote, each holding what A wrote"


def test_failing_script_fails_the_step_with_its_stderr_and_stops_dependents(project, capsys):
    project.script("fail.py", "import sys\nfor i in range(15): print(f'line {i}', file=sys.stderr)\n"
                              "print('boom: bad input', file=sys.stderr)\nsys.exit(3)\n")
    project.script("write.py", WRITE)
    steps = [processing_step("Broken", "fail.py", {"out": f"{BUCKET}/broken"}),
             write_step("After", {}, {"a": output_uri("Broken", "out")})]
    status = sagelocal_main(["pipeline", "run", str(project.definition(steps)), "--pipeline-name", "p"])
    err = capsys.readouterr().err
    assert status == 1
    assert "Step Broken failed: AlgorithmError" in err and "boom: bad input" in err and "exited with status 3" in err
    store = PipelineStore(project.settings)
    execution = store.list_all_executions()[0]
    assert execution["PipelineExecutionStatus"] == "Failed"
    listed = store.list_pipeline_execution_steps({"PipelineExecutionArn": execution["PipelineExecutionArn"]})
    (broken,) = listed["PipelineExecutionSteps"]  # After never started
    assert broken["StepStatus"] == "Failed"
    assert "line 14" in broken["FailureReason"] and "line 3\n" not in broken["FailureReason"]
    assert "ProcessingJob" in broken["Metadata"]


@pytest.mark.parametrize("change,message", [
    (lambda s: None, "step A: input 'code': s3://test-bucket/code/missing.py does not exist in local S3"),
    (lambda s: s["Arguments"]["ProcessingInputs"][0]["S3Input"].update(S3Uri="s3://test-bucket/../../etc"),
     "S3 key tries to leave its bucket"),
    (lambda s: s["Arguments"]["AppSpecification"].update(ImageUri="1.dkr.ecr.us-east-1.amazonaws.com/my-image:1"),
     "image 1.dkr.ecr.us-east-1.amazonaws.com/my-image:1 cannot run offline"),
])
def test_inputs_and_images_that_cannot_run_give_one_clear_error(project, capsys, change, message):
    step = processing_step("A", "missing.py", {"out": f"{BUCKET}/a"}, {"data": f"{BUCKET}/data"})
    project.s3.write_bytes(f"{BUCKET}/data/x.csv", b"1,2\n")
    change(step)
    status = sagelocal_main(["pipeline", "run", str(project.definition([step]))])
    err = capsys.readouterr().err
    assert status == 1
    assert message.replace("step A: ", "Step A failed: ") in err


def test_cache_hit_on_second_run_reuses_the_result(project):
    project.script("write.py", WRITE + "\nimport random\nopen(os.path.join(root, 'out', 'token'), 'w').write(str(random.random()))\n")
    cached = processing_step("Cached", "write.py", {"out": f"{BUCKET}/cached"},
                             environment={"TEXT": {"Get": "Parameters.Text"}},
                             CacheConfig={"Enabled": True, "ExpireAfter": "PT1H"})
    reader = write_step("Reader", {}, {"a": output_uri("Cached", "out")})
    parameters = [{"Name": "Text", "Type": "String", "DefaultValue": "hello"}]
    first, steps1, _ = run(project, [cached, reader], parameters)
    token = project.s3.read_bytes(f"{BUCKET}/cached/token")
    second, steps2, runner = run(project, [cached, reader], parameters)
    assert second["PipelineExecutionStatus"] == "Succeeded"
    assert steps2["Cached"]["CacheHitResult"] == {"SourcePipelineExecutionArn": first["PipelineExecutionArn"]}
    assert "CacheHitResult" not in steps1["Cached"]
    assert project.s3.read_bytes(f"{BUCKET}/cached/token") == token, "a cache hit runs no job"
    assert project.s3.read_bytes(f"{BUCKET}/{runner.execution_id}/Reader/out.txt").startswith(b"hello")
    _, steps3, _ = run(project, [cached, reader], parameters, {"Text": "changed"})
    assert "CacheHitResult" not in steps3["Cached"], "other arguments, other cache key"
    assert project.s3.read_bytes(f"{BUCKET}/cached/token") != token


KILL_ONCE = """
import os, signal
marker = os.environ["MARKER"]
if not os.path.exists(marker):
    open(marker, "w").close()
    os.kill(os.getpid(), signal.SIGKILL)  # the instance dies once
"""


@pytest.mark.parametrize("policies,status,attempts", [
    ([{"ExceptionType": ["SageMaker.JOB_INTERNAL_ERROR"], "IntervalSeconds": 1, "BackoffRate": 1.0, "MaxAttempts": 2}],
     "Succeeded", 2),
    ([{"ExceptionType": ["SageMaker.CAPACITY_ERROR"], "IntervalSeconds": 1, "MaxAttempts": 2}], "Failed", 1),
    ([], "Failed", 1),
])
def test_retry_policies(project, tmp_path, policies, status, attempts):
    # The marker outlives an attempt only outside the job's folder, where a sandboxed job cannot write.
    project.settings = dataclasses.replace(project.settings, job_isolation="none")
    project.script("kill_once.py", KILL_ONCE)
    step = processing_step("Flaky", "kill_once.py", {}, environment={"MARKER": str(tmp_path / "marker")},
                           RetryPolicies=policies)
    execution, listed, _ = run(project, [step])
    assert execution["PipelineExecutionStatus"] == status
    assert listed["Flaky"]["AttemptCount"] == attempts
    if status == "Failed":
        assert "killed by signal 9" in listed["Flaky"]["FailureReason"]


REPORT = """
import json, os
root = os.environ["SAGELOCAL_PROCESSING_ROOT"]
os.makedirs(os.path.join(root, "report"), exist_ok=True)
json.dump({"metrics": {"auc": {"value": 0.93}}}, open(os.path.join(root, "report", "report.json"), "w"))
"""


def condition_pipeline():
    auc = {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.Report"}, "Path": "metrics.auc.value"}}
    evaluate = processing_step("Evaluate", "report.py", {"report": execution_prefix("report")},
                               PropertyFiles=[{"PropertyFileName": "Report", "OutputName": "report",
                                               "FilePath": "report.json"}])
    register = {"Name": "Register", "Type": "RegisterModel", "Arguments": {
        "ModelPackageGroupName": "test-group", "ModelApprovalStatus": {"Get": "Parameters.Approval"},
        "InferenceSpecification": {"Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.2-0",
                                                   "ModelDataUrl": {"Std:Join": {"On": "/", "Values": [
                                                       output_uri("Evaluate", "report"), "report.json"]}}}],
                                   "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
        "ModelMetrics": {"ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": None}}}}}
    fail = {"Name": "TooLow", "Type": "Fail", "Arguments": {"ErrorMessage": {"Std:Join": {"On": " ", "Values": [
        "AUC", auc, "is below", {"Get": "Parameters.Threshold"}]}}}}
    check = {"Name": "Check", "Type": "Condition", "Arguments": {
        "Conditions": [{"Type": "GreaterThanOrEqualTo", "LeftValue": auc, "RightValue": {"Get": "Parameters.Threshold"}}],
        "IfSteps": [register], "ElseSteps": [fail]}}
    parameters = [{"Name": "Threshold", "Type": "Float", "DefaultValue": 0.9},
                  {"Name": "Approval", "Type": "String", "DefaultValue": "PendingManualApproval"}]
    return [evaluate, check], parameters


def test_condition_true_registers_the_model(project):
    project.script("report.py", REPORT)
    steps, parameters = condition_pipeline()
    execution, listed, runner = run(project, steps, parameters, {"Approval": "Approved"})
    assert execution["PipelineExecutionStatus"] == "Succeeded"
    assert set(listed) == {"Evaluate", "Check", "Register"}
    assert listed["Check"]["Metadata"] == {"Condition": {"Outcome": "True"}}
    arn = listed["Register"]["Metadata"]["RegisterModel"]["Arn"]
    package = RegistryBackend(project.settings).describe_model_package({"ModelPackageName": arn})
    assert package["ModelApprovalStatus"] == "Approved" and package["ModelPackageGroupName"] == "test-group"
    model_url = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    assert model_url == f"{BUCKET}/{runner.execution_id}/report/report.json"


def test_condition_false_runs_the_fail_step(project, capsys):
    project.script("report.py", REPORT)
    steps, parameters = condition_pipeline()
    status = sagelocal_main(["pipeline", "run", str(project.definition(steps, parameters)), "--param", "Threshold=0.95"])
    assert status == 1
    assert "failed: AUC 0.93 is below 0.95" in capsys.readouterr().err
    store = PipelineStore(project.settings)
    execution = store.list_all_executions()[0]
    described = store.describe_pipeline_execution(execution)
    assert described["FailureReason"] == "AUC 0.93 is below 0.95"
    listed = {s["StepName"]: s for s in store.list_pipeline_execution_steps(execution)["PipelineExecutionSteps"]}
    assert set(listed) == {"Evaluate", "Check", "TooLow"}
    assert listed["TooLow"]["Metadata"] == {"Fail": {"ErrorMessage": "AUC 0.93 is below 0.95"}}


def test_unknown_parameter_and_corrupt_definition_exit_2(project, capsys):
    path = project.definition([{"Name": "F", "Type": "Fail", "Arguments": {}}])
    assert sagelocal_main(["pipeline", "run", str(path), "--param", "Nope=1"]) == 2
    assert "unknown pipeline parameter 'Nope'" in capsys.readouterr().err
    path.write_text("{not json")
    assert sagelocal_main(["pipeline", "run", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not valid JSON" in err


def test_executions_and_describe_commands(project, capsys):
    project.script("report.py", REPORT)
    steps, parameters = condition_pipeline()
    assert sagelocal_main(["pipeline", "run", str(project.definition(steps, parameters)), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    execution_id = report["Execution"]["PipelineExecutionArn"].rsplit("/", 1)[-1]
    assert sagelocal_main(["pipeline", "executions"]) == 0
    assert execution_id in capsys.readouterr().out
    assert sagelocal_main(["pipeline", "describe", execution_id]) == 0
    text = capsys.readouterr().out
    assert "Succeeded" in text and f"Evaluate.ProcessingOutputConfig.Outputs['report'].S3Output.S3Uri = " \
                                   f"{BUCKET}/{execution_id}/report" in text
    assert sagelocal_main(["pipeline", "describe", execution_id, "--json"]) == 0
    described = json.loads(capsys.readouterr().out)
    assert described["Properties"]["Check"]["Outcome"] is True
    assert sagelocal_main(["pipeline", "describe", "nosuchid"]) == 2
