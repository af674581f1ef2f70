"""Write a pipeline definition built with the SageMaker SDK v3, offline, as the monitoring template's family does:
ModelStep(ModelBuilder.build()) creates a model, a TransformStep scores a batch with it (DataProcessing and batch
data capture), and ModelStep(ModelBuilder.register()) registers it with every ModelMetrics kind and every
DriftCheckBaselines kind. Usage: ``python sdk_definition.py OUTPUT.json`` (run under tests/netguard.py).
"""
from __future__ import annotations

import json
import os
import sys

REGION = "us-east-1"
os.environ.update(AWS_DEFAULT_REGION=REGION, AWS_EC2_METADATA_DISABLED="true", SAGEMAKER_VALIDATE_ROLE="false")

import boto3  # noqa: E402  (the SDK reads the environment above when imported)
import sagemaker.core.telemetry.telemetry_logging as telemetry  # noqa: E402

telemetry._send_telemetry_request = lambda *args, **kwargs: None

from sagemaker.core.drift_check_baselines import DriftCheckBaselines  # noqa: E402
from sagemaker.core.image_uris import retrieve  # noqa: E402
from sagemaker.core.model_metrics import FileSource, MetricsSource, ModelMetrics  # noqa: E402
from sagemaker.core.shapes import BatchDataCaptureConfig  # noqa: E402
from sagemaker.core.transformer import Transformer  # noqa: E402
from sagemaker.core.workflow.parameters import ParameterString  # noqa: E402
from sagemaker.core.workflow.pipeline_context import PipelineSession  # noqa: E402
from sagemaker.mlops.workflow.model_step import ModelStep  # noqa: E402
from sagemaker.mlops.workflow.pipeline import Pipeline  # noqa: E402
from sagemaker.mlops.workflow.steps import TransformStep  # noqa: E402
from sagemaker.serve.model_builder import ModelBuilder  # noqa: E402

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
METRICS = "s3://pipeline-data/metrics"


def metrics_source(name: str) -> MetricsSource:
    return MetricsSource(s3_uri=f"{METRICS}/{name}.json", content_type="application/json")


def file_source(name: str) -> FileSource:
    return FileSource(s3_uri=f"{METRICS}/{name}.json", content_type="application/json")


def build() -> dict:
    session = PipelineSession(boto_session=boto3.Session(region_name=REGION), default_bucket="pipeline-data")
    image = retrieve("xgboost", REGION, version="1.7-1")
    model_data = ParameterString(name="ModelDataUrl", default_value="s3://models/step/model.tar.gz")
    batch_input = ParameterString(name="BatchInput", default_value="s3://pipeline-data/batch/input")

    def builder() -> ModelBuilder:
        # dependencies={}: the default would upload code and look up a default bucket.
        return ModelBuilder(s3_model_data_url=model_data, image_uri=image, role_arn=ROLE, sagemaker_session=session,
                            dependencies={})

    create = ModelStep(name="CreateModel", step_args=builder().build())
    transformer = Transformer(model_name=create.properties.ModelName, instance_count=1, instance_type="ml.m5.large",
                              strategy="MultiRecord", assemble_with="Line", accept="text/csv", max_payload=1,
                              output_path="s3://pipeline-data/batch/output", sagemaker_session=session)
    transform = TransformStep(name="Transform", step_args=transformer.transform(
        data=batch_input, content_type="text/csv", split_type="Line", input_filter="$[1:]", join_source="Input",
        output_filter="$[0,-1]",
        batch_data_capture_config=BatchDataCaptureConfig(destination_s3_uri="s3://pipeline-data/batch/capture")))
    metrics = ModelMetrics(
        model_statistics=metrics_source("model-statistics"), model_constraints=metrics_source("model-constraints"),
        model_data_statistics=metrics_source("data-statistics"),
        model_data_constraints=metrics_source("data-constraints"),
        bias=metrics_source("bias"), bias_pre_training=metrics_source("bias-pre"),
        bias_post_training=metrics_source("bias-post"), explainability=metrics_source("explainability"))
    baselines = DriftCheckBaselines(
        model_statistics=metrics_source("drift-model-statistics"),
        model_constraints=metrics_source("drift-model-constraints"),
        model_data_statistics=metrics_source("drift-data-statistics"),
        model_data_constraints=metrics_source("drift-data-constraints"),
        bias_config_file=file_source("bias-config"), bias_pre_training_constraints=metrics_source("drift-bias-pre"),
        bias_post_training_constraints=metrics_source("drift-bias-post"),
        explainability_constraints=metrics_source("drift-explainability"),
        explainability_config_file=file_source("explainability-config"))
    register = ModelStep(name="RegisterModel", depends_on=[transform], step_args=builder().register(
        model_package_group_name="transform-models", content_types=["text/csv"], response_types=["text/csv"],
        inference_instances=["ml.m5.large"], transform_instances=["ml.m5.large"], model_metrics=metrics,
        drift_check_baselines=baselines, approval_status="Approved"))
    pipeline = Pipeline(name="TransformPipeline", parameters=[model_data, batch_input],
                        steps=[create, transform, register], sagemaker_session=session)
    return json.loads(pipeline.definition())


if __name__ == "__main__":
    with open(sys.argv[1], "w") as handle:
        json.dump(build(), handle, indent=1)
