"""The pipeline room's AWS face, scripts/run_pipeline_on_aws.py, unchanged against the local server."""
import json

from aws_scripts.test_end_to_end_local import run_script
from pipeline_registry.test_pipeline_operations import SCRIPT, definition


def test_upload_upsert_start_and_wait(local_server, tmp_path):
    local_server.client("s3").create_bucket(Bucket="pipes")
    steps = tmp_path / "steps"
    steps.mkdir()
    (steps / "greet.py").write_text(SCRIPT)
    path = tmp_path / "pipeline.json"
    path.write_text(definition())
    args = ["--definition", str(path), "--pipeline-name", "Greeter", "--steps-dir", str(steps),
            "--param", "Greeting=hi", "--wait"]
    first = run_script(local_server, "run_pipeline_on_aws.py", *args)
    assert "uploaded greet.py to s3://pipes/code/greet.py" in first.stdout
    assert "created arn:aws:sagemaker:us-east-1:000000000000:pipeline/greeter" in first.stdout
    assert "Greet: Succeeded" in first.stdout and first.stdout.rstrip().endswith("execution Succeeded")
    second = run_script(local_server, "run_pipeline_on_aws.py", *args)
    assert "updated arn:aws:sagemaker:us-east-1:000000000000:pipeline/greeter" in second.stdout
    executions = local_server.client("sagemaker").list_pipeline_executions(PipelineName="Greeter")
    assert len(executions["PipelineExecutionSummaries"]) == 2
    assert json.loads(local_server.client("sagemaker").describe_pipeline(PipelineName="Greeter")[
        "PipelineDefinition"]) == json.loads(definition())
