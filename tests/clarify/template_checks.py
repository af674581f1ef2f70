"""Build, with the SageMaker SDK, a pipeline shaped like the MLOps monitoring template's checks: DataBiasCheck on the
training data, CreateModel, ModelBiasCheck and ModelExplainabilityCheck on that model, and RegisterModel with the
three baselines as DriftCheckBaselines. Run as ``python template_checks.py <s3 root> <definition path>``.

The SDK uploads each check's analysis_config.json while it builds; the session below answers those uploads into
local S3 (no network), where the Clarify jobs read them.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
                   "SAGEMAKER_VALIDATE_ROLE": "false"})

BUCKET = "clarify-bucket"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
HEADERS = ["target"] + [f"f{i}" for i in range(6)]
TRAIN_URI = f"s3://{BUCKET}/data/train.csv"
MODEL_URI = f"s3://{BUCKET}/model/model.tar.gz"
GROUP = "clarify-template"


def build(s3_root: Path) -> str:
    import logging

    logging.disable(logging.WARNING)
    import sagemaker.core.telemetry.telemetry_logging as telemetry_logging

    telemetry_logging._send_telemetry_request = lambda *args, **kwargs: None
    import boto3
    from sagemaker.core.clarify import BiasConfig, DataConfig, ModelConfig, ModelPredictedLabelConfig, SHAPConfig
    from sagemaker.core.drift_check_baselines import DriftCheckBaselines
    from sagemaker.core.image_uris import retrieve
    from sagemaker.core.model_metrics import MetricsSource
    from sagemaker.core.workflow.execution_variables import ExecutionVariables
    from sagemaker.core.workflow.functions import Join
    from sagemaker.core.workflow.parameters import ParameterBoolean, ParameterString
    from sagemaker.core.workflow.pipeline_context import PipelineSession
    from sagemaker.mlops.workflow.check_job_config import CheckJobConfig
    from sagemaker.mlops.workflow.clarify_check_step import (ClarifyCheckStep, DataBiasCheckConfig,
                                                             ModelBiasCheckConfig, ModelExplainabilityCheckConfig)
    from sagemaker.mlops.workflow.model_step import ModelStep
    from sagemaker.mlops.workflow.pipeline import Pipeline
    from sagemaker.serve.model_builder import ModelBuilder

    from sagelocal.storage.s3 import LocalS3

    local = LocalS3(s3_root)

    class LocalUploadSession(PipelineSession):
        """The SDK's build-time uploads, answered into local S3."""

        def upload_data(self, path, bucket=None, key_prefix="data", callback=None, extra_args=None):
            uri = f"s3://{bucket}/{key_prefix.rstrip('/')}/{Path(path).name}"  # a file keeps its name, as on AWS
            local.write_bytes(uri, Path(path).read_bytes())
            return f"s3://{bucket}/{key_prefix}"

        def upload_string_as_file_body(self, body, bucket, key, kms_key=None):
            local.write_bytes(f"s3://{bucket}/{key}", body.encode())
            return f"s3://{bucket}/{key}"

    session = LocalUploadSession(boto_session=boto3.Session(region_name="us-east-1"), default_bucket=BUCKET)
    skip = ParameterBoolean(name="SkipChecks", default_value=True)
    register_new = ParameterBoolean(name="RegisterNewBaselines", default_value=True)
    supplied = {kind: ParameterString(name=f"{kind}SuppliedBaselineConstraints", default_value="")
                for kind in ("DataBias", "ModelBias", "ModelExplainability")}
    check_job = CheckJobConfig(role=ROLE, instance_count=1, instance_type="ml.m5.xlarge", volume_size_in_gb=30,
                               sagemaker_session=session)

    def data_config(kind: str) -> DataConfig:
        return DataConfig(s3_data_input_path=TRAIN_URI, label="target", headers=HEADERS, dataset_type="text/csv",
                          s3_output_path=Join(on="/", values=[f"s3://{BUCKET}", ExecutionVariables.PIPELINE_EXECUTION_ID,
                                                               kind]),
                          s3_analysis_config_output_path=f"s3://{BUCKET}/clarify-config/{kind}")

    bias_config = BiasConfig(label_values_or_threshold=[1], facet_name="f3", facet_values_or_threshold=[0.5])

    def check(name: str, kind: str, config) -> ClarifyCheckStep:
        return ClarifyCheckStep(name=name, clarify_check_config=config, check_job_config=check_job, skip_check=skip,
                                register_new_baseline=register_new, model_package_group_name=GROUP,
                                supplied_baseline_constraints=supplied[kind])

    data_bias = check("DataBiasCheck", "DataBias", DataBiasCheckConfig(
        data_config=data_config("DataBias"), data_bias_config=bias_config, methods="all"))
    image = retrieve("xgboost", "us-east-1", version="3.2-0")
    builder = ModelBuilder(s3_model_data_url=MODEL_URI, image_uri=image, role_arn=ROLE, sagemaker_session=session,
                           dependencies={})
    create_model = ModelStep(name="CreateModel", step_args=builder.build())
    model_config = ModelConfig(model_name=create_model.properties.ModelName, instance_type="ml.m5.xlarge",
                               instance_count=1, accept_type="text/csv", content_type="text/csv")
    model_bias = check("ModelBiasCheck", "ModelBias", ModelBiasCheckConfig(
        data_config=data_config("ModelBias"), data_bias_config=bias_config, model_config=model_config,
        model_predicted_label_config=ModelPredictedLabelConfig(probability_threshold=0.5)))
    explainability = check("ModelExplainabilityCheck", "ModelExplainability", ModelExplainabilityCheckConfig(
        data_config=data_config("ModelExplainability"), model_config=model_config,
        explainability_config=SHAPConfig(baseline=[[0.0] * 6], num_samples=50, agg_method="mean_abs", seed=1)))

    def baseline(step) -> MetricsSource:
        return MetricsSource(s3_uri=step.properties.BaselineUsedForDriftCheckConstraints,
                             content_type="application/json")

    register = ModelStep(name="RegisterModel", step_args=ModelBuilder(
        s3_model_data_url=MODEL_URI, image_uri=image, role_arn=ROLE, sagemaker_session=session, dependencies={},
    ).register(model_package_group_name=GROUP, content_types=["text/csv"], response_types=["text/csv"],
               inference_instances=["ml.m5.large"], transform_instances=["ml.m5.large"],
               approval_status="PendingManualApproval",
               drift_check_baselines=DriftCheckBaselines(
                   bias_pre_training_constraints=baseline(data_bias),
                   bias_post_training_constraints=baseline(model_bias),
                   explainability_constraints=baseline(explainability))))
    pipeline = Pipeline(name="ClarifyTemplate", parameters=[skip, register_new, *supplied.values()],
                        steps=[data_bias, create_model, model_bias, explainability, register],
                        sagemaker_session=session)
    return pipeline.definition()


if __name__ == "__main__":
    Path(sys.argv[2]).write_text(build(Path(sys.argv[1])))
