"""The breast-cancer pipeline's SageMaker Clarify checks, as in the MLOps monitoring template: a model-bias check and
a model-explainability check on the model the CreateModel step makes of the trained artifact.

Both run on the frozen gold rows (``gold/gold.csv``: a header row, ``row_id``, ``label``, the 30 features), the
held-out cases every model version is judged on; ``row_id`` is excluded, so the shadow endpoint gets the 30
features in the order the endpoint receives them.

**The bias facet.** The data set has no demographic column, so the facet is a clinical one: tumour size, as
``mean radius`` above ``LARGE_TUMOUR_RADIUS`` (14.0, the population's mean radius, 14.1; the threshold makes Clarify
compare the cases above it, facet d, with those at or below it, facet a). It answers whether the model's error rates
differ between large and small tumours: small malignant tumours are the early, clinically important cases, and
a model that leans on size could miss them. Read the post-training metrics as: RD (recall of a minus recall of d)
> 0 means small malignant tumours are found more often than large ones, < 0 that they are missed more often;
DCR/DCA, DAR/DRR and AD compare the other error rates. Pre-training (data) bias is not checked: that large
tumours are more often malignant is medicine, not a defect of the data.

**Explainability.** Kernel SHAP (Clarify's method) on P(malignant), against one baseline row: the k-means centre
of the gold rows (``num_clusters=1``), the "average case" each explanation departs from; ``NUM_SAMPLES`` feature
coalitions per row keep the check to seconds (30 features; Clarify's own default would take ~2,000). Global values
are mean |SHAP| per feature; the local values of every row are saved (``explanations_shap/out.csv``).

Each check registers its analysis.json in the model package (ModelMetrics Bias/Explainability, and as a
DriftCheckBaseline for later runs). ``SkipModelBiasCheck``/``SkipModelExplainabilityCheck`` default to true, as
the first run has no approved baseline; with false, the check compares against the group's latest approved
package's baseline (or fails the step when a metric leaves it).
"""
from __future__ import annotations

from sagemaker.core.clarify import BiasConfig, DataConfig, ModelConfig, ModelPredictedLabelConfig, SHAPConfig
from sagemaker.mlops.workflow.check_job_config import CheckJobConfig
from sagemaker.mlops.workflow.clarify_check_step import (
    ClarifyCheckStep,
    ModelBiasCheckConfig,
    ModelExplainabilityCheckConfig,
)

LABEL, ROW_ID = "label", "row_id"
MALIGNANT = 1
FACET = "mean radius"
LARGE_TUMOUR_RADIUS = 14.0
NUM_SAMPLES = 64
SHAP_SEED = 20261128
CHECK_INSTANCE_TYPE = "ml.m5.xlarge"
# Where each check's build-time analysis_config.json goes, under the pipeline's code prefix.
CONFIG_FOLDERS = {"ModelBiasCheck": "model-bias", "ModelExplainabilityCheck": "model-explainability"}


def clarify_check_steps(session, role, base_job_prefix, group_name, model_name, gold_uri, code_prefix, output_uri,
                        parameters, max_runtime_seconds):
    """(model bias step, model explainability step). ``model_name``: the CreateModel step's ModelName;
    ``output_uri(kind)``: the execution's S3 prefix for a check's results; ``parameters``: {"bias"|"explainability":
    (skip_check, register_new_baseline)}."""
    check_job = CheckJobConfig(role=role, instance_count=1, instance_type=CHECK_INSTANCE_TYPE, volume_size_in_gb=30,
                               max_runtime_in_seconds=max_runtime_seconds,
                               base_job_name=f"{base_job_prefix}-clarify", sagemaker_session=session)
    model_config = ModelConfig(model_name=model_name, instance_type=CHECK_INSTANCE_TYPE, instance_count=1,
                               content_type="text/csv", accept_type="text/csv")

    def data_config(step_name: str) -> DataConfig:
        folder = CONFIG_FOLDERS[step_name]
        return DataConfig(s3_data_input_path=gold_uri, s3_output_path=output_uri(folder),
                          s3_analysis_config_output_path=f"{code_prefix}/clarify/{folder}",
                          label=LABEL, excluded_columns=[ROW_ID], dataset_type="text/csv")

    def check(step_name: str, config, kind: str) -> ClarifyCheckStep:
        skip_check, register_new_baseline = parameters[kind]
        return ClarifyCheckStep(name=step_name, clarify_check_config=config, check_job_config=check_job,
                                skip_check=skip_check, register_new_baseline=register_new_baseline,
                                model_package_group_name=group_name)

    bias = check("ModelBiasCheck", ModelBiasCheckConfig(
        data_config=data_config("ModelBiasCheck"),
        data_bias_config=BiasConfig(label_values_or_threshold=[MALIGNANT], facet_name=FACET,
                                    facet_values_or_threshold=[LARGE_TUMOUR_RADIUS]),
        model_config=model_config,
        model_predicted_label_config=ModelPredictedLabelConfig(probability_threshold=0.5),
    ), "bias")
    explainability = check("ModelExplainabilityCheck", ModelExplainabilityCheckConfig(
        data_config=data_config("ModelExplainabilityCheck"), model_config=model_config,
        explainability_config=SHAPConfig(num_clusters=1, num_samples=NUM_SAMPLES, agg_method="mean_abs",
                                         save_local_shap_values=True, seed=SHAP_SEED),
    ), "explainability")
    return bias, explainability
