"""codebuild-buildspec.yml: each command that runs a project script passes flags that script accepts."""
import importlib
import os
import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_ENV = {"SAGEMAKER_PROJECT_NAME": "breast-cancer", "SAGEMAKER_PROJECT_ID": "p-abc123",
                "ARTIFACT_BUCKET": "sagemaker-project-p-abc123", "AWS_REGION": "eu-west-1",
                "SAGEMAKER_PIPELINE_ROLE_ARN": "arn:aws:iam::111122223333:role/service-role/PipelineRole",
                "SAGEMAKER_PROJECT_NAME_ID": "breast-cancer-p-abc123"}


def script_commands() -> list[list[str]]:
    spec = yaml.safe_load((ROOT / "codebuild-buildspec.yml").read_text())
    commands = [c for phase in spec["phases"].values() for c in phase["commands"]]
    expanded = []
    for command in commands:
        for name, value in TEMPLATE_ENV.items():
            command = command.replace(f"${{{name}}}", value)
        argv = shlex.split(command)
        if argv[:2] == ["python", argv[1]] and argv[1].startswith("scripts/"):
            expanded.append(argv[1:])
    return expanded


def test_buildspec_builds_then_runs_the_pipeline():
    assert [argv[0] for argv in script_commands()] == ["scripts/build_pipeline_json.py",
                                                       "scripts/run_pipeline_on_aws.py"]


def test_every_flag_is_accepted_by_its_script():
    for script, *args in script_commands():
        assert (ROOT / script).is_file()
        module = importlib.import_module(Path(script).stem)
        parsed = module.parse_args(args)
        assert "${" not in " ".join(map(str, vars(parsed).values()))


def test_run_uses_the_template_names():
    run = next(args for script, *args in script_commands() if script.endswith("run_pipeline_on_aws.py"))
    assert run[run.index("--pipeline-name") + 1] == "breast-cancer-p-abc123"
    assert run[run.index("--region") + 1] == "eu-west-1" and "--wait" in run
    assert os.path.basename(run[run.index("--definition") + 1]) == "pipeline.json"
