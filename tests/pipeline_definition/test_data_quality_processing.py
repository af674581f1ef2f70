"""``build_pipeline_json.py --data-quality processing``: the monitor library baselines in a processing step.

Everything but DataQualityBaseline and the register step's data-quality references is the default definition.
"""
from __future__ import annotations

import copy

import pytest

from test_pipeline_structure import BUCKET_PREFIX, steps_by_name

ROOT_PATH = "/opt/ml/processing"
DATA_QUALITY_OUTPUT = {"Get": "Steps.DataQualityBaseline.ProcessingOutputConfig.Outputs['data-quality'].S3Output.S3Uri"}


@pytest.fixture(scope="module")
def steps(processing_definition) -> dict:
    return steps_by_name(processing_definition)


def test_build_makes_no_network_attempt(processing_built):
    assert processing_built.status == 0 and processing_built.attempts == []
    assert "8 top-level steps" in processing_built.stdout


def test_only_the_data_quality_step_and_its_references_change(definition, processing_definition):
    def without_data_quality(built: dict) -> dict:
        stripped = copy.deepcopy(built)
        stripped["Steps"] = [s for s in stripped["Steps"] if s["Name"] != "DataQualityBaseline"]
        register = steps_by_name(stripped)["RegisterModel"]["Arguments"]
        del register["ModelMetrics"]["ModelDataQuality"], register["DriftCheckBaselines"]
        return stripped

    assert without_data_quality(processing_definition) == without_data_quality(definition)
    # The same parameters in both modes; SkipDataQualityCheck and RegisterNewDataQualityBaseline go unused here.
    assert processing_definition["Parameters"] == definition["Parameters"]


def test_data_quality_runs_the_baseline_script_on_the_preprocessing_image(steps):
    step = steps["DataQualityBaseline"]
    assert step["Type"] == "Processing"
    arguments = step["Arguments"]
    assert arguments["AppSpecification"] == {
        "ImageUri": steps["PreprocessData"]["Arguments"]["AppSpecification"]["ImageUri"],
        "ContainerEntrypoint": ["python3", f"{ROOT_PATH}/input/code/data_quality_baseline.py"],
        "ContainerArguments": ["--library", f"{ROOT_PATH}/input/library"],
    }
    inputs = {i["InputName"]: (i["S3Input"]["S3Uri"], i["S3Input"]["LocalPath"]) for i in arguments["ProcessingInputs"]}
    assert inputs == {
        "baseline": ({"Get": "Steps.EvaluateModel.ProcessingOutputConfig.Outputs['baseline'].S3Output.S3Uri"},
                     f"{ROOT_PATH}/input/baseline"),
        "library": (f"{BUCKET_PREFIX}/code/library", f"{ROOT_PATH}/input/library"),
        "code": (f"{BUCKET_PREFIX}/code/data_quality_baseline.py", f"{ROOT_PATH}/input/code"),
    }
    assert arguments["ProcessingResources"]["ClusterConfig"]["InstanceType"] == {
        "Get": "Parameters.ProcessingInstanceType"}


def test_data_quality_follows_the_analyzer_contract_in_baselining_mode(steps):
    arguments = steps["DataQualityBaseline"]["Arguments"]
    assert arguments["Environment"] == {
        "dataset_format": '{"csv": {"header": false}}',
        "dataset_source": f"{ROOT_PATH}/input/baseline",
        "output_path": f"{ROOT_PATH}/data-quality",
        "publish_cloudwatch_metrics": "Disabled",
        "output_message_file": "/opt/ml/output/message",
    }
    [output] = arguments["ProcessingOutputConfig"]["Outputs"]
    assert output["OutputName"] == "data-quality" and output["S3Output"]["LocalPath"] == f"{ROOT_PATH}/data-quality"
    assert output["S3Output"]["S3Uri"] == {"Std:Join": {"On": "/", "Values": [
        BUCKET_PREFIX, {"Get": "Execution.PipelineExecutionId"}, "data-quality"]}}


def test_the_package_gets_the_fresh_baseline_as_metrics_and_drift_check_baseline(steps):
    arguments = steps["RegisterModel"]["Arguments"]
    files = {name: {"ContentType": "application/json",
                    "S3Uri": {"Std:Join": {"On": "/", "Values": [DATA_QUALITY_OUTPUT, f"{name.lower()}.json"]}}}
             for name in ("Statistics", "Constraints")}
    assert arguments["ModelMetrics"]["ModelDataQuality"] == files
    assert arguments["DriftCheckBaselines"]["ModelDataQuality"] == files
