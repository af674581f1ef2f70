"""Model-quality analysis against AWS's own artifacts: the QualityCheck step's regression fixture (statistics and
suggested constraints, byte for byte), the documented binary and multiclass examples (every value that their
confusion matrices determine), and the merge format the ground-truth merger hands the analyzer."""
import json

import numpy as np
import pytest

from sagelocal.cli import main as sagelocal_main
from sagelocal.errors import UserError
from sagelocal.monitor import analyzer, model_quality, quality_metrics
from sagelocal.monitor.model_quality import Attributes


@pytest.fixture
def regression(fixtures_dir):
    return fixtures_dir / "model-monitor-quality-check-step" / "model_quality"


def test_regression_baseline_reproduces_aws_files_byte_for_byte(regression, tmp_path):
    """The analyzer contract as the SDK's ModelQualityCheckConfig sets it; r2 over the predictions' variance."""
    env = {"analysis_type": "MODEL_QUALITY", "problem_type": "Regression", "ground_truth_attribute": "Label",
           "inference_attribute": "Prediction", "dataset_source": str(regression / "baseline_dataset.csv"),
           "dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
           "output_path": str(tmp_path / "out"), "output_message_file": str(tmp_path / "message")}
    assert analyzer.main(env) == analyzer.EXIT_COMPLETED
    assert (tmp_path / "out" / "statistics.json").read_text() == (regression / "statistics.json").read_text()
    assert (tmp_path / "out" / "constraints.json").read_text() == \
        (regression / "good_cases" / "constraints.json").read_text()


@pytest.mark.parametrize("case, violated", [("good_cases", []), ("bad_cases", ["mse"])])
def test_regression_monitoring_against_the_fixture_constraints(regression, tmp_path, case, violated):
    exit_code = sagelocal_main(["monitor", "model-quality", "run", "--dataset", str(regression / "baseline_dataset.csv"),
                                "--header", "--problem-type", "Regression", "--ground-truth-attribute", "Label",
                                "--inference-attribute", "Prediction", "--output", str(tmp_path),
                                "--baseline-constraints", str(regression / case / "constraints.json")])
    found = json.loads((tmp_path / "constraint_violations.json").read_text())["violations"]
    assert [v["metric_name"] for v in found] == violated
    assert exit_code == (3 if violated else 0)
    if violated:
        assert found[0] == {"constraint_check_type": "GreaterThanThreshold", "metric_name": "mse", "description":
                            "Metric mse with 0.33364933609800973 +/- NaN was GreaterThanThreshold "
                            "'0.03364933609800973'"}


def test_binary_metrics_of_the_documented_example():
    """AWS's docs example: confusion matrix {0: {0: 1, 1: 2}, 1: {0: 0, 1: 1}} (rows are the true label)."""
    labels, predicted = np.array([0.0, 0.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0, 1.0])
    metrics = quality_metrics.compute(quality_metrics.BINARY, labels, predicted)
    assert metrics["confusion_matrix"] == {"0": {"0": 1, "1": 2}, "1": {"0": 0, "1": 1}}
    documented = {"recall": 1.0, "precision": 0.3333333333333333, "accuracy": 0.5, "true_positive_rate": 1.0,
                  "true_negative_rate": 0.33333333333333337, "false_positive_rate": 0.6666666666666666,
                  "false_negative_rate": 0.0, "f0_5": 0.3846153846153846, "f1": 0.5, "f2": 0.7142857142857143}
    assert {name: metrics[name]["value"] for name in documented} == documented
    assert list(metrics)[:4] == ["confusion_matrix", "recall", "precision", "accuracy"]
    assert list(metrics)[11:14] == ["receiver_operating_characteristic_curve", "precision_recall_curve", "auc"]
    assert all(metrics[name]["standard_deviation"] != metrics[name]["standard_deviation"] for name in documented)


def test_roc_and_pr_curves_of_the_documented_example():
    """The docs' curves: four positives ranked by score and Spark's extra (1, 1) at the end of the ROC."""
    labels, scores = np.ones(4), np.array([0.9, 0.8, 0.7, 0.6])
    metrics = quality_metrics.compute(quality_metrics.BINARY, labels, np.ones(4), scores)
    assert metrics["receiver_operating_characteristic_curve"] == {
        "false_positive_rates": [0.0, 0.0, 0.0, 0.0, 0.0, 1.0], "true_positive_rates": [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]}
    assert metrics["precision_recall_curve"] == {"precisions": [1.0, 1.0, 1.0, 1.0, 1.0],
                                                 "recalls": [0.0, 0.25, 0.5, 0.75, 1.0]}
    assert metrics["auc"]["value"] == 1.0


def test_multiclass_weighted_metrics_of_the_documented_example():
    labels = np.array(["0"] * 1690 + ["1"] * 406)
    predicted = np.array(["0"] * 1180 + ["1"] * 510 + ["0"] * 268 + ["1"] * 138)
    metrics = quality_metrics.compute(quality_metrics.MULTICLASS, labels, predicted)
    assert metrics["confusion_matrix"] == {"0": {"0": 1180, "1": 510}, "1": {"0": 268, "1": 138}}
    documented = {"accuracy": 0.6288167938931297, "weighted_recall": 0.6288167938931297,
                  "weighted_precision": 0.6983172269629505, "weighted_f0_5": 0.6803947317178771,
                  "weighted_f1": 0.6571162346664904, "weighted_f2": 0.6384024354394601}
    assert {name: metrics[name]["value"] for name in documented} == documented
    # 2,096 rows: a standard deviation from the 80 % samples, as AWS gives from 200 rows on.
    assert all(0 < metrics[name]["standard_deviation"] < 0.02 for name in documented)


def test_best_constant_classifier_predicts_the_most_frequent_label():
    """As in AWS's churn baseline (173 of 201 are 0): recall, precision and F of the constant are 0."""
    labels = np.array([0.0] * 173 + [1.0] * 28)
    metrics = quality_metrics.compute(quality_metrics.BINARY, labels, labels)
    assert metrics["accuracy_best_constant_classifier"]["value"] == 173 / 201
    assert metrics["recall_best_constant_classifier"]["value"] == 0.0
    assert metrics["f1_best_constant_classifier"]["value"] == 0.0


def merged_record(event: str, probability: float, label: int) -> str:
    return json.dumps({"captureData": {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "1,2", "encoding": "CSV"},
        "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT",
                           "data": str(probability), "encoding": "CSV"}},
        "eventMetadata": {"eventId": event, "inferenceTime": "2024-05-01T02:10:00Z"}, "eventVersion": "0",
        "groundTruthData": {"data": str(label), "encoding": "CSV"}})


def test_binary_monitoring_over_merged_records_names_violations_as_aws(tmp_path):
    """Probability in column 0 of the captured output, threshold 0.5; the baseline was perfect."""
    rows = [(0.9, 1), (0.8, 0), (0.2, 0), (0.3, 1), (0.7, 1), (0.1, 0)]
    data = tmp_path / "merged" / "ep" / "AllTraffic" / "2024" / "05" / "01" / "02"
    data.mkdir(parents=True)
    (data / "part.jsonl").write_text("\n".join(merged_record(f"e{i}", p, y) for i, (p, y) in enumerate(rows)))
    attributes = Attributes("BinaryClassification", probability="0", threshold=0.5)
    perfect = model_quality.statistics_document({"labels": ["1", "0"], "outputs": None,
                                                 "probabilities": ["0.9", "0.1"]}, attributes)
    constraints = tmp_path / "constraints.json"
    constraints.write_text(json.dumps(model_quality.suggest_constraints(perfect, "BinaryClassification")))
    result = model_quality.run_monitoring(tmp_path / "merged", "merge", constraints, tmp_path / "out", attributes,
                                          metrics_dir=tmp_path / "metrics", message_file=tmp_path / "message",
                                          dimensions={"EndpointName": "ep", "ScheduleName": "s"})
    names = [v["metric_name"] for v in result.violations]
    # AWS's order and names; f0_5 is not checked (AWS's churn example leaves it out too).
    assert names == ["auc", "precision", "truePositiveRate", "f1", "accuracy", "falsePositiveRate",
                     "trueNegativeRate", "falseNegativeRate", "recall", "f2"]
    assert result.violations[0]["description"].startswith("Metric auc with 0.") and \
        result.violations[0]["description"].endswith("+/- NaN was LessThanThreshold '1.0'")
    assert (tmp_path / "message").read_text() == \
        "CompletedWithViolations: Job completed successfully with 10 violations."
    records = [json.loads(line) for line in (tmp_path / "metrics" / "metrics.jsonl").read_text().splitlines()]
    assert {r["MetricName"] for r in records} >= {"f2", "auc", "f1_best_constant_classifier"}
    assert result.statistics["binary_classification_metrics"]["confusion_matrix"] == {
        "0": {"0": 2, "1": 1}, "1": {"0": 1, "1": 2}}


@pytest.mark.parametrize("rows, message", [
    ([(0.9, 2)], "ground truth labels must be 0 or 1"),
    ([], "Job inputs had no data"),
])
def test_bad_binary_data_is_refused_by_name(tmp_path, rows, message):
    (tmp_path / "data.jsonl").write_text("\n".join(merged_record("e", p, y) for p, y in rows) + "\n")
    with pytest.raises(UserError, match=message):
        model_quality.statistics_document(model_quality.read_dataset(
            tmp_path, "merge", False, Attributes("BinaryClassification", probability="0")),
            Attributes("BinaryClassification", probability="0"))


def test_a_missing_column_is_named(regression):
    with pytest.raises(UserError, match="no column 'label'.*F1, F2"):
        model_quality.read_dataset(regression / "baseline_dataset.csv", "csv", True,
                                   Attributes("Regression", ground_truth="label", inference="Prediction"))
