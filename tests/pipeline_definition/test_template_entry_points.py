"""pipelines/get_pipeline_definition.py and pipelines/run_pipeline.py, the SageMaker Project template's entry
points: the same definition as pipeline.json, and the project's tags on the upserted pipeline."""
import subprocess
import sys
from pathlib import Path

from pipelines.run_pipeline import parse_args
from pipeline_registry.test_pipeline_operations import definition

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import run_pipeline_on_aws  # noqa: E402

PLACEHOLDERS = ('{"region": "us-east-1", "role": "arn:aws:iam::000000000000:role/SageMakerExecutionRole", '
                '"default_bucket": "sagemaker-us-east-1-000000000000", "sagemaker_project_name": "breast-cancer"}')
PROJECT_TAGS = [{"Key": "sagemaker:project-name", "Value": "breast-cancer"},
                {"Key": "sagemaker:project-id", "Value": "p-abc123"}]


def _sorted(tags: list[dict]) -> list[dict]:
    return sorted(tags, key=lambda tag: tag["Key"])


def _tags(sagemaker, arn: str) -> list[dict]:
    return _sorted(sagemaker.list_tags(ResourceArn=arn)["Tags"])


def test_get_pipeline_definition_writes_pipeline_json_byte_for_byte(tmp_path):
    written = tmp_path / "pipeline.json"
    result = subprocess.run([sys.executable, "pipelines/get_pipeline_definition.py", "-n",
                             "pipelines.breast_cancer.pipeline", "-kwargs", PLACEHOLDERS, "-f", str(written)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert written.read_bytes() == (ROOT / "pipeline.json").read_bytes()
    # The template passes the project's name too; this get_pipeline does not take it, and says so.
    assert "takes no sagemaker_project_name: not passed" in result.stderr


def test_run_pipeline_takes_the_templates_flags():
    args = parse_args(["-n", "pipelines.breast_cancer.pipeline", "-role-arn", "arn:aws:iam::1:role/r",
                       "-description", "d", "-tags", "[]", "-kwargs", "{}"])
    assert (args.module_name, args.role_arn, args.description, args.tags, args.kwargs) == (
        "pipelines.breast_cancer.pipeline", "arn:aws:iam::1:role/r", "d", "[]", "{}")


def test_the_projects_tags_go_on_the_pipeline_when_created_and_when_updated(local_server):
    sagemaker = local_server.client("sagemaker")
    role = "arn:aws:iam::000000000000:role/r"
    arn, action = run_pipeline_on_aws.upsert_pipeline(sagemaker, "Greeter", definition(), role, tags=PROJECT_TAGS)
    assert action == "created" and _tags(sagemaker, arn) == _sorted(PROJECT_TAGS)
    stage = {"Key": "stage", "Value": "build"}
    assert run_pipeline_on_aws.upsert_pipeline(sagemaker, "Greeter", definition(), role,
                                               tags=[stage]) == (arn, "updated")
    assert _tags(sagemaker, arn) == _sorted([*PROJECT_TAGS, stage])
