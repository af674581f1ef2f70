"""The contract of pipeline.json that the offline runner and the AWS face rely on."""
from __future__ import annotations

import pytest

BUCKET_PREFIX = "s3://sagemaker-us-east-1-000000000000/BreastCancerXGBoost"
AUC_PATH = "binary_classification_metrics.auc.value"


def steps_by_name(definition: dict) -> dict:
    found = {}
    for step in definition["Steps"]:
        found[step["Name"]] = step
        if step["Type"] == "Condition":
            for nested in step["Arguments"]["IfSteps"] + step["Arguments"]["ElseSteps"]:
                found[nested["Name"]] = nested
    return found


@pytest.fixture(scope="module")
def steps(definition) -> dict:
    return steps_by_name(definition)


def test_steps_and_types(definition, steps):
    assert [(s["Name"], s["Type"]) for s in definition["Steps"]] == [
        ("PreprocessData", "Processing"), ("TrainXGBoost", "Training"), ("EvaluateModel", "Processing"),
        ("DataQualityBaseline", "QualityCheck"), ("CreateModel", "Model"), ("ModelBiasCheck", "ClarifyCheck"),
        ("ModelExplainabilityCheck", "ClarifyCheck"), ("CheckChallenger", "Condition"),
    ]
    condition = steps["CheckChallenger"]["Arguments"]
    assert [(s["Name"], s["Type"]) for s in condition["IfSteps"]] == [("RegisterModel", "RegisterModel")]
    assert [(s["Name"], s["Type"]) for s in condition["ElseSteps"]] == [("ChallengerRefused", "Fail")]


def test_parameters_and_defaults(definition):
    assert {p["Name"]: (p["Type"], p["DefaultValue"]) for p in definition["Parameters"]} == {
        "InputDataUrl": ("String", f"{BUCKET_PREFIX}/input/breast-cancer.csv"),
        "ProcessingInstanceType": ("String", "ml.m5.xlarge"),
        "TrainingInstanceType": ("String", "ml.m5.xlarge"),
        "ModelApprovalStatus": ("String", "PendingManualApproval"),
        "AucThreshold": ("Float", 0.9),
        "MinMalignantSensitivity": ("Float", 0.9),
        "NonInferiorityMargin": ("Float", 0.01),
        "ChampionUrl": ("String", f"{BUCKET_PREFIX}/champion/none"),
        "BaselineFirstColumn": ("String", "prediction"),
        "SkipDataQualityCheck": ("Boolean", True),
        "RegisterNewDataQualityBaseline": ("Boolean", True),
        "SkipModelBiasCheck": ("Boolean", True),
        "RegisterNewModelBiasBaseline": ("Boolean", True),
        "SkipModelExplainabilityCheck": ("Boolean", True),
        "RegisterNewModelExplainabilityBaseline": ("Boolean", True),
    }


def _code_uri(step: dict) -> str:
    [code] = [i for i in step["Arguments"]["ProcessingInputs"] if i["InputName"] == "code"]
    assert code["S3Input"]["LocalPath"] == "/opt/ml/processing/input/code"
    return code["S3Input"]["S3Uri"]


def _local_paths(items: list, key: str) -> dict:
    return {item[f"{key}Name"]: item[f"S3{key}"]["LocalPath"] for item in items}


def test_preprocess_runs_the_script_on_the_sklearn_image(steps):
    arguments = steps["PreprocessData"]["Arguments"]
    assert arguments["AppSpecification"]["ImageUri"].endswith("/sagemaker-scikit-learn:1.9-0-cpu-py3")
    assert arguments["AppSpecification"]["ContainerEntrypoint"] == [
        "python3", "/opt/ml/processing/input/code/preprocess.py"]
    assert _code_uri(steps["PreprocessData"]) == f"{BUCKET_PREFIX}/code/preprocess.py"
    assert _local_paths(arguments["ProcessingInputs"], "Input")["input"] == "/opt/ml/processing/input/data"
    assert arguments["ProcessingInputs"][0]["S3Input"]["S3Uri"] == {"Get": "Parameters.InputDataUrl"}
    assert _local_paths(arguments["ProcessingOutputConfig"]["Outputs"], "Output") == {
        name: f"/opt/ml/processing/{name}" for name in ("train", "validation", "gold", "manifest")}
    assert arguments["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}


def test_outputs_land_under_the_execution_id(steps):
    [train] = [o for o in steps["PreprocessData"]["Arguments"]["ProcessingOutputConfig"]["Outputs"]
               if o["OutputName"] == "train"]
    assert train["S3Output"]["S3Uri"] == {"Std:Join": {"On": "/", "Values": [
        BUCKET_PREFIX, {"Get": "Execution.PipelineExecutionId"}, "train"]}}


def test_training_uses_the_builtin_xgboost_with_the_walkthrough_hyperparameters(steps):
    arguments = steps["TrainXGBoost"]["Arguments"]
    assert arguments["AlgorithmSpecification"]["TrainingImage"].endswith("/sagemaker-xgboost:3.2-0")
    assert arguments["HyperParameters"] == {
        "max_depth": "5", "eta": "0.2", "gamma": "4", "min_child_weight": "6", "subsample": "0.8",
        "objective": "binary:logistic", "num_round": "100"}
    channels = {c["ChannelName"]: c for c in arguments["InputDataConfig"]}
    assert set(channels) == {"train", "validation"}
    for name, channel in channels.items():
        assert channel["ContentType"] == "text/csv"
        assert channel["DataSource"]["S3DataSource"]["S3Uri"] == {
            "Get": f"Steps.PreprocessData.ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri"}
    assert arguments["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}
    assert arguments["ResourceConfig"]["InstanceType"] == {"Get": "Parameters.TrainingInstanceType"}


def test_evaluate_scores_champion_and_challenger_on_the_gold_rows_and_declares_the_report(steps):
    step = steps["EvaluateModel"]
    arguments = step["Arguments"]
    assert arguments["AppSpecification"]["ContainerEntrypoint"] == [
        "python3", "/opt/ml/processing/input/code/evaluate.py"]
    assert _code_uri(step) == f"{BUCKET_PREFIX}/code/evaluate.py"
    inputs = {i["InputName"]: i["S3Input"] for i in arguments["ProcessingInputs"]}
    assert inputs["model"]["S3Uri"] == {"Get": "Steps.TrainXGBoost.ModelArtifacts.S3ModelArtifacts"}
    assert inputs["champion"]["S3Uri"] == {"Get": "Parameters.ChampionUrl"}
    for name in ("gold", "train"):
        assert inputs[name]["S3Uri"] == {
            "Get": f"Steps.PreprocessData.ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri"}
    assert {name: item["LocalPath"] for name, item in inputs.items()} == {
        name: f"/opt/ml/processing/{name}" for name in ("model", "champion", "gold", "train")} | {
        "code": "/opt/ml/processing/input/code"}
    assert _local_paths(arguments["ProcessingOutputConfig"]["Outputs"], "Output") == {
        "evaluation": "/opt/ml/processing/evaluation", "baseline": "/opt/ml/processing/baseline"}
    flags = arguments["AppSpecification"]["ContainerArguments"]
    parameters = dict(zip(flags[::2], flags[1::2]))
    assert parameters["--baseline-first-column"] == {"Get": "Parameters.BaselineFirstColumn"}
    for flag, name in (("--auc-threshold", "AucThreshold"), ("--min-malignant-sensitivity", "MinMalignantSensitivity"),
                       ("--non-inferiority-margin", "NonInferiorityMargin")):
        assert parameters[flag] == {"Std:Join": {"On": "", "Values": [{"Get": f"Parameters.{name}"}]}}
    assert step["PropertyFiles"] == [
        {"PropertyFileName": "EvaluationReport", "OutputName": "evaluation", "FilePath": "evaluation.json"}]


def test_data_quality_baselines_the_headerless_baseline_file(steps):
    step = steps["DataQualityBaseline"]
    assert step["CheckType"] == "DATA_QUALITY"
    assert step["SkipCheck"] == {"Get": "Parameters.SkipDataQualityCheck"}
    assert step["RegisterNewBaseline"] == {"Get": "Parameters.RegisterNewDataQualityBaseline"}
    assert step["ModelPackageGroupName"] == "breast-cancer-xgboost"
    arguments = step["Arguments"]
    assert arguments["AppSpecification"]["ImageUri"].endswith("/sagemaker-model-monitor-analyzer")
    # The baseline dataset the evaluation step made: P(malignant) on the training rows, then the features.
    assert arguments["ProcessingInputs"][0]["S3Input"]["S3Uri"] == {
        "Get": "Steps.EvaluateModel.ProcessingOutputConfig.Outputs['baseline'].S3Output.S3Uri"}
    assert arguments["Environment"] == {
        "output_path": "/opt/ml/processing/output",
        "publish_cloudwatch_metrics": "Disabled",
        "dataset_format": '{"csv": {"header": false, "output_columns_position": "START"}}',
        "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
    }


def _evaluated(path: str) -> dict:
    return {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.EvaluateModel.PropertyFiles.EvaluationReport"},
                            "Path": path}}


def test_condition_registers_only_a_challenger_that_is_good_enough_and_not_worse(steps):
    assert steps["CheckChallenger"]["Arguments"]["Conditions"] == [
        {"Type": "GreaterThanOrEqualTo", "LeftValue": _evaluated(AUC_PATH),
         "RightValue": {"Get": "Parameters.AucThreshold"}},
        {"Type": "GreaterThanOrEqualTo",
         "LeftValue": _evaluated("binary_classification_metrics.true_positive_rate.value"),
         "RightValue": {"Get": "Parameters.MinMalignantSensitivity"}},
        {"Type": "Equals", "LeftValue": _evaluated("champion_challenger.not_worse"), "RightValue": 1},
    ]


def test_fail_message_is_the_evaluations_verdict(steps):
    assert steps["ChallengerRefused"]["Arguments"]["ErrorMessage"] == {"Std:Join": {"On": " ", "Values": [
        "Not registered:", _evaluated("decision.verdict")]}}


def test_register_model_package(steps):
    arguments = steps["RegisterModel"]["Arguments"]
    assert arguments["ModelPackageGroupName"] == "breast-cancer-xgboost"
    assert arguments["ModelApprovalStatus"] == {"Get": "Parameters.ModelApprovalStatus"}
    [container] = arguments["InferenceSpecification"]["Containers"]
    assert container["Image"].endswith("/sagemaker-xgboost:3.2-0")
    assert container["ModelDataUrl"] == {"Get": "Steps.TrainXGBoost.ModelArtifacts.S3ModelArtifacts"}
    assert arguments["InferenceSpecification"]["SupportedContentTypes"] == ["text/csv"]
    assert arguments["CustomerMetadataProperties"] == {"PositiveClass": "1", "Label0": "benign", "Label1": "malignant"}
    metrics = arguments["ModelMetrics"]
    assert metrics["ModelQuality"]["Statistics"]["S3Uri"] == {"Std:Join": {"On": "/", "Values": [
        {"Get": "Steps.EvaluateModel.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"},
        "evaluation.json"]}}
    assert metrics["ModelDataQuality"]["Statistics"]["S3Uri"] == {
        "Get": "Steps.DataQualityBaseline.CalculatedBaselineStatistics"}
    assert metrics["ModelDataQuality"]["Constraints"]["S3Uri"] == {
        "Get": "Steps.DataQualityBaseline.CalculatedBaselineConstraints"}
    drift = arguments["DriftCheckBaselines"]["ModelDataQuality"]
    assert drift["Statistics"]["S3Uri"] == {"Get": "Steps.DataQualityBaseline.BaselineUsedForDriftCheckStatistics"}
    assert drift["Constraints"]["S3Uri"] == {"Get": "Steps.DataQualityBaseline.BaselineUsedForDriftCheckConstraints"}


def test_clarify_checks_run_on_the_created_model_over_the_gold_rows(steps):
    assert steps["CreateModel"]["Arguments"]["PrimaryContainer"]["ModelDataUrl"] == {
        "Get": "Steps.TrainXGBoost.ModelArtifacts.S3ModelArtifacts"}
    for name, check_type, folder in (("ModelBiasCheck", "MODEL_BIAS", "model-bias"),
                                     ("ModelExplainabilityCheck", "MODEL_EXPLAINABILITY", "model-explainability")):
        step = steps[name]
        assert (step["CheckType"], step["ModelName"]) == (check_type, {"Get": "Steps.CreateModel.ModelName"})
        assert step["ModelPackageGroupName"] == "breast-cancer-xgboost" and step["FailOnViolation"] is True
        kind = "ModelBias" if check_type == "MODEL_BIAS" else "ModelExplainability"
        assert step["SkipCheck"] == {"Get": f"Parameters.Skip{kind}Check"}
        assert step["RegisterNewBaseline"] == {"Get": f"Parameters.RegisterNew{kind}Baseline"}
        inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in step["Arguments"]["ProcessingInputs"]}
        assert inputs == {
            "analysis_config": f"{BUCKET_PREFIX}/code/clarify/{folder}/analysis_config.json",
            "dataset": {"Get": "Steps.PreprocessData.ProcessingOutputConfig.Outputs['gold'].S3Output.S3Uri"}}
        assert step["Arguments"]["AppSpecification"]["ImageUri"].endswith("/sagemaker-clarify-processing:1.0")
        [output] = step["Arguments"]["ProcessingOutputConfig"]["Outputs"]
        assert output["S3Output"]["S3Uri"] == {"Std:Join": {"On": "/", "Values": [
            BUCKET_PREFIX, {"Get": "Execution.PipelineExecutionId"}, folder]}}


def test_the_clarify_analyses_travel_with_the_model_package(steps):
    arguments = steps["RegisterModel"]["Arguments"]
    assert arguments["ModelMetrics"]["Bias"]["PostTrainingReport"]["S3Uri"] == {
        "Get": "Steps.ModelBiasCheck.CalculatedBaselineConstraints"}
    assert arguments["ModelMetrics"]["Explainability"]["Report"]["S3Uri"] == {
        "Get": "Steps.ModelExplainabilityCheck.CalculatedBaselineConstraints"}
    drift = arguments["DriftCheckBaselines"]
    assert drift["Bias"]["PostTrainingConstraints"]["S3Uri"] == {
        "Get": "Steps.ModelBiasCheck.BaselineUsedForDriftCheckConstraints"}
    assert drift["Explainability"]["Constraints"]["S3Uri"] == {
        "Get": "Steps.ModelExplainabilityCheck.BaselineUsedForDriftCheckConstraints"}


def test_the_bias_facet_and_the_shap_settings_are_the_documented_ones():
    """The committed analysis configurations (what the checks read): the tumour-size facet, Kernel SHAP's settings."""
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "clarify"
    bias = json.loads((root / "model-bias" / "analysis_config.json").read_text())
    assert (bias["label"], bias["label_values_or_threshold"], bias["excluded_columns"]) == ("label", [1], ["row_id"])
    assert bias["facet"] == [{"name_or_index": "mean radius", "value_or_threshold": [14.0]}]
    assert bias["methods"]["post_training_bias"] == {"methods": "all"} and bias["probability_threshold"] == 0.5
    explained = json.loads((root / "model-explainability" / "analysis_config.json").read_text())
    assert explained["methods"]["shap"] == {"use_logit": False, "save_local_shap_values": True, "num_samples": 64,
                                            "agg_method": "mean_abs", "seed": 20261128, "num_clusters": 1}
    for config in (bias, explained):
        assert "model_name" not in config["predictor"]  # the step's ModelName names it
        assert config["predictor"]["content_type"] == config["predictor"]["accept_type"] == "text/csv"
