"""The monitoring pipeline (SDK v3): one processing step running the monitor library over an endpoint's capture.

For accounts without Model Monitor. It writes the same reports as a Model Monitor data-quality execution
(statistics.json, constraint_violations.json) under ``ReportUri/<execution id>``; an EventBridge Scheduler
schedule starts it every hour (``scripts/setup_monitoring.py pipeline``). The step runs
``pipelines/monitoring/analyze_capture.py`` on the scikit-learn image with the ``sagelocal`` package
uploaded beside it. Importing this module needs ``AWS_DEFAULT_REGION`` (the SDK makes clients at import).
"""
from __future__ import annotations

from sagemaker.core.image_uris import retrieve as retrieve_image_uri
from sagemaker.core.processing import ScriptProcessor
from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output
from sagemaker.core.workflow.execution_variables import ExecutionVariables
from sagemaker.core.workflow.functions import Join
from sagemaker.core.workflow.parameters import ParameterInteger, ParameterString
from sagemaker.core.workflow.pipeline_context import PipelineSession
from sagemaker.mlops.workflow.pipeline import Pipeline
from sagemaker.mlops.workflow.steps import ProcessingStep

SKLEARN_VERSION = "1.9-0"
ROOT = "/opt/ml/processing"
CAPTURE_FORMAT = '{"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}'


def code_prefix(default_bucket: str, pipeline_name: str) -> str:
    """Where the entry script and the ``sagelocal`` package are uploaded."""
    return f"s3://{default_bucket}/{pipeline_name}/code"


def _input(name: str, s3_uri, local_path: str) -> ProcessingInput:
    return ProcessingInput(input_name=name, s3_input=ProcessingS3Input(
        s3_uri=s3_uri, local_path=local_path, s3_data_type="S3Prefix", s3_input_mode="File",
        s3_data_distribution_type="FullyReplicated"))


def get_pipeline(region: str, role: str, default_bucket: str, endpoint_name: str = "breast-cancer-xgboost",
                 pipeline_name: str = "BreastCancerMonitoring",
                 sagemaker_session: PipelineSession | None = None) -> Pipeline:
    """Return the pipeline; every location is an explicit S3 URI, so building it never calls AWS."""
    session = sagemaker_session or PipelineSession(default_bucket=default_bucket)
    prefix = f"s3://{default_bucket}/{pipeline_name}"
    capture_uri = ParameterString(name="CaptureUri", default_value=f"s3://{default_bucket}/datacapture/{endpoint_name}")
    statistics_uri = ParameterString(name="BaselineStatisticsUri", default_value=f"{prefix}/baseline/statistics.json")
    constraints_uri = ParameterString(name="BaselineConstraintsUri",
                                      default_value=f"{prefix}/baseline/constraints.json")
    report_uri = ParameterString(name="ReportUri", default_value=f"{prefix}/reports")
    window_hours = ParameterInteger(name="WindowHours", default_value=1)
    instance_type = ParameterString(name="ProcessingInstanceType", default_value="ml.m5.xlarge")

    processor = ScriptProcessor(
        role=role, image_uri=retrieve_image_uri("sklearn", region, version=SKLEARN_VERSION), command=["python3"],
        instance_count=1, instance_type=instance_type, max_runtime_in_seconds=3600,
        base_job_name=f"{pipeline_name.lower()}-analyze", sagemaker_session=session,
        env={"dataset_format": CAPTURE_FORMAT, "dataset_source": f"{ROOT}/input/endpoint",
             "output_path": f"{ROOT}/resultdata", "publish_cloudwatch_metrics": "Disabled",
             "baseline_statistics": f"{ROOT}/baseline/statistics/statistics.json",
             "baseline_constraints": f"{ROOT}/baseline/constraints/constraints.json",
             "sagemaker_endpoint_name": endpoint_name, "sagemaker_monitoring_schedule_name": pipeline_name,
             # AWS's default, named so that the offline runner maps it into the job's folder too.
             "output_message_file": "/opt/ml/output/message"},
    )
    code = code_prefix(default_bucket, pipeline_name)
    step_args = processor.run(
        code=f"{code}/analyze_capture.py",
        arguments=["--library", f"{ROOT}/input/library", "--window-hours", window_hours.to_string()],
        inputs=[
            _input("endpoint", capture_uri, f"{ROOT}/input/endpoint"),
            _input("statistics", statistics_uri, f"{ROOT}/baseline/statistics"),
            _input("constraints", constraints_uri, f"{ROOT}/baseline/constraints"),
            _input("library", f"{code}/library", f"{ROOT}/input/library"),
        ],
        outputs=[ProcessingOutput(output_name="report", s3_output=ProcessingS3Output(
            s3_uri=Join(on="/", values=[report_uri, ExecutionVariables.PIPELINE_EXECUTION_ID]),
            local_path=f"{ROOT}/resultdata", s3_upload_mode="EndOfJob"))],
    )
    return Pipeline(
        name=pipeline_name,
        parameters=[capture_uri, statistics_uri, constraints_uri, report_uri, window_hours, instance_type],
        steps=[ProcessingStep(name="AnalyzeCapture", step_args=step_args)],
        sagemaker_session=session,
    )
