"""A monitoring execution's analyzer job runs in the job sandbox, as every processing job does: the user's
post-analytics script (PostAnalyticsProcessorSourceUri, staged as Model Monitor stages it) sees the container's
paths and can write nowhere but in the job's own folders."""
import json
from pathlib import Path

from hosting.deploy import csv_row, deploy, feature_rows
from schedules.monitoring import schedule_config
from schedules.test_execution_end_to_end import _baseline

from sagelocal.storage import LocalS3

SCRIPT_URI = "s3://monitoring/code/postprocessor.py"
# Model Monitor's contract: postprocess_handler() runs after the analysis, in the analyzer's container.
POSTPROCESSOR = """import json, os
from pathlib import Path


def postprocess_handler():
    attempts = {{}}
    for target in ("/opt/ml/x", "/etc/sagelocal-escaped", os.path.expanduser("~/sagelocal-escaped"), {host!r}):
        try:
            Path(target).write_text("escaped")
            attempts[target] = "written"
        except OSError as error:
            attempts[target] = type(error).__name__
    seen = {{"dataset_source": os.environ["dataset_source"], "script": os.environ["post_analytics_processor_script"],
            "attempts": attempts}}
    Path(os.environ["output_path"], "seen.json").write_text(json.dumps(seen))
"""


def test_the_post_analytics_script_runs_sandboxed(local_server, tmp_path):
    s3 = LocalS3(local_server.settings.s3_root)
    host_target = tmp_path / "escaped"
    s3.write_bytes(SCRIPT_URI, POSTPROCESSOR.format(host=str(host_target)).encode())
    env = deploy(local_server)
    for row in feature_rows(20):
        env["runtime"].invoke_endpoint(EndpointName="bc-endpoint", ContentType="text/csv", Body=csv_row(row))
    config = schedule_config("bc-endpoint", baseline=_baseline(tmp_path, s3))
    config["MonitoringJobDefinition"]["MonitoringAppSpecification"]["PostAnalyticsProcessorSourceUri"] = SCRIPT_URI
    env["sm"].create_monitoring_schedule(MonitoringScheduleName="hourly", MonitoringScheduleConfig=config)

    report = local_server.app.state.backends["schedules"].run_now("hourly")

    assert report["MonitoringExecutionStatus"] in ("Completed", "CompletedWithViolations"), report.get("FailureReason")
    seen = json.loads(s3.read_bytes(f"{report['ReportUri']}/seen.json"))
    assert seen["dataset_source"] == "/opt/ml/processing/input/endpoint"
    assert seen["script"] == "/opt/ml/processing/input/post_analytics_processor_script_input/postprocessor.py"
    assert "written" not in seen["attempts"].values(), seen["attempts"]
    assert not host_target.exists() and not Path("/etc/sagelocal-escaped").exists()
    job = env["sm"].describe_processing_job(ProcessingJobName=report["ProcessingJobArn"].rsplit("/", 1)[-1])
    inputs = {i["InputName"]: i["S3Input"] for i in job["ProcessingInputs"]}
    assert inputs["post_analytics_processor_script_input"]["S3Uri"] == SCRIPT_URI
