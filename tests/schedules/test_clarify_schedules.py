"""ModelBias and ModelExplainability monitoring through boto3 against the real server: the job definitions
(Create/Describe/List/Delete, checked by botocore's service model on both sides), schedules naming them, and
executions that run the Clarify library on the endpoint's capture (merged with ground truth for bias) with the
analysis configuration of the definition's ConfigUri, writing analysis.json and constraint_violations.json to the
execution's report folder.

Violation formats: AWS's Developer Guide, "Bias Drift Violations"
(docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-violations.html: facet, facet_value,
metric_name, constraint_check_type ``bias_drift_check``, description; a metric farther from 0 than its baseline is
a violation) and "Feature Attribution Drift Violations" (clarify-model-monitor-feature-attribution-drift-violations
.html: label, metric_name, constraint_check_type ``feature_attribution_drift_check``; nDCG below 0.9)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from hosting.deploy import FEATURES, csv_row, deploy, feature_rows
from schedules.test_model_quality_schedule import ROLE, ground_truth, put_json_lines, true_label

CLARIFY = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"
GROUND_TRUTH = "s3://monitoring/bias-ground-truth"
REPORTS = "s3://monitoring/clarify-reports"
HEADERS = [f"f{i}" for i in range(FEATURES)]
ROWS = 60


def job_definition(kind: str, name: str, config_uri: str, constraints_uri: str | None = None) -> dict:
    request = {"JobDefinitionName": name, "RoleArn": ROLE,
               "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                  "VolumeSizeInGB": 20}},
               f"{kind}AppSpecification": {"ImageUri": CLARIFY, "ConfigUri": config_uri},
               f"{kind}JobInput": {"EndpointInput": {
                   "EndpointName": "bc-endpoint", "LocalPath": "/opt/ml/processing/input/endpoint",
                   "ProbabilityAttribute": "0", "ProbabilityThresholdAttribute": 0.5}},
               f"{kind}JobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
                   "S3Uri": REPORTS, "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
               "StoppingCondition": {"MaxRuntimeInSeconds": 1800}}
    if kind == "ModelBias":
        request["ModelBiasJobInput"]["GroundTruthS3Input"] = {"S3Uri": GROUND_TRUTH}
    if constraints_uri:
        request[f"{kind}BaselineConfig"] = {"ConstraintsResource": {"S3Uri": constraints_uri}}
    return request


# As the SDK's BiasAnalysisConfig writes it (BiasConfig's label_values_or_threshold and facet, the headers with
# the label, the label): no methods, no dataset_type.
BIAS_CONFIG = {"label_values_or_threshold": [1], "facet": [{"name_or_index": "f2", "value_or_threshold": [0]}],
               "headers": ["label", *HEADERS], "label": "label"}
# As ExplainabilityAnalysisConfig writes it: SHAPConfig's methods, ModelConfig's predictor, the feature headers.
EXPLAINABILITY_CONFIG = {
    "methods": {"shap": {"baseline": [[0.0] * FEATURES], "num_samples": 300, "agg_method": "mean_abs",
                         "use_logit": False, "save_local_shap_values": False, "seed": 1}},
    "predictor": {"model_name": "bc-endpoint-model", "instance_type": "ml.m5.xlarge", "initial_instance_count": 1,
                  "content_type": "text/csv", "accept_type": "text/csv"},
    "headers": HEADERS}


@pytest.fixture
def endpoint(local_server):
    """The endpoint with ROWS captured requests (InferenceId = row number), their labels as ground truth of this
    hour, and the two analysis configurations in S3."""
    env = deploy(local_server)
    rows = feature_rows(ROWS)
    for number, row in enumerate(rows):
        env["runtime"].invoke_endpoint(EndpointName="bc-endpoint", ContentType="text/csv", Body=csv_row(row),
                                       InferenceId=str(number))
    s3 = local_server.client("s3")
    labels = {str(number): true_label(row) for number, row in enumerate(rows)}
    put_json_lines(s3, f"{GROUND_TRUTH}/{datetime.now(timezone.utc):%Y/%m/%d/%H}/labels.jsonl", ground_truth(labels))
    for name, document in (("bias", BIAS_CONFIG), ("explainability", EXPLAINABILITY_CONFIG)):
        s3.put_object(Bucket="monitoring", Key=f"config/{name}/analysis_config.json", Body=json.dumps(document))
    return env | {"s3": s3, "backend": local_server.app.state.backends["schedules"]}


def schedule(env: dict, kind: str, name: str, config: str, constraints_uri: str | None = None) -> dict:
    """Create the definition and a schedule naming it; run one execution now; its report."""
    create = getattr(env["sm"], f"create_{'model_bias' if kind == 'ModelBias' else 'model_explainability'}"
                                f"_job_definition")
    create(**job_definition(kind, f"{name}-def", f"s3://monitoring/config/{config}/analysis_config.json",
                            constraints_uri))
    env["sm"].create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "MonitoringJobDefinitionName": f"{name}-def", "MonitoringType": kind})
    return env["backend"].run_now(name)


def read_report(env: dict, report: dict, file: str) -> dict:
    bucket, _, key = report["ReportUri"][len("s3://"):].partition("/")
    return json.loads(env["s3"].get_object(Bucket=bucket, Key=f"{key}/{file}")["Body"].read())


def put_baseline(env: dict, key: str, document: dict) -> str:
    env["s3"].put_object(Bucket="monitoring", Key=key, Body=json.dumps(document))
    return f"s3://monitoring/{key}"


def test_the_job_definitions_are_served_as_botocore_describes_them(endpoint):
    sm = endpoint["sm"]
    for kind, operation in (("ModelBias", "model_bias"), ("ModelExplainability", "model_explainability")):
        request = job_definition(kind, f"{operation.replace('_', '-')}-def", "s3://monitoring/config/x.json",
                                 "s3://monitoring/baseline/analysis.json")
        arn = getattr(sm, f"create_{operation}_job_definition")(**request)["JobDefinitionArn"]
        assert arn.endswith(f":{operation.replace('_', '-')}-job-definition/{request['JobDefinitionName']}")
        described = getattr(sm, f"describe_{operation}_job_definition")(JobDefinitionName=request["JobDefinitionName"])
        assert described[f"{kind}AppSpecification"]["ConfigUri"] == "s3://monitoring/config/x.json"
        assert described[f"{kind}BaselineConfig"] == request[f"{kind}BaselineConfig"]
        (summary,) = getattr(sm, f"list_{operation}_job_definitions")(EndpointName="bc-endpoint")[
            "JobDefinitionSummaries"]
        assert summary["MonitoringJobDefinitionArn"] == arn
        getattr(sm, f"delete_{operation}_job_definition")(JobDefinitionName=request["JobDefinitionName"])
        with pytest.raises(ClientError) as gone:
            getattr(sm, f"describe_{operation}_job_definition")(JobDefinitionName=request["JobDefinitionName"])
        assert gone.value.response["Error"]["Code"] == "ResourceNotFound"


def test_a_bias_definition_without_ground_truth_is_refused(endpoint):
    request = job_definition("ModelBias", "no-truth", "s3://monitoring/config/x.json")
    request["ModelBiasJobInput"]["GroundTruthS3Input"] = {}  # botocore's model requires the field, not its S3Uri
    with pytest.raises(ClientError) as refused:
        endpoint["sm"].create_model_bias_job_definition(**request)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "GroundTruthS3Input.S3Uri is required" in refused.value.response["Error"]["Message"]
    assert endpoint["sm"].list_model_bias_job_definitions()["JobDefinitionSummaries"] == []


def test_a_bias_execution_computes_post_training_bias_of_the_captured_predictions(endpoint):
    report = schedule(endpoint, "ModelBias", "bias", "bias")
    assert report["MonitoringExecutionStatus"] == "Completed", report.get("FailureReason")
    assert report["MonitoringType"] == "ModelBias"
    assert report["ReportUri"].startswith(f"{REPORTS}/bc-endpoint/bias/")
    analysis = read_report(endpoint, report, "analysis.json")
    section = analysis["post_training_bias_metrics"]
    assert section["label"] == "label" and section["label_value_or_threshold"] == "1"
    (group,) = section["facets"]["f2"]
    metrics = {metric["name"]: metric for metric in group["metrics"]}
    assert {"DPPL", "DI", "AD", "RD", "DAR"} <= set(metrics)
    assert isinstance(metrics["DPPL"]["value"], float) and "error" not in metrics["DPPL"]
    job = endpoint["sm"].describe_processing_job(ProcessingJobName=report["ProcessingJobArn"].rsplit("/", 1)[-1])
    assert job["ProcessingJobName"].startswith("model-bias-monitoring-")
    assert job["Environment"]["analysis_type"] == "MODEL_BIAS"
    assert {"groundtruth_input_1", "analysis_config"} <= {i["InputName"] for i in job["ProcessingInputs"]}


def test_a_bias_metric_farther_from_zero_than_its_baseline_is_a_violation(endpoint):
    plain = schedule(endpoint, "ModelBias", "bias", "bias")
    analysis = read_report(endpoint, plain, "analysis.json")
    tighter = json.loads(json.dumps(analysis))
    for metric in tighter["post_training_bias_metrics"]["facets"]["f2"][0]["metrics"]:
        if isinstance(metric.get("value"), float):
            metric["value"] /= 2  # every nonzero metric now lies farther from 0 than its constraint
    uri = put_baseline(endpoint, "baseline/bias/analysis.json", tighter)
    report = schedule(endpoint, "ModelBias", "bias-checked", "bias", uri)
    assert report["MonitoringExecutionStatus"] == "CompletedWithViolations", report.get("FailureReason")
    violations = read_report(endpoint, report, "constraint_violations.json")
    assert violations["version"] == "1.0"
    nonzero = {m["name"] for m in analysis["post_training_bias_metrics"]["facets"]["f2"][0]["metrics"]
               if isinstance(m.get("value"), float) and m["value"] != 0}
    assert {v["metric_name"] for v in violations["violations"]} == nonzero
    first = violations["violations"][0]
    assert set(first) == {"facet", "facet_value", "metric_name", "constraint_check_type", "description"}
    assert first["facet"] == "f2" and first["constraint_check_type"] == "bias_drift_check"
    assert report["Violations"] == {"bias_drift_check": len(nonzero)}
    # Against its own analysis, the same capture is within every constraint.
    same = put_baseline(endpoint, "baseline/bias-same/analysis.json", analysis)
    assert schedule(endpoint, "ModelBias", "bias-same", "bias", same)["MonitoringExecutionStatus"] == "Completed"


def test_an_explainability_execution_explains_the_capture_on_a_shadow_endpoint(endpoint):
    report = schedule(endpoint, "ModelExplainability", "explain", "explainability")
    assert report["MonitoringExecutionStatus"] == "Completed", report.get("FailureReason")
    explanation = read_report(endpoint, report, "analysis.json")["explanations"]["kernel_shap"]["label0"]
    values = explanation["global_shap_values"]
    assert list(values) == HEADERS
    # The model's label is f0 + 0.5 f1 > 0: those two features lead the attributions.
    assert sorted(values, key=lambda name: -values[name])[:2] == ["f0", "f1"]
    job = endpoint["sm"].describe_processing_job(ProcessingJobName=report["ProcessingJobArn"].rsplit("/", 1)[-1])
    assert job["ProcessingJobName"].startswith("model-explainability-monitoring-")
    assert {"shadow_model", "analysis_config"} <= {i["InputName"] for i in job["ProcessingInputs"]}


def test_a_changed_feature_ranking_is_a_feature_attribution_drift_violation(endpoint):
    reversed_ranking = {"version": "1.0", "explanations": {"kernel_shap": {"label0": {
        "global_shap_values": {name: float(i + 1) for i, name in enumerate(HEADERS)}, "expected_value": 0.5}}}}
    uri = put_baseline(endpoint, "baseline/explain/analysis.json", reversed_ranking)
    report = schedule(endpoint, "ModelExplainability", "explain-checked", "explainability", uri)
    assert report["MonitoringExecutionStatus"] == "CompletedWithViolations", report.get("FailureReason")
    (violation,) = read_report(endpoint, report, "constraint_violations.json")["violations"]
    assert violation["constraint_check_type"] == "feature_attribution_drift_check"
    assert violation["label"] == "label0" and violation["metric_name"] == "shap"


def test_an_explainability_configuration_naming_no_model_fails_the_execution_with_the_reason(endpoint):
    config = {k: v for k, v in EXPLAINABILITY_CONFIG.items() if k != "predictor"}
    endpoint["s3"].put_object(Bucket="monitoring", Key="config/no-model/analysis_config.json", Body=json.dumps(config))
    report = schedule(endpoint, "ModelExplainability", "explain-nomodel", "no-model")
    assert report["MonitoringExecutionStatus"] == "Failed"
    assert "predictor.model_name" in report["FailureReason"]
