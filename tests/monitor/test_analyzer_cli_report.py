"""The analyzer container contract, the CLI's exit statuses, CloudWatch records and the HTML report."""
import json
import re
import subprocess
import sys

import pytest

from sagelocal.cli import main as sagelocal_main
from sagelocal.monitor import analyzer


@pytest.fixture
def data_quality(fixtures_dir):
    return fixtures_dir / "model-monitor-quality-check-step" / "data_quality"


def environment(tmp_path, **extra):
    return {"output_path": str(tmp_path / "out"), "output_message_file": str(tmp_path / "message"),
            "cloudwatch_metrics_directory": str(tmp_path / "metrics"), **extra}


def test_baselining_mode_writes_statistics_and_constraints(data_quality, tmp_path):
    env = environment(tmp_path, dataset_source=str(data_quality / "baseline_dataset.csv"),
                      dataset_format=json.dumps({"csv": {"header": False, "output_columns_position": "START"}}))
    assert analyzer.main(env) == analyzer.EXIT_COMPLETED
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["constraints.json", "statistics.json"]
    assert (tmp_path / "message").read_text() == "Completed: Job completed successfully with no violations."


def test_monitoring_mode_with_violations(data_quality, tmp_path):
    env = environment(tmp_path, dataset_source=str(data_quality / "baseline_dataset.csv"),
                      dataset_format='{"csv": {"header": false}}',
                      baseline_statistics=str(data_quality / "statistics.json"),
                      baseline_constraints=str(data_quality / "bad_cases" / "constraints.json"),
                      publish_cloudwatch_metrics="Enabled", sagemaker_endpoint_name="ep",
                      sagemaker_monitoring_schedule_name="hourly", end_time="2024-05-01T03:00:00Z")
    assert analyzer.main(env) == analyzer.EXIT_VIOLATIONS
    assert (tmp_path / "message").read_text() == \
        "CompletedWithViolations: Job completed successfully with 1 violations."
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "constraint_violations.json", "constraints.json", "report.html", "statistics.json"]
    records = [json.loads(line) for line in (tmp_path / "metrics" / "metrics.jsonl").read_text().splitlines()]
    by_name = {record["MetricName"]: record for record in records}
    assert by_name["feature_data__c0"]["StatisticValues"] == {"SampleCount": 100.0, "Sum": 231.0,
                                                             "Minimum": 1.0, "Maximum": 3.0}
    assert by_name["feature_non_null__c0"]["Value"] == 1.0
    assert by_name["feature_baseline_drift__c0"]["Value"] == 0.0
    assert by_name["feature_non_null__c0"]["Timestamp"] == "2024-05-01T03:00:00Z"
    assert by_name["feature_non_null__c0"]["Dimensions"] == [{"Name": "EndpointName", "Value": "ep"},
                                                             {"Name": "ScheduleName", "Value": "hourly"}]


def test_metrics_are_not_written_unless_published(data_quality, tmp_path):
    env = environment(tmp_path, dataset_source=str(data_quality / "baseline_dataset.csv"),
                      baseline_statistics=str(data_quality / "statistics.json"), dataset_format='{"csv": {}}',
                      baseline_constraints=str(data_quality / "good_cases" / "constraints.json"))
    assert analyzer.main(env) == analyzer.EXIT_COMPLETED
    assert not (tmp_path / "metrics").exists()


def test_no_captured_data_fails_like_aws(data_quality, fixtures_dir, tmp_path):
    env = environment(tmp_path, dataset_source=str(fixtures_dir / "data-capture" / "intro-notebook-capture.jsonl"),
                      baseline_statistics=str(data_quality / "statistics.json"),
                      baseline_constraints=str(data_quality / "good_cases" / "constraints.json"),
                      start_time="2031-01-01T00:00:00Z", end_time="2031-01-01T01:00:00Z")
    assert analyzer.main(env) == analyzer.EXIT_FAILED
    assert (tmp_path / "message").read_text() == "Job inputs had no data"
    assert not (tmp_path / "out").exists()


def test_python_dash_m_runs_the_analyzer(data_quality, tmp_path):
    env = environment(tmp_path, dataset_source=str(data_quality / "baseline_dataset.csv"),
                      dataset_format='{"csv": {"header": false}}', PATH="/usr/bin:/bin")
    done = subprocess.run([sys.executable, "-m", "sagelocal.monitor.analyzer"], env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "statistics.json").exists()


@pytest.mark.parametrize("constraints,status", [("good_cases", 0), ("bad_cases", 3)])
def test_cli_run_exit_status_tells_violations_apart(data_quality, tmp_path, capsys, constraints, status):
    code = sagelocal_main(["monitor", "run", "--dataset", str(data_quality / "baseline_dataset.csv"),
                           "--format", "csv", "--baseline-statistics", str(data_quality / "statistics.json"),
                           "--baseline-constraints", str(data_quality / constraints / "constraints.json"),
                           "--output", str(tmp_path)])
    assert code == status
    assert (tmp_path / "message").read_text() == capsys.readouterr().out.splitlines()[0]


def test_html_report_is_self_contained_with_violations_first(data_quality, tmp_path):
    sagelocal_main(["monitor", "run", "--dataset", str(data_quality / "baseline_dataset.csv"), "--format", "csv",
                    "--baseline-statistics", str(data_quality / "statistics.json"), "--baseline-constraints",
                    str(data_quality / "bad_cases" / "constraints.json"), "--output", str(tmp_path)])
    page = (tmp_path / "report.html").read_text()
    assert not re.search(r"(src|href)=\"?(https?:)?//", page) and "<script" not in page
    assert page.index("<h2>Violations</h2>") < page.index("<h2>Features</h2>")
    assert "Only 0.0% of data is String." in page
    assert page.count("<svg") == 6  # one chart per feature: baseline and current drawn over each other
    assert "against threshold <b>0.1</b>" in page


@pytest.mark.parametrize("value,message", [
    ("{csv", "dataset_format is not valid JSON"),
    ('{"avro": {}}', "dataset_format: unknown format 'avro'"),
    ('{"csv": {}, "json": {}}', "must be an object with one key"),
])
def test_bad_dataset_format_fails_with_its_reason(tmp_path, data_quality, value, message):
    env = environment(tmp_path, dataset_source=str(data_quality / "baseline_dataset.csv"), dataset_format=value)
    assert analyzer.main(env) == analyzer.EXIT_FAILED
    assert message in (tmp_path / "message").read_text()


def test_monitor_group_returns_its_subparsers_for_other_rooms():
    import argparse

    from sagelocal.monitor import cli

    parser = argparse.ArgumentParser()
    commands = cli.register(parser.add_subparsers(dest="group"))
    commands.add_parser("executions").set_defaults(handler=lambda args: 0)
    assert {"baseline", "run", "executions"} <= set(commands.choices)
    assert parser.parse_args(["monitor", "executions"]).handler(None) == 0
