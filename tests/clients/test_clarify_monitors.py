"""The SDK v3's ModelBiasMonitor and ModelExplainabilityMonitor, unchanged, against the local server (only
AWS_ENDPOINT_URL points them there): ``create_monitoring_schedule`` uploads the analysis configuration
(BiasAnalysisConfig / ExplainabilityAnalysisConfig), creates the job definition and an hourly schedule naming it;
an execution then runs on the endpoint's capture (and ground truth), and ``attach(...)`` reads it
back from the schedule's LastMonitoringExecutionSummary, with no network attempt beyond loopback."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone

from clients.walkthrough import BUCKET, ENDPOINT, client_environment
from hosting.deploy import FEATURES, csv_row, deploy, feature_rows
from sagelocal.storage import LocalS3
from schedules.test_model_quality_schedule import ground_truth, true_label

GROUND_TRUTH = f"s3://{BUCKET}/clarify-monitor/ground-truth"
HEADERS = [f"f{i}" for i in range(FEATURES)]

CELLS = f'''
role = "arn:aws:iam::000000000000:role/SageMakerRole"
from sagemaker.core.clarify import BiasConfig, ModelConfig, SHAPConfig
from sagemaker.core.model_monitor import (BiasAnalysisConfig, CronExpressionGenerator, EndpointInput,
                                          ExplainabilityAnalysisConfig, ModelBiasMonitor, ModelExplainabilityMonitor)

endpoint_input = EndpointInput(endpoint_name={ENDPOINT!r}, destination="/opt/ml/processing/input/endpoint",
                               probability_attribute="0", probability_threshold_attribute=0.5)
bias_monitor = ModelBiasMonitor(role=role, max_runtime_in_seconds=1800)
bias_monitor.create_monitoring_schedule(
    analysis_config=BiasAnalysisConfig(BiasConfig(label_values_or_threshold=[1], facet_name="f2",
                                                  facet_values_or_threshold=[0]),
                                       headers=["label", *{HEADERS!r}], label="label"),
    endpoint_input=endpoint_input, ground_truth_input={GROUND_TRUTH!r},
    output_s3_uri="s3://{BUCKET}/clarify-monitor/bias-reports", monitor_schedule_name="bias-monitor",
    schedule_cron_expression=CronExpressionGenerator.hourly())
model_config = ModelConfig(model_name="{ENDPOINT}-model", instance_count=1, instance_type="ml.m5.xlarge",
                           content_type="text/csv", accept_type="text/csv")
explainability_monitor = ModelExplainabilityMonitor(role=role, max_runtime_in_seconds=1800)
explainability_monitor.create_monitoring_schedule(
    analysis_config=ExplainabilityAnalysisConfig(
        SHAPConfig(baseline=[[0.0] * {FEATURES}], num_samples=300, agg_method="mean_abs", save_local_shap_values=False),
        model_config, headers={HEADERS!r}),
    endpoint_input=endpoint_input, output_s3_uri="s3://{BUCKET}/clarify-monitor/explainability-reports",
    monitor_schedule_name="explainability-monitor", schedule_cron_expression=CronExpressionGenerator.hourly())

import subprocess, sys
for monitor, name in ((ModelBiasMonitor, "bias-monitor"), (ModelExplainabilityMonitor, "explainability-monitor")):
    ran = subprocess.run([sys.executable, "-m", "sagelocal", "monitor", "run-schedule", name, "--now"],
                         capture_output=True, text=True)
    print("RUN", name, ran.returncode, ran.stdout.strip(), ran.stderr[-2000:])
    attached = monitor.attach(name)
    print("TYPE", name, attached.describe_schedule()["MonitoringScheduleConfig"]["MonitoringType"])
    # Not list_executions(): in sagemaker 3.27.0 ClarifyModelMonitor.list_executions reads ``job_name`` of the
    # sagemaker-core MonitoringExecution resources its base class returns, which have none (AttributeError).
    last = attached.describe_schedule()["LastMonitoringExecutionSummary"]
    print("EXECUTION", name, last["MonitoringExecutionStatus"], last.get("FailureReason"))

import netguard
print("ATTEMPTS", netguard.ATTEMPTS)
'''


def test_the_sdks_clarify_monitors_create_schedules_that_run(local_server, tmp_path):
    env = deploy(local_server, name=ENDPOINT)
    rows = feature_rows(40)
    for number, row in enumerate(rows):
        env["runtime"].invoke_endpoint(EndpointName=ENDPOINT, ContentType="text/csv", Body=csv_row(row),
                                       InferenceId=str(number))
    labels = {str(number): true_label(row) for number, row in enumerate(rows)}
    s3 = LocalS3(local_server.settings.s3_root)
    s3.write_bytes(f"{GROUND_TRUTH}/{datetime.now(timezone.utc):%Y/%m/%d/%H}/labels.jsonl",
                   "".join(json.dumps(record) + "\n" for record in ground_truth(labels)).encode())
    done = subprocess.run([sys.executable, "-c", CELLS], env=client_environment(local_server, tmp_path),
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "TYPE bias-monitor ModelBias" in out and "TYPE explainability-monitor ModelExplainability" in out
    assert "EXECUTION bias-monitor Completed" in out, out
    assert "EXECUTION explainability-monitor Completed" in out, out
    assert "ATTEMPTS []" in out
    sagemaker = local_server.client("sagemaker")
    for name, section in (("bias-monitor", "post_training_bias_metrics"), ("explainability-monitor", "explanations")):
        execution = sagemaker.list_monitoring_executions(MonitoringScheduleName=name)["MonitoringExecutionSummaries"]
        job = sagemaker.describe_processing_job(ProcessingJobName=execution[0]["ProcessingJobArn"].rsplit("/", 1)[-1])
        report = job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
        assert section in json.loads(s3.path(f"{report}/analysis.json").read_text())
