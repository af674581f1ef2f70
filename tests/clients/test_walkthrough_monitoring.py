"""The walkthrough's Model Monitor cells, verbatim on the SDK v3 import paths, against the local server: only
AWS_ENDPOINT_URL points them there. The baseline job's log is streamed by ``suggest_baseline(wait=True)``
(logs on), the hourly schedule is made from a DataQualityJobDefinition, ``attach`` reads its tags, and the
latest execution's violations are read back, all with no network attempt beyond loopback."""
from __future__ import annotations

import subprocess
import sys

from clients.walkthrough import BUCKET, ENDPOINT, PREFIX, client_environment, deploy_with_traffic

CELLS = f'''
bucket, prefix = {BUCKET!r}, {PREFIX!r}
role = "arn:aws:iam::000000000000:role/SageMakerRole"
s3_report_path = "s3://{{}}/{{}}".format(bucket, prefix + "/reports")
baseline_prefix = prefix + "/baselining"
baseline_data_uri = "s3://{{}}/{{}}".format(bucket, baseline_prefix + "/data")
baseline_results_uri = "s3://{{}}/{{}}".format(bucket, baseline_prefix + "/results")

from sagemaker.core.model_monitor import DefaultModelMonitor
from sagemaker.core.model_monitor.dataset_format import DatasetFormat

my_default_monitor = DefaultModelMonitor(
    role=role,
    instance_count=1,
    instance_type="ml.m5.4xlarge",
    volume_size_in_gb=100,
    max_runtime_in_seconds=3600,
)
my_default_monitor.suggest_baseline(
    baseline_dataset=baseline_data_uri + "/train.csv",
    dataset_format=DatasetFormat.csv(header=False),
    output_s3_uri=baseline_results_uri,
    wait=True,
)
baseline_job = my_default_monitor.latest_baselining_job
print("FEATURES", len(baseline_job.baseline_statistics().body_dict["features"]))
print("EMIT", baseline_job.suggested_constraints().body_dict["monitoring_config"]["emit_metrics"])

from sagemaker.core.model_monitor import CronExpressionGenerator

mon_schedule_name = "xgb-breast-cancer-monitor-schedule"
my_default_monitor.create_monitoring_schedule(
    monitor_schedule_name=mon_schedule_name,
    endpoint_input={ENDPOINT!r},
    output_s3_uri=s3_report_path,
    statistics=my_default_monitor.baseline_statistics(),
    constraints=my_default_monitor.suggested_constraints(),
    schedule_cron_expression=CronExpressionGenerator.hourly(),
    enable_cloudwatch_metrics=True,
)
print("STATUS", my_default_monitor.describe_schedule()["MonitoringScheduleStatus"])

import subprocess, sys
ran = subprocess.run([sys.executable, "-m", "sagelocal", "monitor", "run-schedule", mon_schedule_name, "--now"],
                     capture_output=True, text=True)
print("RUN", ran.returncode, ran.stdout.strip())

attached = DefaultModelMonitor.attach(mon_schedule_name)
mon_executions = attached.list_executions()
latest_execution = mon_executions[-1]
print("EXIT", latest_execution.describe()["ExitMessage"])
violations = latest_execution.constraint_violations().body_dict["violations"]
print("VIOLATIONS", sorted({{v["constraint_check_type"] for v in violations}}))

import netguard
print("ATTEMPTS", netguard.ATTEMPTS)
'''


def test_the_walkthroughs_monitoring_cells_run_unchanged(local_server, tmp_path):
    deploy_with_traffic(local_server)
    done = subprocess.run([sys.executable, "-c", CELLS], env=client_environment(local_server, tmp_path),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout + done.stderr
    # suggest_baseline(wait=True) printed the baseline job's own output, read from CloudWatch Logs
    assert "analyzer: Completed: Job completed successfully with no violations." in out
    assert '"dataset_source": "/opt/ml/processing/input/baseline_dataset_input"' in out
    assert "FEATURES 31" in out and "EMIT Enabled" in out
    assert "STATUS Scheduled" in out
    assert "RUN 0" in out
    assert "EXIT CompletedWithViolations" in out
    assert "'data_type_check'" in out.split("VIOLATIONS", 1)[1].splitlines()[0]
    assert "ATTEMPTS []" in out
    sagemaker = local_server.client("sagemaker")
    schedule = sagemaker.describe_monitoring_schedule(MonitoringScheduleName="xgb-breast-cancer-monitor-schedule")
    config = schedule["MonitoringScheduleConfig"]
    assert config["MonitoringType"] == "DataQuality"
    definition = sagemaker.describe_data_quality_job_definition(JobDefinitionName=config["MonitoringJobDefinitionName"])
    assert definition["DataQualityJobInput"]["EndpointInput"]["EndpointName"] == "xgb-breast-cancer"
