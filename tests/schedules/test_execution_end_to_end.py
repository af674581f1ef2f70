"""A monitoring execution over real captured traffic, with the monitor library's analyzer, and the CLI."""
import json
import os
import subprocess
import sys


from hosting.deploy import FEATURES, csv_row, deploy, feature_rows
from schedules.monitoring import OUTPUT_URI, schedule_config

from sagelocal.storage import LocalS3

BASELINE_URI = "s3://monitoring/baseline"


def _baseline(tmp_path, s3: LocalS3) -> dict:
    """Baseline with the analyzer's baselining contract; the label (Integral) comes first, as in training."""
    data = tmp_path / "baseline-input"
    data.mkdir()
    rows = feature_rows(200, seed=11)
    header = ",".join(["label"] + [f"f{i}" for i in range(FEATURES)])
    lines = [f"{int(r[0] > 0)}," + csv_row(r) for r in rows]
    (data / "train.csv").write_text(header + "\n" + "\n".join(lines) + "\n")
    out = tmp_path / "baseline-output"
    env = dict(os.environ, dataset_format=json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
               dataset_source=str(data), output_path=str(out), publish_cloudwatch_metrics="Disabled",
               output_message_file=str(tmp_path / "message"))
    done = subprocess.run([sys.executable, "-m", "sagelocal.monitor.analyzer"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    s3.copy_in(out / "statistics.json", f"{BASELINE_URI}/statistics.json")
    s3.copy_in(out / "constraints.json", f"{BASELINE_URI}/constraints.json")
    return {"ConstraintsResource": {"S3Uri": f"{BASELINE_URI}/constraints.json"},
            "StatisticsResource": {"S3Uri": f"{BASELINE_URI}/statistics.json"}}


def test_execution_finds_the_walkthroughs_data_type_violation(local_server, tmp_path):
    s3 = LocalS3(local_server.settings.s3_root)
    env = deploy(local_server)
    for i, row in enumerate(feature_rows(60)):
        env["runtime"].invoke_endpoint(EndpointName="bc-endpoint", ContentType="text/csv", Body=csv_row(row),
                                       InferenceId=f"row-{i}")
    env["sm"].create_monitoring_schedule(
        MonitoringScheduleName="hourly",
        MonitoringScheduleConfig=schedule_config("bc-endpoint", baseline=_baseline(tmp_path, s3)))
    report = local_server.app.state.backends["schedules"].run_now("hourly")
    assert report["MonitoringExecutionStatus"] == "CompletedWithViolations", report.get("FailureReason")
    assert report["Violations"].get("data_type_check", 0) >= 1
    hour = report["ScheduledTime"]
    assert report["ReportUri"] == f"{OUTPUT_URI}/bc-endpoint/hourly/{hour:%Y/%m/%d/%H}"
    for name in ("statistics.json", "constraints.json", "constraint_violations.json"):
        assert s3.exists(f"{report['ReportUri']}/{name}")
    statistics = json.loads(s3.read_bytes(f"{report['ReportUri']}/statistics.json"))
    assert statistics["dataset"]["item_count"] == 60
    assert_processing_job_matches(env["sm"], report)


def assert_processing_job_matches(sagemaker, execution: dict) -> None:
    """DescribeProcessingJob answers for the execution's ProcessingJobArn, as the SDK's MonitoringExecution needs:
    the report folder is the job's output, and the job ended as the execution did."""
    job = sagemaker.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].rsplit("/", 1)[-1])
    assert job["ProcessingJobArn"] == execution["ProcessingJobArn"]
    assert job["MonitoringScheduleArn"].endswith(f"monitoring-schedule/{execution['MonitoringScheduleName']}")
    (output,) = job["ProcessingOutputConfig"]["Outputs"]
    hour = execution["ScheduledTime"]
    assert output["S3Output"]["S3Uri"] == f"{OUTPUT_URI}/bc-endpoint/{execution['MonitoringScheduleName']}/{hour:%Y/%m/%d/%H}"
    assert job["Environment"]["sagemaker_endpoint_name"] == "bc-endpoint"
    assert job["Environment"]["dataset_source"] == "/opt/ml/processing/input/endpoint"
    if execution["MonitoringExecutionStatus"] == "Failed":
        assert (job["ProcessingJobStatus"], job["FailureReason"]) == ("Failed", execution["FailureReason"])
        return
    assert job["ProcessingJobStatus"] == "Completed"
    assert job["ExitMessage"].startswith(execution["MonitoringExecutionStatus"])
    inputs = {i["InputName"]: i["S3Input"] for i in job["ProcessingInputs"]}
    assert inputs["endpoint_input_1"]["LocalPath"].startswith("/opt/ml/processing/input/endpoint/bc-endpoint/")
    assert inputs["baseline"]["S3Uri"] == f"{BASELINE_URI}/statistics.json"
    assert job["Environment"]["baseline_constraints"] == "/opt/ml/processing/baseline/constraints/constraints.json"


def test_cli_runs_a_schedule_now_and_lists_executions(local_server):
    deploy(local_server)["sm"].create_monitoring_schedule(MonitoringScheduleName="hourly",
                                                          MonitoringScheduleConfig=schedule_config("bc-endpoint"))
    env = dict(os.environ, SAGELOCAL_HOME=str(local_server.settings.home))
    run = subprocess.run([sys.executable, "-m", "sagelocal.schedules", "run-schedule", "hourly", "--now"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "Failed" in run.stdout and "Job inputs had no data" in run.stdout
    listing = subprocess.run([sys.executable, "-m", "sagelocal.schedules", "executions", "--json"], env=env,
                             capture_output=True, text=True, timeout=120)
    executions = json.loads(listing.stdout)
    assert [e["MonitoringExecutionStatus"] for e in executions] == ["Failed"]
    (execution,) = local_server.client("sagemaker").list_monitoring_executions()["MonitoringExecutionSummaries"]
    assert_processing_job_matches(local_server.client("sagemaker"), execution)
    missing = subprocess.run([sys.executable, "-m", "sagelocal.schedules", "run-schedule", "nope", "--now"], env=env,
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "does not exist" in missing.stdout


def test_metrics_page_exports_the_executions_cloudwatch_metrics(local_server, tmp_path):
    import httpx

    from sagelocal.credentials import load_or_create

    env = deploy(local_server)
    for row in feature_rows(30):
        env["runtime"].invoke_endpoint(EndpointName="bc-endpoint", ContentType="text/csv", Body=csv_row(row))
    baseline = _baseline(tmp_path, LocalS3(local_server.settings.s3_root))
    env["sm"].create_monitoring_schedule(MonitoringScheduleName="hourly",
                                         MonitoringScheduleConfig=schedule_config("bc-endpoint", baseline=baseline))
    local_server.app.state.backends["schedules"].run_now("hourly")
    secret = load_or_create(local_server.settings).secret_access_key
    page = httpx.get(local_server.url + "/metrics", headers={"Authorization": f"Bearer {secret}"}).text
    for prefix in ("feature_data_f0{", "feature_non_null_f0{", "feature_baseline_drift_f0{"):
        assert any(line.startswith(prefix) and 'endpoint="bc-endpoint",schedule="hourly"' in line
                   for line in page.splitlines()), prefix
    assert 'sagemaker_monitoring_violations{endpoint="bc-endpoint",schedule="hourly",' in page
