"""The breast-cancer XGBoost training pipeline, written with the SageMaker Python SDK v3.

Preprocess -> Train -> Evaluate -> DataQualityBaseline -> CheckChallenger -> Register or Fail,
as in the SageMaker MLOps "model building, training and deployment" project template; and, as in its monitoring
template, Train -> CreateModel -> ModelBiasCheck and ModelExplainabilityCheck (SageMaker Clarify, on the gold rows;
the facet and the SHAP settings are in ``clarify_checks.py``), whose analyses the registered version carries.

The data set carries its own split, made once (``scripts/make_input_data.py``): Preprocess follows it and writes
train, validation and the frozen gold rows. Evaluate scores the approved champion (``ChampionUrl``: a folder
holding ``champion.json`` and the champion's ``model.tar.gz``, staged by the run script from the group's latest
Approved package, or ``champion.json`` alone saying there is none) and the new model on the same gold rows, and
compares them; the challenger is registered only if its AUC meets ``AucThreshold``, its malignant sensitivity
meets ``MinMalignantSensitivity`` and it is not worse than the champion (``NonInferiorityMargin``; the rule is in
``steps/evaluate.py``). Evaluate also writes the data-quality baseline dataset in the columns the endpoint's
capture holds: the model's P(malignant) on the training rows, then the features (``BaselineFirstColumn=label``
keeps the walkthrough's label column, whose data_type_check then fires on every monitoring run).

``data_quality_check`` picks how ``DataQualityBaseline`` computes the data-quality baseline the model package
carries (ModelMetrics and DriftCheckBaselines):

- ``"model-monitor"`` (default): a QualityCheckStep on the Model Monitor analyzer image. It can also check the
  data against the group's latest approved baseline (``SkipDataQualityCheck``) and choose which baseline later
  drift checks use (``RegisterNewDataQualityBaseline``).
- ``"processing"``: for accounts without Model Monitor, a ProcessingStep on the scikit-learn image running the
  monitor library (``sagelocal.monitor``, uploaded to ``<code prefix>/library``) through
  ``steps/data_quality_baseline.py``; it writes the same statistics.json and constraints.json. It always
  computes a fresh baseline and registers it as the drift-check baseline: no check runs, and the two
  parameters above are still declared (both modes take the same parameters) but have no effect.

Every S3 location is explicit (the step scripts are ``s3://`` URIs under the default bucket), so building
the definition never asks AWS for a default bucket. The Clarify checks' ``analysis_config.json`` files, which the SDK
uploads while it builds, are kept by the default session (``build_session.py``) at their ``<code prefix>/clarify/``
URIs, for the deploy scripts to upload with the step scripts. Importing this module needs a region
(``AWS_DEFAULT_REGION``): the SDK creates boto3 clients at import time.
"""
from __future__ import annotations

from sagemaker.core.drift_check_baselines import DriftCheckBaselines
from sagemaker.core.image_uris import retrieve as retrieve_image_uri
from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
from sagemaker.core.model_monitor import DatasetFormat
from sagemaker.core.processing import ScriptProcessor
from sagemaker.core.shapes import (
    ProcessingInput,
    ProcessingOutput,
    ProcessingS3Input,
    ProcessingS3Output,
)
from sagemaker.core.workflow.conditions import ConditionEquals, ConditionGreaterThanOrEqualTo
from sagemaker.core.workflow.execution_variables import ExecutionVariables
from sagemaker.core.workflow.functions import Join, JsonGet
from sagemaker.core.workflow.parameters import ParameterBoolean, ParameterFloat, ParameterString
from sagemaker.core.workflow.pipeline_context import PipelineSession
from sagemaker.core.workflow.properties import PropertyFile
from sagemaker.mlops.workflow.check_job_config import CheckJobConfig
from sagemaker.mlops.workflow.condition_step import ConditionStep
from sagemaker.mlops.workflow.fail_step import FailStep
from sagemaker.mlops.workflow.model_step import ModelStep
from sagemaker.mlops.workflow.pipeline import Pipeline
from sagemaker.mlops.workflow.quality_check_step import DataQualityCheckConfig, QualityCheckStep
from sagemaker.mlops.workflow.steps import ProcessingStep, TrainingStep
from sagemaker.serve.model_builder import ModelBuilder
from sagemaker.train import ModelTrainer
from sagemaker.train.configs import Compute, InputData, OutputDataConfig, StoppingCondition

from pipelines.breast_cancer.build_session import BuildTimeUploadSession
from pipelines.breast_cancer.clarify_checks import clarify_check_steps

MODEL_PACKAGE_GROUP_NAME = "breast-cancer-xgboost"
# The newest built-in XGBoost in the SDK's image config (3.2-0 also ships in v3 only); its
# xgboost 3.x matches the xgboost package the step scripts and the offline runner use.
XGBOOST_VERSION = "3.2-0"
SKLEARN_VERSION = "1.9-0"
PROCESSING_ROOT = "/opt/ml/processing"
# Labels: 1 = malignant (the positive class), as the walkthrough says; they travel with every model package.
CLASS_NAMES = {"0": "benign", "1": "malignant"}
# The walkthrough's hyperparameters (``silent`` is gone from XGBoost >= 1.0 and is left out).
HYPERPARAMETERS = {
    "max_depth": "5",
    "eta": "0.2",
    "gamma": "4",
    "min_child_weight": "6",
    "subsample": "0.8",
    "objective": "binary:logistic",
    "num_round": "100",
}
MAX_RUNTIME_SECONDS = 3600
DATA_QUALITY_CHECKS = ("model-monitor", "processing")
# The analyzer's dataset_format in processing mode (the QualityCheckStep says DatasetFormat.csv(header=False)):
# the baseline file has no header, as the capture has none, so its columns are _c0 (P(malignant)) .. _c30.
HEADERLESS_CSV = '{"csv": {"header": false}}'


def get_pipeline(
    region: str,
    role: str,
    default_bucket: str,
    pipeline_name: str = "BreastCancerXGBoost",
    base_job_prefix: str = "breast-cancer",
    model_package_group_name: str = MODEL_PACKAGE_GROUP_NAME,
    sagemaker_session: PipelineSession | None = None,
    data_quality_check: str = "model-monitor",
) -> Pipeline:
    """Return the pipeline; ``role`` must be an IAM role ARN and ``default_bucket`` a bare bucket name.

    ``data_quality_check``: ``"model-monitor"`` or ``"processing"`` (see the module docstring).
    """
    _check_arguments(region, role, default_bucket, data_quality_check)
    session = sagemaker_session or _pipeline_session(region, default_bucket)
    prefix = f"s3://{default_bucket}/{pipeline_name}"

    input_data_url = ParameterString(name="InputDataUrl", default_value=f"{prefix}/input/breast-cancer.csv")
    processing_instance_type = ParameterString(name="ProcessingInstanceType", default_value="ml.m5.xlarge")
    training_instance_type = ParameterString(name="TrainingInstanceType", default_value="ml.m5.xlarge")
    model_approval_status = ParameterString(name="ModelApprovalStatus", default_value="PendingManualApproval")
    auc_threshold = ParameterFloat(name="AucThreshold", default_value=0.9)
    min_malignant_sensitivity = ParameterFloat(name="MinMalignantSensitivity", default_value=0.9)
    non_inferiority_margin = ParameterFloat(name="NonInferiorityMargin", default_value=0.01)
    # The run scripts stage the approved champion and pass its folder; this one says "no champion".
    champion_url = ParameterString(name="ChampionUrl", default_value=f"{prefix}/champion/none")
    baseline_first_column = ParameterString(name="BaselineFirstColumn", default_value="prediction")
    # The first run has no approved baseline to check against (the template's advice: skip and register);
    # the run scripts pass false once the group has an approved package, so retraining checks drift.
    skip_data_quality_check = ParameterBoolean(name="SkipDataQualityCheck", default_value=True)
    register_new_baseline = ParameterBoolean(name="RegisterNewDataQualityBaseline", default_value=True)
    # The monitoring template's Clarify check parameters, with the same first-run defaults as the data check's.
    clarify_parameters = {kind: (ParameterBoolean(name=f"Skip{name}Check", default_value=True),
                                 ParameterBoolean(name=f"RegisterNew{name}Baseline", default_value=True))
                          for kind, name in (("bias", "ModelBias"), ("explainability", "ModelExplainability"))}

    def execution_uri(*parts: str) -> Join:
        """An S3 URI under this execution's own prefix, so executions never overwrite each other."""
        return Join(on="/", values=[prefix, ExecutionVariables.PIPELINE_EXECUTION_ID, *parts])

    step_preprocess = _preprocess_step(
        session, region, role, base_job_prefix, processing_instance_type, input_data_url,
        code_prefix=f"{prefix}/code", execution_uri=execution_uri,
    )
    outputs = step_preprocess.properties.ProcessingOutputConfig.Outputs
    step_train = _train_step(
        session, region, role, base_job_prefix, training_instance_type,
        train_uri=outputs["train"].S3Output.S3Uri,
        validation_uri=outputs["validation"].S3Output.S3Uri,
        output_uri=execution_uri("model"),
    )
    model_data_url = step_train.properties.ModelArtifacts.S3ModelArtifacts
    evaluation_report = PropertyFile(name="EvaluationReport", output_name="evaluation", path="evaluation.json")
    step_evaluate = _evaluate_step(
        session, region, role, base_job_prefix, processing_instance_type, model_data_url,
        data={"champion": champion_url, "gold": outputs["gold"].S3Output.S3Uri,
              "train": outputs["train"].S3Output.S3Uri},
        arguments={"--auc-threshold": auc_threshold, "--min-malignant-sensitivity": min_malignant_sensitivity,
                   "--non-inferiority-margin": non_inferiority_margin,
                   "--baseline-first-column": baseline_first_column},
        code_prefix=f"{prefix}/code", execution_uri=execution_uri, report=evaluation_report,
    )
    evaluated = step_evaluate.properties.ProcessingOutputConfig.Outputs
    baseline_uri, data_quality_uri = evaluated["baseline"].S3Output.S3Uri, execution_uri("data-quality")
    if data_quality_check == "processing":
        step_data_quality, calculated, used_for_drift_check = _data_quality_processing_step(
            session, region, role, base_job_prefix, processing_instance_type, baseline_uri,
            code_prefix=f"{prefix}/code", output_uri=data_quality_uri,
        )
    else:
        step_data_quality, calculated, used_for_drift_check = _quality_check_step(
            session, role, base_job_prefix, model_package_group_name, baseline_uri, output_uri=data_quality_uri,
            skip_check=skip_data_quality_check, register_new_baseline=register_new_baseline,
        )
    step_create_model = ModelStep(name="CreateModel", step_args=_model_builder(
        session, region, role, model_data_url).build())
    step_bias, step_explainability = clarify_check_steps(
        session, role, base_job_prefix, model_package_group_name, step_create_model.properties.ModelName,
        gold_uri=outputs["gold"].S3Output.S3Uri, code_prefix=f"{prefix}/code",
        output_uri=execution_uri, parameters=clarify_parameters,
        max_runtime_seconds=MAX_RUNTIME_SECONDS,
    )
    step_register = _register_step(
        session, region, role, model_data_url, model_package_group_name, model_approval_status,
        evaluation_uri=Join(on="/", values=[evaluated["evaluation"].S3Output.S3Uri, "evaluation.json"]),
        calculated=calculated,
        used_for_drift_check=used_for_drift_check,
        clarify_checks=(step_bias.properties, step_explainability.properties),
    )
    def evaluated_value(path: str) -> JsonGet:
        return JsonGet(step_name=step_evaluate.name, property_file=evaluation_report, json_path=path)

    step_fail = FailStep(
        name="ChallengerRefused",
        error_message=Join(on=" ", values=["Not registered:", evaluated_value("decision.verdict")]),
    )
    step_condition = ConditionStep(
        name="CheckChallenger",
        conditions=[
            ConditionGreaterThanOrEqualTo(left=evaluated_value("binary_classification_metrics.auc.value"),
                                          right=auc_threshold),
            # Label 1 is malignant: the true positive rate is the malignant sensitivity.
            ConditionGreaterThanOrEqualTo(
                left=evaluated_value("binary_classification_metrics.true_positive_rate.value"),
                right=min_malignant_sensitivity),
            ConditionEquals(left=evaluated_value("champion_challenger.not_worse"), right=1),
        ],
        if_steps=[step_register],
        else_steps=[step_fail],
    )
    return Pipeline(
        name=pipeline_name,
        parameters=[
            input_data_url, processing_instance_type, training_instance_type, model_approval_status,
            auc_threshold, min_malignant_sensitivity, non_inferiority_margin, champion_url, baseline_first_column,
            skip_data_quality_check, register_new_baseline,
            *[parameter for pair in clarify_parameters.values() for parameter in pair],
        ],
        steps=[step_preprocess, step_train, step_evaluate, step_data_quality, step_create_model, step_bias,
               step_explainability, step_condition],
        sagemaker_session=session,
    )


def _check_arguments(region: str, role: str, default_bucket: str, data_quality_check: str) -> None:
    if not region:
        raise ValueError("region is required, e.g. 'us-east-1'")
    if not role.startswith("arn:aws") or ":role/" not in role:
        # A bare role name would make the SDK look the role up in IAM.
        raise ValueError(f"role must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got {role!r}")
    if not default_bucket or "/" in default_bucket or default_bucket.startswith("s3:"):
        raise ValueError(f"default_bucket must be a bare S3 bucket name, got {default_bucket!r}")
    if data_quality_check not in DATA_QUALITY_CHECKS:
        raise ValueError(f"data_quality_check must be one of {', '.join(DATA_QUALITY_CHECKS)}, "
                         f"got {data_quality_check!r}")


def _pipeline_session(region: str, default_bucket: str) -> PipelineSession:
    import boto3

    return BuildTimeUploadSession(boto_session=boto3.Session(region_name=region), default_bucket=default_bucket)


def _processing_output(name: str, s3_uri) -> ProcessingOutput:
    return ProcessingOutput(
        output_name=name,
        s3_output=ProcessingS3Output(s3_uri=s3_uri, local_path=f"{PROCESSING_ROOT}/{name}", s3_upload_mode="EndOfJob"),
    )


def _processing_input(name: str, s3_uri, local_path: str | None = None) -> ProcessingInput:
    return ProcessingInput(
        input_name=name,
        s3_input=ProcessingS3Input(s3_uri=s3_uri, local_path=local_path or f"{PROCESSING_ROOT}/{name}",
                                   s3_data_type="S3Prefix",
                                   s3_input_mode="File", s3_data_distribution_type="FullyReplicated"),
    )


def _script_processor(session, role, image_uri, instance_type, base_job_name, env=None) -> ScriptProcessor:
    """A one-instance ``python3`` script job on ``image_uri``, as every processing step here runs."""
    return ScriptProcessor(
        role=role,
        image_uri=image_uri,
        command=["python3"],
        instance_count=1,
        instance_type=instance_type,
        max_runtime_in_seconds=MAX_RUNTIME_SECONDS,
        base_job_name=base_job_name,
        sagemaker_session=session,
        env=env,
    )


def _preprocess_step(session, region, role, base_job_prefix, instance_type, input_data_url, code_prefix,
                     execution_uri):
    processor = _script_processor(session, role, retrieve_image_uri("sklearn", region, version=SKLEARN_VERSION),
                                  instance_type, f"{base_job_prefix}-preprocess")
    step_args = processor.run(
        code=f"{code_prefix}/preprocess.py",
        # Not /opt/ml/processing/input itself: the SDK puts the script in its code/ folder.
        inputs=[_processing_input("input", input_data_url, f"{PROCESSING_ROOT}/input/data")],
        outputs=[_processing_output(name, execution_uri(name)) for name in ("train", "validation", "gold", "manifest")],
    )
    return ProcessingStep(name="PreprocessData", step_args=step_args)


def _train_step(session, region, role, base_job_prefix, instance_type, train_uri, validation_uri, output_uri):
    trainer = ModelTrainer(
        training_image=retrieve_image_uri("xgboost", region, version=XGBOOST_VERSION),
        role=role,
        base_job_name=f"{base_job_prefix}-train",
        compute=Compute(instance_type=instance_type, instance_count=1, volume_size_in_gb=30),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=MAX_RUNTIME_SECONDS),
        output_data_config=OutputDataConfig(s3_output_path=output_uri),
        hyperparameters=HYPERPARAMETERS,
        sagemaker_session=session,
    )
    step_args = trainer.train(input_data_config=[
        InputData(channel_name="train", data_source=train_uri, content_type="text/csv"),
        InputData(channel_name="validation", data_source=validation_uri, content_type="text/csv"),
    ])
    return TrainingStep(name="TrainXGBoost", step_args=step_args)


def _evaluate_step(session, region, role, base_job_prefix, instance_type, model_data_url, data, arguments,
                   code_prefix, execution_uri, report):
    """``data``: input name -> S3 URI (champion, gold, train); ``arguments``: flag -> pipeline parameter."""
    # The XGBoost image, as in the template: it has xgboost, scipy, pandas and scikit-learn; the sklearn image lacks
    # xgboost.
    processor = _script_processor(session, role, retrieve_image_uri("xgboost", region, version=XGBOOST_VERSION),
                                  instance_type, f"{base_job_prefix}-evaluate")
    step_args = processor.run(
        code=f"{code_prefix}/evaluate.py",
        arguments=[part for flag, parameter in arguments.items() for part in (flag, parameter.to_string())],
        inputs=[_processing_input("model", model_data_url)]
        + [_processing_input(name, uri) for name, uri in data.items()],
        outputs=[_processing_output(name, execution_uri(name)) for name in ("evaluation", "baseline")],
    )
    return ProcessingStep(name="EvaluateModel", step_args=step_args, property_files=[report])


def _quality_check_step(session, role, base_job_prefix, group_name, baseline_uri, output_uri, skip_check,
                        register_new_baseline):
    """The Model Monitor QualityCheckStep, with its calculated and drift-check (statistics, constraints)."""
    step = QualityCheckStep(
        name="DataQualityBaseline",
        quality_check_config=DataQualityCheckConfig(
            baseline_dataset=baseline_uri,
            dataset_format=DatasetFormat.csv(header=False),
            output_s3_uri=output_uri,
        ),
        check_job_config=CheckJobConfig(
            role=role, instance_count=1, instance_type="ml.m5.xlarge", volume_size_in_gb=30,
            max_runtime_in_seconds=MAX_RUNTIME_SECONDS, base_job_name=f"{base_job_prefix}-data-quality",
            sagemaker_session=session,
        ),
        skip_check=skip_check,
        register_new_baseline=register_new_baseline,
        model_package_group_name=group_name,
    )
    baseline = step.properties
    return (step, (baseline.CalculatedBaselineStatistics, baseline.CalculatedBaselineConstraints),
            (baseline.BaselineUsedForDriftCheckStatistics, baseline.BaselineUsedForDriftCheckConstraints))


def _data_quality_processing_step(session, region, role, base_job_prefix, instance_type, baseline_uri, code_prefix,
                                  output_uri):
    """The monitor library's analyzer baselining ``baseline_uri`` in a plain processing job, for accounts without
    Model Monitor; its fresh baseline is both the calculated and the drift-check (statistics, constraints)."""
    library = f"{PROCESSING_ROOT}/input/library"
    # The Model Monitor analyzer's contract; without baseline_statistics/constraints it baselines. The
    # message file is named so that the offline runner keeps it in the job's folder.
    env = {"dataset_format": HEADERLESS_CSV, "dataset_source": f"{PROCESSING_ROOT}/input/baseline",
           "output_path": f"{PROCESSING_ROOT}/data-quality", "publish_cloudwatch_metrics": "Disabled",
           "output_message_file": "/opt/ml/output/message"}
    processor = _script_processor(session, role, retrieve_image_uri("sklearn", region, version=SKLEARN_VERSION),
                                  instance_type, f"{base_job_prefix}-data-quality", env)
    step_args = processor.run(
        code=f"{code_prefix}/data_quality_baseline.py",
        arguments=["--library", library],
        inputs=[_processing_input("baseline", baseline_uri, f"{PROCESSING_ROOT}/input/baseline"),
                _processing_input("library", f"{code_prefix}/library", library)],
        outputs=[_processing_output("data-quality", output_uri)],
    )
    step = ProcessingStep(name="DataQualityBaseline", step_args=step_args)
    output = step.properties.ProcessingOutputConfig.Outputs["data-quality"].S3Output.S3Uri
    files = (Join(on="/", values=[output, "statistics.json"]), Join(on="/", values=[output, "constraints.json"]))
    return step, files, files


def _model_builder(session, region, role, model_data_url) -> ModelBuilder:
    return ModelBuilder(
        s3_model_data_url=model_data_url,
        image_uri=retrieve_image_uri("xgboost", region, version=XGBOOST_VERSION),
        role_arn=role,
        sagemaker_session=session,
        # The default {"auto": True} would upload code (and look up a default bucket); the image needs none.
        dependencies={},
    )


def _register_step(session, region, role, model_data_url, group_name, approval_status, evaluation_uri, calculated,
                   used_for_drift_check, clarify_checks):
    """``calculated``/``used_for_drift_check``: (statistics, constraints) URIs of the data-quality baselines;
    ``clarify_checks``: the properties of the (model bias, model explainability) ClarifyCheck steps."""
    bias, explainability = clarify_checks

    def json_source(uri) -> MetricsSource:
        return MetricsSource(s3_uri=uri, content_type="application/json")

    model_metrics = ModelMetrics(
        model_statistics=json_source(evaluation_uri),
        model_data_statistics=json_source(calculated[0]),
        model_data_constraints=json_source(calculated[1]),
        bias_post_training=json_source(bias.CalculatedBaselineConstraints),
        explainability=json_source(explainability.CalculatedBaselineConstraints),
    )
    # Drift checks of later runs compare against the baseline this run actually used.
    drift_check_baselines = DriftCheckBaselines(
        model_data_statistics=json_source(used_for_drift_check[0]),
        model_data_constraints=json_source(used_for_drift_check[1]),
        bias_post_training_constraints=json_source(bias.BaselineUsedForDriftCheckConstraints),
        explainability_constraints=json_source(explainability.BaselineUsedForDriftCheckConstraints),
    )
    builder = _model_builder(session, region, role, model_data_url)
    step_args = builder.register(
        model_package_group_name=group_name,
        content_types=["text/csv"],
        response_types=["text/csv"],
        inference_instances=["ml.t2.medium", "ml.m5.large"],
        transform_instances=["ml.m5.large"],
        model_metrics=model_metrics,
        drift_check_baselines=drift_check_baselines,
        approval_status=approval_status,
        # What the model's output means travels with every version (review_start.py renders it for reviewers).
        customer_metadata_properties={"PositiveClass": "1", **{f"Label{label}": name
                                                               for label, name in CLASS_NAMES.items()}},
    )
    return ModelStep(name="RegisterModel", step_args=step_args)
