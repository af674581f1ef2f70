"""Deploy and start the pipeline on SageMaker: upload the step scripts, upsert the pipeline, start an execution.

Usage: ``python scripts/run_pipeline_on_aws.py [--definition pipeline.json] [--param Name=Value ...] [--wait]
[--region R] [--endpoint-url URL]``. Build the definition first with your role and bucket
(``scripts/build_pipeline_json.py --role ARN --bucket B``). The scripts go to exactly the ``s3://`` URIs the
definition's processing steps name as their ``code`` input; a step with a ``library`` input (the processing
data-quality mode) also gets the ``sagelocal`` package under that prefix, and each ClarifyCheck step's
``analysis_config.json`` (which the SDK writes while it builds; the build puts it beside the definition, at its path
under the code prefix, e.g. ``clarify/model-bias/analysis_config.json``) goes to the URI the step names. The champion the evaluation step
compares with (the group's latest Approved version, or none) is staged and passed as ``ChampionUrl`` (see
``champion.py``); a ``--param`` given here wins. ``--endpoint-url`` points both
clients elsewhere, e.g. at a local server that speaks the same API.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PIPELINE_NAME = "BreastCancerXGBoost"
PLACEHOLDER_ACCOUNT = ":000000000000:"
CODE_INPUT_NAME = "code"
LIBRARY_INPUT_NAME = "library"
ANALYSIS_CONFIG_INPUT_NAME = "analysis_config"  # the SDK's name for a Clarify job's configuration input
CODE_PREFIX_MARK = "/code/"  # the definition's uploaded files live under <bucket>/<pipeline name>/code/
TERMINAL_STATUSES = {"Succeeded", "Failed", "Stopped"}
DESCRIPTION = "Breast-cancer XGBoost: preprocess, train, evaluate, data quality, register"


class DeployError(Exception):
    """A problem with the definition or the arguments, explained for the operator."""


def load_definition(path: Path) -> tuple[str, dict]:
    """The definition's text (sent as is) and its parsed form."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DeployError(f"cannot read the pipeline definition {path}: {error.strerror}") from error
    try:
        definition = json.loads(text)
    except json.JSONDecodeError as error:
        raise DeployError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(definition, dict) or not isinstance(definition.get("Steps"), list):
        raise DeployError(f"{path} is not a pipeline definition (no Steps list)")
    return text, definition


def iter_steps(steps: list[dict]) -> Iterator[dict]:
    """Every step, including those nested in condition branches."""
    for step in steps:
        yield step
        arguments = step.get("Arguments", {})
        if step.get("Type") == "Condition":
            yield from iter_steps(arguments.get("IfSteps", []) + arguments.get("ElseSteps", []))


def split_s3_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not uri.startswith("s3://") or not bucket or not key:
        raise DeployError(f"expected an s3://bucket/key URI, got {uri!r}")
    return bucket, key


def input_uris(definition: dict, input_name: str, step_type: str = "Processing") -> list[tuple[str, str]]:
    """(step name, S3 URI) of every ``step_type`` step's input named ``input_name``; the URI must be fixed."""
    found = []
    for step in iter_steps(definition["Steps"]):
        if step.get("Type") != step_type:
            continue
        for processing_input in step["Arguments"].get("ProcessingInputs", []):
            if processing_input.get("InputName") != input_name:
                continue
            uri = processing_input["S3Input"]["S3Uri"]
            if not isinstance(uri, str):
                raise DeployError(f"step {step['Name']}: the {input_name} input must be a fixed S3 URI, got {uri!r}")
            found.append((step["Name"], uri))
    return found


def script_uploads(definition: dict, steps_dir: Path) -> list[tuple[Path, str]]:
    """(local script, S3 URI) for every processing step's code input, the script found by file name."""
    uploads = []
    for step_name, uri in input_uris(definition, CODE_INPUT_NAME):
        script = steps_dir / uri.rsplit("/", 1)[-1]
        if not script.is_file():
            raise DeployError(f"step {step_name} runs {uri}, but {script} does not exist")
        uploads.append((script, uri))
    if not uploads:
        raise DeployError("the definition has no processing step with a code input: nothing to upload")
    return uploads


def build_time_file(folder: Path, uri: str) -> Path:
    """Where the build keeps a file the SDK uploads while building: under ``folder`` (the definition's), at the
    URI's path below the code prefix."""
    _, mark, below = uri.partition(CODE_PREFIX_MARK)
    if not mark or not below:
        raise DeployError(f"{uri} is not under a {CODE_PREFIX_MARK} prefix, where build-time files go")
    return folder / below


def analysis_config_uploads(definition: dict, folder: Path) -> list[tuple[Path, str]]:
    """(file, S3 URI) of every ClarifyCheck step's analysis configuration, kept by the build under ``folder``."""
    uploads = []
    for step_name, uri in input_uris(definition, ANALYSIS_CONFIG_INPUT_NAME, "ClarifyCheck"):
        path = build_time_file(folder, uri)
        if not path.is_file():
            raise DeployError(f"step {step_name} reads {uri}, but {path} does not exist: rebuild the definition "
                              "(scripts/build_pipeline_json.py writes it)")
        uploads.append((path, uri))
    return uploads


def library_files(prefix_uri: str) -> list[tuple[Path, str]]:
    """(file, S3 URI) for every file of the ``sagelocal`` package under ``prefix_uri``.

    A job that downloads the prefix and puts its folder on ``sys.path`` imports the package from it.
    """
    package = ROOT / "sagelocal"
    return [(path, f"{prefix_uri.rstrip('/')}/{path.relative_to(ROOT).as_posix()}")
            for path in sorted(package.rglob("*")) if path.is_file() and "__pycache__" not in path.parts]


def library_prefixes(definition: dict) -> list[str]:
    """Where the ``sagelocal`` package goes: the distinct URIs of library inputs (none in the default mode)."""
    return sorted({uri for _, uri in input_uris(definition, LIBRARY_INPUT_NAME)})


def pipeline_role(definition: dict) -> str:
    """The execution role the steps use, which the pipeline itself runs as too."""
    roles = {step["Arguments"]["RoleArn"] for step in iter_steps(definition["Steps"])
             if isinstance(step.get("Arguments", {}).get("RoleArn"), str)}
    if len(roles) != 1:
        raise DeployError(f"expected one role ARN across the steps, found {sorted(roles)}; pass --role")
    return roles.pop()


def execution_parameters(definition: dict, assignments: list[str]) -> list[dict]:
    """``Name=Value`` strings as PipelineParameters, checked against the definition's parameters."""
    known = {parameter["Name"] for parameter in definition.get("Parameters", [])}
    parameters = []
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        if not sep:
            raise DeployError(f"--param expects Name=Value, got {assignment!r}")
        if name not in known:
            raise DeployError(f"unknown pipeline parameter {name!r}; the definition has {sorted(known)}")
        parameters.append({"Name": name, "Value": value})
    return parameters


def upload_files(s3_client, uploads: list[tuple[Path, str]]) -> None:
    for path, uri in uploads:
        bucket, key = split_s3_uri(uri)
        s3_client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())


def upsert_pipeline(sagemaker_client, name: str, definition_text: str, role_arn: str, description: str = DESCRIPTION,
                    tags: list[dict] = ()) -> tuple[str, str]:
    """Create the pipeline, or update it when it exists; returns (ARN, "created" or "updated").

    ``tags`` go on the pipeline either way, as the SDK's ``Pipeline.upsert`` puts them: a SageMaker Project's
    ``sagemaker:project-name`` and ``sagemaker:project-id`` are how Studio lists the pipeline under its project.
    """
    try:
        sagemaker_client.describe_pipeline(PipelineName=name)
    except sagemaker_client.exceptions.ResourceNotFound:
        response = sagemaker_client.create_pipeline(
            PipelineName=name, PipelineDefinition=definition_text, RoleArn=role_arn,
            PipelineDescription=description, **({"Tags": list(tags)} if tags else {}),
        )
        return response["PipelineArn"], "created"
    response = sagemaker_client.update_pipeline(PipelineName=name, PipelineDefinition=definition_text,
                                                RoleArn=role_arn)
    if tags:
        sagemaker_client.add_tags(ResourceArn=response["PipelineArn"], Tags=list(tags))
    return response["PipelineArn"], "updated"


def start_execution(sagemaker_client, name: str, parameters: list[dict]) -> str:
    response = sagemaker_client.start_pipeline_execution(PipelineName=name, PipelineParameters=parameters)
    return response["PipelineExecutionArn"]


def wait_for_execution(sagemaker_client, execution_arn: str, emit: Callable[[str], None] = print,
                       poll_seconds: float = 30.0, sleep: Callable[[float], None] = time.sleep) -> str:
    """Poll until the execution ends, emitting each step status change; returns the final status."""
    seen: dict[str, str] = {}
    while True:
        status = sagemaker_client.describe_pipeline_execution(
            PipelineExecutionArn=execution_arn)["PipelineExecutionStatus"]
        steps = sagemaker_client.list_pipeline_execution_steps(
            PipelineExecutionArn=execution_arn, SortOrder="Ascending")["PipelineExecutionSteps"]
        for step in steps:
            if seen.get(step["StepName"]) != step["StepStatus"]:
                seen[step["StepName"]] = step["StepStatus"]
                reason = f" ({step['FailureReason']})" if step.get("FailureReason") else ""
                emit(f"  {step['StepName']}: {step['StepStatus']}{reason}")
        if status in TERMINAL_STATUSES:
            return status
        sleep(poll_seconds)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--definition", type=Path, default=ROOT / "pipeline.json")
    parser.add_argument("--pipeline-name", default=DEFAULT_PIPELINE_NAME)
    parser.add_argument("--role", help="the pipeline's role ARN (default: the role the steps use)")
    parser.add_argument("--param", action="append", default=[], metavar="Name=Value")
    parser.add_argument("--steps-dir", type=Path, default=ROOT / "steps", help="where the step scripts are")
    parser.add_argument("--wait", action="store_true", help="wait for the execution, printing step statuses")
    parser.add_argument("--region", help="AWS region (default: boto3's configuration)")
    parser.add_argument("--endpoint-url", help="send both the S3 and the SageMaker calls to this URL")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import boto3

    try:
        text, definition = load_definition(args.definition)
        scripts = script_uploads(definition, args.steps_dir) + analysis_config_uploads(
            definition, args.definition.resolve().parent)
        role = args.role or pipeline_role(definition)
        parameters = execution_parameters(definition, args.param)
        if not args.endpoint_url and PLACEHOLDER_ACCOUNT in role + json.dumps([uri for _, uri in scripts]):
            raise DeployError(f"{args.definition} still has the placeholder account 000000000000; rebuild it "
                              "with scripts/build_pipeline_json.py --role <role ARN> --bucket <bucket>")
    except DeployError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    session = boto3.Session(region_name=args.region)
    return deploy_and_start(session.client("s3", endpoint_url=args.endpoint_url),
                            session.client("sagemaker", endpoint_url=args.endpoint_url), args.pipeline_name, text,
                            definition, scripts, role, parameters, args.wait)


def deploy_and_start(s3_client, sagemaker_client, name: str, text: str, definition: dict,
                     scripts: list[tuple[Path, str]], role: str, parameters: list[dict], wait: bool,
                     description: str = DESCRIPTION, tags: list[dict] = ()) -> int:
    """Upload the step ``scripts`` (and the library where the definition wants it), upsert the pipeline, start it
    with the champion staged. The exit status: with ``wait``, 0 only if the execution succeeded."""
    import champion  # beside this script; it imports this module's helpers

    libraries = library_prefixes(definition)
    upload_files(s3_client, scripts + [upload for prefix in libraries for upload in library_files(prefix)])
    for script, uri in scripts:
        print(f"uploaded {script.name} to {uri}")
    for prefix in libraries:
        print(f"uploaded the sagelocal package to {prefix}")
    pipeline_arn, action = upsert_pipeline(sagemaker_client, name, text, role, description, tags)
    print(f"{action} {pipeline_arn}")
    parameters, who = champion.execution_parameters(sagemaker_client, s3_client, definition, parameters)
    print(who)
    execution_arn = start_execution(sagemaker_client, name, parameters)
    print(f"started {execution_arn}")
    if not wait:
        return 0
    status = wait_for_execution(sagemaker_client, execution_arn)
    print(f"execution {status}")
    return 0 if status == "Succeeded" else 1

if __name__ == "__main__":
    sys.exit(main())
