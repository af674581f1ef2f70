"""The SDK's Pipeline.upsert() and .start() work offline against the local server, with no other network.

Run in a subprocess under the network guard: the SDK reads its region at import, and AWS_ENDPOINT_URL
points every boto3 client it makes at the local server; its credentials come from the server's file.
"""
import os
import subprocess
import sys
from pathlib import Path

from pipeline_registry.test_pipeline_operations import ROLE, SCRIPT
from sagelocal.credentials import PROFILE, credentials_path

ROOT = Path(__file__).resolve().parents[2]
SDK_CLIENT = """
import sys
sys.path.insert(0, {tests!r})
import netguard
netguard.install()
import sagemaker.core.telemetry.telemetry_logging as telemetry
telemetry._send_telemetry_request = lambda *args, **kwargs: None
from sagemaker.core.image_uris import retrieve
from sagemaker.core.processing import ScriptProcessor
from sagemaker.core.shapes import ProcessingOutput, ProcessingS3Output
from sagemaker.core.workflow.parameters import ParameterString
from sagemaker.core.workflow.pipeline_context import PipelineSession
from sagemaker.mlops.workflow.pipeline import Pipeline
from sagemaker.mlops.workflow.steps import ProcessingStep

session = PipelineSession(default_bucket="pipes")
greeting = ParameterString(name="Greeting", default_value="hello")
processor = ScriptProcessor(role={role!r}, image_uri=retrieve("sklearn", "us-east-1", version="1.2-1"),
                            command=["python3"], instance_count=1, instance_type="ml.m5.large",
                            sagemaker_session=session)
step_args = processor.run(code="s3://pipes/code/greet.py", arguments=[greeting, "/opt/ml/processing/out"],
                          outputs=[ProcessingOutput(output_name="out", s3_output=ProcessingS3Output(
                              s3_uri="s3://pipes/sdk-out", local_path="/opt/ml/processing/out",
                              s3_upload_mode="EndOfJob"))])
pipeline = Pipeline(name="SdkGreeter", parameters=[greeting], sagemaker_session=session,
                    steps=[ProcessingStep(name="Greet", step_args=step_args)])
print("first", pipeline.upsert(role_arn={role!r})["PipelineArn"])
print("second", pipeline.upsert(role_arn={role!r})["PipelineArn"])
execution = pipeline.start(parameters={{"Greeting": "from the SDK"}})
execution.wait(delay=1, max_attempts=120)
print("status", execution.describe()["PipelineExecutionStatus"])
print("steps", [(s["StepName"], s["StepStatus"]) for s in execution.list_steps()])
print("attempts", netguard.ATTEMPTS)
"""


def test_sdk_upsert_and_start(local_server):
    s3 = local_server.client("s3")
    s3.create_bucket(Bucket="pipes")
    s3.put_object(Bucket="pipes", Key="code/greet.py", Body=SCRIPT.encode())
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": local_server.url,
           "AWS_SHARED_CREDENTIALS_FILE": str(credentials_path(local_server.settings)), "AWS_PROFILE": PROFILE,
           "AWS_CONFIG_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true", "SAGEMAKER_VALIDATE_ROLE": "false"}
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(variable, None)
    code = SDK_CLIENT.format(tests=str(ROOT / "tests"), role=ROLE)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    assert lines["first"] == lines["second"] == "arn:aws:sagemaker:us-east-1:000000000000:pipeline/sdkgreeter"
    assert lines["status"] == "Succeeded"
    assert lines["steps"] == "[('Greet', 'Succeeded')]"
    assert lines["attempts"] == "[]"
    assert s3.get_object(Bucket="pipes", Key="sdk-out/greeting.txt")["Body"].read() == b"from the SDK"
