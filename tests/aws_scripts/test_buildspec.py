"""codebuild-buildspec.yml in the SageMaker Project template's shape: each entry point it runs accepts its flags,
the names are the project's, the project's tags go to the upsert, and it installs only the build's requirements."""
import importlib
import json
import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_ENV = {"SAGEMAKER_PROJECT_NAME": "breast-cancer", "SAGEMAKER_PROJECT_ID": "p-abc123",
                "ARTIFACT_BUCKET": "sagemaker-project-p-abc123", "AWS_REGION": "eu-west-1",
                "SAGEMAKER_PIPELINE_ROLE_ARN": "arn:aws:iam::111122223333:role/service-role/PipelineRole",
                "SAGEMAKER_PROJECT_NAME_ID": "breast-cancer-p-abc123"}
ENTRY_POINTS = {"get-pipeline-definition": "pipelines.get_pipeline_definition", "run-pipeline": "pipelines.run_pipeline"}


def _commands(phase: str) -> list[list[str]]:
    spec = yaml.safe_load((ROOT / "codebuild-buildspec.yml").read_text())
    expanded = []
    for command in spec["phases"][phase]["commands"]:
        for name, value in TEMPLATE_ENV.items():
            command = command.replace(f"${{{name}}}", value)
        expanded.append(shlex.split(command))
    return expanded


def _parsed() -> dict:
    """Each entry point's command, parsed by its own parser."""
    return {argv[0]: importlib.import_module(ENTRY_POINTS[argv[0]]).parse_args(argv[1:])
            for argv in _commands("build") if argv[0] in ENTRY_POINTS}


def test_the_build_writes_the_definition_then_runs_the_pipeline():
    assert [argv[0] for argv in _commands("build") if argv[0] in ENTRY_POINTS] == list(ENTRY_POINTS)
    setup = (ROOT / "setup.py").read_text()
    for name, module in ENTRY_POINTS.items():
        assert f'"{name}={module}:main"' in setup


def test_names_role_and_project_tags_are_the_projects():
    parsed = _parsed()
    run = parsed["run-pipeline"]
    kwargs = json.loads(run.kwargs)
    assert kwargs["pipeline_name"] == kwargs["model_package_group_name"] == "breast-cancer-p-abc123"
    assert kwargs["region"] == "eu-west-1" and kwargs["default_bucket"] == "sagemaker-project-p-abc123"
    assert run.role_arn == kwargs["role"] == TEMPLATE_ENV["SAGEMAKER_PIPELINE_ROLE_ARN"]
    assert json.loads(run.tags) == [{"Key": "sagemaker:project-name", "Value": "breast-cancer"},
                                    {"Key": "sagemaker:project-id", "Value": "p-abc123"}]
    definition = parsed["get-pipeline-definition"]
    assert definition.file_name == "pipeline.json"
    assert json.loads(definition.kwargs).items() <= kwargs.items()


def test_the_build_installs_no_runtime_test_or_browser_dependency():
    installs = [argv for argv in _commands("install") if argv[:2] == ["pip", "install"]]
    assert ["pip", "install", "-r", "requirements-build.txt"] in installs
    wanted = {line.split("==")[0].split(">=")[0] for line in (ROOT / "requirements-build.txt").read_text().splitlines()
              if line and not line.startswith("#")}
    assert not wanted & {"pytest", "playwright", "fastapi", "uvicorn", "import-linter", "xgboost"}
    assert ["pip", "install", "--no-deps", "."] in installs
