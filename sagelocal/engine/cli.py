"""``sagelocal pipeline``: run a pipeline definition offline and look at its executions."""
from __future__ import annotations

import json
import sys
from pathlib import Path


def register(subparsers) -> None:
    group = subparsers.add_parser("pipeline", help="run pipeline.json offline; list and describe executions")
    commands = group.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser("run", help="run a pipeline definition (pipeline.json) on this machine")
    run.add_argument("definition", type=Path, help="the pipeline definition JSON (as CreatePipeline takes it)")
    run.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                     help="set a pipeline parameter (repeatable); values are parsed by the parameter's type")
    run.add_argument("--pipeline-name", help="the pipeline's name (default: the definition file's name without .json)")
    run.add_argument("--json", action="store_true", help="print the execution and its steps as JSON")
    run.set_defaults(handler=_run)

    executions = commands.add_parser("executions", help="list executions, newest first")
    executions.add_argument("--pipeline-name", help="only this pipeline's executions")
    executions.add_argument("--json", action="store_true")
    executions.set_defaults(handler=_executions)

    describe = commands.add_parser("describe", help="show one execution: steps, failure, properties")
    describe.add_argument("execution", help="the execution id or ARN")
    describe.add_argument("--json", action="store_true")
    describe.set_defaults(handler=_describe)


def _run(args) -> int:
    from sagelocal.config import Settings
    from sagelocal.engine import definition as definitions
    from sagelocal.engine.progress import Progress
    from sagelocal.engine.runner import PipelineRunner
    from sagelocal.errors import UserError

    given = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UserError(f"--param expects NAME=VALUE, got {item!r}")
        given[name] = value
    definition = definitions.load(args.definition)
    parameters = definition.resolve_parameters(given)
    name = args.pipeline_name or args.definition.stem
    store = _store()
    # The run's jobs call AWS themselves (S3, the registry): a server of the run's own, on loopback, answers them
    # (``args.local_server``, given by ``sagelocal.cli``).
    with args.local_server(Settings.from_env()) as server:
        runner = PipelineRunner(server.settings, definition, parameters, name,
                                Progress(live=None if not args.json else False), store)
        execution = runner.run()
    report = _report(runner.store, execution["PipelineExecutionArn"])
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        _print_report(report)
    if execution["PipelineExecutionStatus"] != "Succeeded":
        print(f"sagelocal: pipeline execution {runner.execution_id} failed: {execution['FailureReason']}",
              file=sys.stderr)
        return 1
    return 0


def _executions(args) -> int:
    store = _store()
    if args.pipeline_name:
        items = store.list_pipeline_executions({"PipelineName": args.pipeline_name, "MaxResults": 100})
        items = items["PipelineExecutionSummaries"]
    else:
        items = store.list_all_executions()
    if args.json:
        print(json.dumps(items, indent=2, default=str))
        return 0
    for item in items:
        execution_id = item["PipelineExecutionArn"].rsplit("/", 1)[-1]
        print(f"{execution_id}  {item['PipelineExecutionStatus']:<10} {item['StartTime']:%Y-%m-%d %H:%M:%S}  "
              f"{item['PipelineExecutionArn']}")
    if not items:
        print("no executions yet (run one with: sagelocal pipeline run pipeline.json)")
    return 0


def _describe(args) -> int:
    from sagelocal.errors import ResourceNotFound, UserError

    store = _store()
    try:
        arn = store.resolve_execution(args.execution)
    except ResourceNotFound as error:
        raise UserError(error.message) from None
    report = _report(store, arn, with_properties=True)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        _print_report(report, with_properties=True)
    return 0


def _store():
    """The home's executions, after ending those a crashed runtime left running (and killing their jobs)."""
    from sagelocal.config import Settings
    from sagelocal.engine.store import PipelineStore

    store = PipelineStore(Settings.from_env())
    store.settle_interrupted()
    return store


def _report(store, arn: str, with_properties: bool = False) -> dict:
    request = {"PipelineExecutionArn": arn, "SortOrder": "Ascending", "MaxResults": 100}
    report = {
        "Execution": store.describe_pipeline_execution(request),
        "Parameters": store.list_pipeline_parameters_for_execution(request)["PipelineParameters"],
        "Steps": store.list_pipeline_execution_steps(request)["PipelineExecutionSteps"],
    }
    if with_properties:
        report["Properties"] = store.step_properties(arn)
    return report


def _print_report(report: dict, with_properties: bool = False) -> None:
    execution = report["Execution"]
    print(f"execution {execution['PipelineExecutionArn'].rsplit('/', 1)[-1]}  {execution['PipelineExecutionStatus']}")
    print(f"  arn       {execution['PipelineExecutionArn']}")
    print(f"  started   {execution['CreationTime']:%Y-%m-%d %H:%M:%S}   ended {execution['LastModifiedTime']:%H:%M:%S}")
    if execution.get("FailureReason"):
        print(f"  failure   {execution['FailureReason']}")
    print("  parameters " + ", ".join(f"{p['Name']}={p['Value']}" for p in report["Parameters"]))
    for step in report["Steps"]:
        seconds = (step["EndTime"] - step["StartTime"]).total_seconds() if step.get("EndTime") else 0
        cached = "  (cache hit)" if step.get("CacheHitResult") else ""
        print(f"  {step['StepName']:<28} {step['StepStatus']:<10} {seconds:6.2f}s  {_summary(step['Metadata'])}{cached}")
        if step.get("FailureReason"):
            for line in step["FailureReason"].splitlines():
                print(f"      {line}")
    if with_properties:
        print("properties (what later steps read):")
        for name, properties in report["Properties"].items():
            for key in _interesting(properties):
                print(f"  {name}.{key} = {_interesting(properties)[key]}")


def _summary(metadata: dict) -> str:
    for kind, value in metadata.items():
        if isinstance(value, dict) and value.get("Arn"):
            return value["Arn"]
        if kind == "Condition":
            return f"Outcome={value.get('Outcome')}"
        if kind == "QualityCheck":
            return value.get("CheckJobArn", "")
    return ""


def _interesting(properties: dict) -> dict:
    """The properties pipelines usually read, flattened; the rest is in --json."""
    found = {}
    for output in (properties.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
        found[f"ProcessingOutputConfig.Outputs['{output['OutputName']}'].S3Output.S3Uri"] = output["S3Output"]["S3Uri"]
    if properties.get("ModelArtifacts"):
        found["ModelArtifacts.S3ModelArtifacts"] = properties["ModelArtifacts"]["S3ModelArtifacts"]
    for metric in properties.get("FinalMetricDataList") or []:
        found[f"FinalMetricDataList['{metric['MetricName']}'].Value"] = metric["Value"]
    for key in ("CalculatedBaselineStatistics", "CalculatedBaselineConstraints", "BaselineUsedForDriftCheckStatistics",
                "BaselineUsedForDriftCheckConstraints", "ModelPackageArn", "Outcome"):
        if key in properties:
            found[key] = properties[key]
    if properties.get("ProcessSeconds"):
        found["(process seconds)"] = properties["ProcessSeconds"]
    return found
