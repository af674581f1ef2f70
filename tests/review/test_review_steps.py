"""steps/review_start.py and steps/review_collect.py against the local server, by endpoint URL alone."""
from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest

from sagelocal.storage import LocalS3

from .conftest import PROJECT_TEMPLATE, make_flow, sign_in

STEPS = Path(__file__).resolve().parents[2] / "steps"
sys.path.insert(0, str(STEPS))

import review_collect  # noqa: E402
import review_start  # noqa: E402

XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"

CAPTURE = "s3://review-bucket/datacapture/xgb-breast-cancer/AllTraffic"
FEATURES = ",".join(str(10 + i / 10) for i in range(30))


def capture_line(event_id: str, probability: float, inference_id: str | None = None) -> str:
    metadata = {"eventId": event_id, **({"inferenceId": inference_id} if inference_id else {}),
                "inferenceTime": "2026-11-25T08:00:00Z"}
    return json.dumps({"captureData": {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": FEATURES, "encoding": "CSV"},
        "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT",
                           "data": str(probability), "encoding": "CSV"}},
        "eventMetadata": metadata, "eventVersion": "0"},
        separators=(",", ":"))


@pytest.fixture
def connected(local_server, monkeypatch):
    """Connection arguments for the steps: the server's URL and its credentials profile."""
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(local_server.settings.home / "credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return ["--endpoint-url", local_server.url, "--profile", "sagelocal", "--region", "us-east-1"]


def test_loop_names_are_valid_and_stable():
    assert review_start.loop_name("f04a8538-696c-4648-8064-8b680b2e3318") == (
        "review-f04a8538-696c-4648-8064-8b680b2e3318")
    odd = review_start.loop_name("Inference_ID/with spaces and more characters than a loop name may have....")
    assert odd == review_start.loop_name("Inference_ID/with spaces and more characters than a loop name may have....")
    assert review_start.NAME.match(odd) and len(odd) <= 63


def test_review_start_selects_exclusive_thresholds_and_never_starts_twice(local_server, connected, fixtures_dir,
                                                                          capsys):
    s3 = LocalS3(local_server.settings.s3_root)
    lines = [capture_line(f"00000000-0000-4000-8000-00000000000{i}", p)
             for i, p in enumerate([0.1, 0.1000001, 0.5, 0.8999999, 0.9, 0.02, 0.97])]
    s3.write_bytes(f"{CAPTURE}/2026/11/25/08/00-00-000-a.jsonl", ("\n".join(lines) + "\n").encode())
    # A real capture file from AWS (its records carry 69 features): 0.379 is uncertain.
    s3.write_bytes(f"{CAPTURE}/2026/11/25/09/00-00-000-b.jsonl",
                   (fixtures_dir / "data-capture" / "intro-notebook-capture.jsonl").read_bytes())
    flow = make_flow(local_server.client("sagemaker"), "breast-cancer-review", PROJECT_TEMPLATE.read_text(),
                     "reviewers")
    argv = ["--capture-uri", CAPTURE, "--flow-definition-arn", flow, *connected]
    assert review_start.main(argv) == 0
    assert "10 captured predictions, 4 with 0.1 < p < 0.9; started 4 human loops, 0 were already started" in (
        capsys.readouterr().out)
    assert review_start.main(argv) == 0
    assert "started 0 human loops, 4 were already started" in capsys.readouterr().out
    a2i = local_server.client("sagemaker-a2i-runtime")
    names = {s["HumanLoopName"] for s in a2i.list_human_loops(FlowDefinitionArn=flow)["HumanLoopSummaries"]}
    assert names == {"review-00000000-0000-4000-8000-000000000001", "review-00000000-0000-4000-8000-000000000002",
                     "review-00000000-0000-4000-8000-000000000003", "review-4f301857-49c9-44d1-b275-ba0ab7767033"}
    loop = local_server.app.state.backends["review"].loops.loop("review-00000000-0000-4000-8000-000000000002")
    reviewed = json.loads(loop["input"])["rows"]
    assert len(reviewed) == 1 and reviewed[0]["probability"] == 0.5
    assert reviewed[0]["features"][0] == {"name": "mean radius", "value": "10.0"}


def _answer(backend, reviewer: str, loop: str, verdict: str, reason: str) -> None:
    backend.tasks.accept(reviewer, loop)
    backend.tasks.submit(reviewer, loop, {"verdict1": {"agree": verdict == "agree", "correct": verdict == "correct"},
                                          "reason1": reason})


def _reviewed_by_ann(local_server, connected, lines: list[str], answers: dict[str, tuple[str, str]]) -> str:
    """The capture ``lines`` sent to review and answered by ann (loop name -> (verdict, reason)); the flow ARN."""
    LocalS3(local_server.settings.s3_root).write_bytes(f"{CAPTURE}/2026/11/25/08/00-00-000-a.jsonl",
                                                       ("\n".join(lines) + "\n").encode())
    flow = make_flow(local_server.client("sagemaker"), "breast-cancer-review", PROJECT_TEMPLATE.read_text(),
                     "reviewers")
    review_start.main(["--capture-uri", CAPTURE, "--flow-definition-arn", flow, *connected])
    backend = local_server.app.state.backends["review"]
    backend.reviewers.add("ann", "reviewers")
    for loop, (verdict, reason) in answers.items():
        _answer(backend, "ann", loop, verdict, reason)
    return flow


HEADER = ["row_id", "split", *review_start.FEATURE_NAMES, "label", "label_source"]


def data_set(*rows: tuple[str, str, str, str]) -> bytes:
    """A data set in make_input_data.py's layout: (row id, split, label, label source) per row."""
    lines = [",".join(HEADER)] + [",".join([row_id, split, *FEATURES.split(","), label, source])
                                  for row_id, split, label, source in rows]
    return ("\n".join(lines) + "\n").encode()


def test_review_collect_replaces_labels_by_row_id_with_provenance_once_per_event(local_server, connected, capsys):
    s3 = LocalS3(local_server.settings.s3_root)
    s3.write_bytes("s3://review-bucket/input/breast-cancer.csv", data_set(
        ("bc-0001", "train", "0", "scikit-learn"), ("bc-0002", "production", "", ""),
        ("bc-0003", "production", "", "")))
    flow = _reviewed_by_ann(local_server, connected, [
        capture_line("00000000-0000-4000-8000-00000000000a", 0.7, "bc-0002"),
        capture_line("00000000-0000-4000-8000-00000000000b", 0.3, "bc-0003"),
        capture_line("00000000-0000-4000-8000-00000000000e", 0.4),  # no row id: left out of the data set
    ], {"review-00000000-0000-4000-8000-00000000000a": ("agree", "looks malignant"),
        "review-00000000-0000-4000-8000-00000000000b": ("correct", "irregular cells"),
        "review-00000000-0000-4000-8000-00000000000e": ("agree", "no case id")})
    backend = local_server.app.state.backends["review"]
    # The same event started again under another name (e.g. by hand) is still counted once.
    a2i = local_server.client("sagemaker-a2i-runtime")
    first = backend.loops.loop("review-00000000-0000-4000-8000-00000000000a")
    a2i.start_human_loop(HumanLoopName="duplicate-of-a", FlowDefinitionArn=flow,
                         HumanLoopInput={"InputContent": first["input"]})
    _answer(backend, "ann", "duplicate-of-a", "correct", "second thoughts")
    capsys.readouterr()

    code = review_collect.main(["--flow-definition-arn", flow, "--input-uri", "s3://review-bucket/input/breast-cancer.csv",
                                "--output-uri", "s3://review-bucket/retraining", "--no-retrain", *connected])
    assert code == 0
    out = capsys.readouterr().out
    assert "3 reviewed events (1 corrected)" in out
    assert "2 labels replaced by row id, 1 events without a row id of the data set" in out
    table = list(csv.DictReader(io.StringIO(s3.read_bytes(
        "s3://review-bucket/retraining/breast-cancer-reviewed.csv").decode())))
    assert [(row["row_id"], row["label"], row["label_source"]) for row in table] == [
        ("bc-0001", "0", "scikit-learn"), ("bc-0002", "1", "review:review-00000000-0000-4000-8000-00000000000a"),
        ("bc-0003", "1", "review:review-00000000-0000-4000-8000-00000000000b")]
    provenance = json.loads(s3.read_bytes("s3://review-bucket/retraining/provenance.json"))
    by_row = {change["rowId"]: change for change in provenance["changes"]}
    assert by_row["bc-0003"]["answers"][0]["reason"] == "irregular cells" and by_row["bc-0003"]["previousLabel"] == ""
    assert len(by_row["bc-0002"]["answers"][0]["workerId"]) == 16
    [truth] = s3.list("s3://review-bucket/retraining/ground-truth/")
    records = [json.loads(line) for line in s3.read_bytes(truth).decode().splitlines()]
    assert {r["eventMetadata"]["eventId"]: r["groundTruthData"]["data"] for r in records} == {
        "bc-0002": "1", "bc-0003": "1", "00000000-0000-4000-8000-00000000000e": "0"}

    # Reviewed again: the label of the same case is replaced again, never a second row.
    again = review_collect.main(["--flow-definition-arn", flow, "--input-uri",
                                 "s3://review-bucket/retraining/breast-cancer-reviewed.csv", "--output-uri",
                                 "s3://review-bucket/retraining-2", "--no-retrain", *connected])
    assert again == 0
    table = list(csv.DictReader(io.StringIO(s3.read_bytes(
        "s3://review-bucket/retraining-2/breast-cancer-reviewed.csv").decode())))
    assert [row["row_id"] for row in table] == ["bc-0001", "bc-0002", "bc-0003"]


def test_review_collect_refuses_to_relabel_a_gold_row(local_server, connected, capsys):
    s3 = LocalS3(local_server.settings.s3_root)
    s3.write_bytes("s3://review-bucket/input/breast-cancer.csv", data_set(("bc-0009", "gold", "0", "scikit-learn")))
    flow = _reviewed_by_ann(local_server, connected,
                            [capture_line("00000000-0000-4000-8000-00000000000f", 0.6, "bc-0009")],
                            {"review-00000000-0000-4000-8000-00000000000f": ("correct", "benign")})
    with pytest.raises(SystemExit, match="bc-0009 is a gold row"):
        review_collect.main(["--flow-definition-arn", flow, "--input-uri", "s3://review-bucket/input/breast-cancer.csv",
                             "--output-uri", "s3://review-bucket/retraining", "--no-retrain", *connected])
    assert not s3.exists("s3://review-bucket/retraining/breast-cancer-reviewed.csv")


ROOT = STEPS.parent
PIPELINE = ROOT / "pipeline.json"
ORIGINAL_INPUT = "s3://sagemaker-us-east-1-000000000000/BreastCancerXGBoost/input/breast-cancer.csv"


def _stage_pipeline(local_server, with_code: bool) -> None:
    """The pipeline on the server and its input data in local S3 (and the step scripts and the Clarify checks'
    configurations, if ``with_code``)."""
    import subprocess

    made = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_input_data.py"), "--s3-root",
                           str(local_server.settings.s3_root), ORIGINAL_INPUT], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    definition = json.loads(PIPELINE.read_text())
    s3 = LocalS3(local_server.settings.s3_root)
    for step in definition["Steps"] if with_code else []:
        for item in step["Arguments"].get("ProcessingInputs", []):
            uri = item["S3Input"]["S3Uri"]
            if item["InputName"] == "code":
                s3.copy_in(STEPS / uri.rsplit("/", 1)[-1], uri)
            elif item["InputName"] == "analysis_config":  # a Clarify check's, committed beside pipeline.json
                s3.copy_in(ROOT / uri.partition("/code/")[2], uri)
    local_server.client("sagemaker").create_pipeline(
        PipelineName="BreastCancerXGBoost", PipelineDefinition=PIPELINE.read_text(),
        RoleArn="arn:aws:iam::000000000000:role/Pipeline")


def _reviewed_flow(local_server, connected) -> str:
    """One reviewed prediction about the data set's first production case."""
    s3 = LocalS3(local_server.settings.s3_root)
    cases = csv.DictReader(io.StringIO(s3.read_bytes(ORIGINAL_INPUT).decode()))
    case = next(row["row_id"] for row in cases if row["split"] == "production")
    return _reviewed_by_ann(local_server, connected,
                            [capture_line("00000000-0000-4000-8000-00000000000c", 0.6, case)],
                            {"review-00000000-0000-4000-8000-00000000000c": ("correct", "irregular border")})


def test_collect_reports_a_failed_pipeline(local_server, connected, capsys):
    _stage_pipeline(local_server, with_code=False)
    flow = _reviewed_flow(local_server, connected)
    code = review_collect.main(["--flow-definition-arn", flow, "--input-uri", ORIGINAL_INPUT, "--output-uri",
                                "s3://review-bucket/retraining", "--poll-seconds", "0.2", *connected])
    assert code == 1
    assert "the pipeline Failed" in capsys.readouterr().err
    execution = local_server.client("sagemaker").list_pipeline_executions(
        PipelineName="BreastCancerXGBoost")["PipelineExecutionSummaries"][0]
    parameters = local_server.client("sagemaker").list_pipeline_parameters_for_execution(
        PipelineExecutionArn=execution["PipelineExecutionArn"])["PipelineParameters"]
    assert {"Name": "InputDataUrl", "Value": "s3://review-bucket/retraining/breast-cancer-reviewed.csv"} in parameters


def test_collect_retrains_and_judges_against_the_approved_champion(local_server, connected, capsys):
    _stage_pipeline(local_server, with_code=True)
    sagemaker = local_server.client("sagemaker")
    s3 = local_server.client("s3")
    definition = json.loads(PIPELINE.read_text())
    first = review_collect.run_pipeline(sagemaker, s3, "BreastCancerXGBoost", definition, ORIGINAL_INPUT, 0.5)
    assert first["PipelineExecutionStatus"] == "Succeeded", first.get("FailureReason")
    [package] = sagemaker.list_model_packages(ModelPackageGroupName="breast-cancer-xgboost")["ModelPackageSummaryList"]
    sagemaker.update_model_package(ModelPackageArn=package["ModelPackageArn"], ModelApprovalStatus="Approved")
    flow = _reviewed_flow(local_server, connected)
    code = review_collect.main(["--flow-definition-arn", flow, "--input-uri", ORIGINAL_INPUT, "--output-uri",
                                "s3://review-bucket/retraining", "--poll-seconds", "0.5", *connected])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "champion: breast-cancer-xgboost version 1 (latest Approved)" in out
    assert "champion version 1 vs challenger" in out and "on the same 114 gold rows" in out
    auc_line = next(line for line in out.splitlines() if line.startswith("auc"))
    assert len(auc_line.split()) == 3
    assert "AUC difference (challenger - champion)" in out and "decision: " in out
    # Retraining checked its data against the champion's registered drift baseline and recorded its own.
    second = sagemaker.list_pipeline_executions(PipelineName="BreastCancerXGBoost")["PipelineExecutionSummaries"][0]
    steps = {step["StepName"]: step for step in sagemaker.list_pipeline_execution_steps(
        PipelineExecutionArn=second["PipelineExecutionArn"])["PipelineExecutionSteps"]}
    check = steps["DataQualityBaseline"]["Metadata"]["QualityCheck"]
    assert check["SkipCheck"] is False and check["ViolationReport"].endswith("constraint_violations.json")
    if "RegisterModel" in steps:
        package = sagemaker.describe_model_package(ModelPackageName=steps["RegisterModel"]["Metadata"][
            "RegisterModel"]["Arn"])
        assert package["DriftCheckBaselines"]["ModelDataQuality"]["Statistics"]["S3Uri"] == check[
            "BaselineUsedForDriftCheckStatistics"]


def test_capture_to_review_to_training_data_as_a_person_does_it(local_server, connected, page, capsys):
    """review_start.py starts the loops, a reviewer answers in Chromium, review_collect.py reads the answers."""
    s3 = LocalS3(local_server.settings.s3_root)
    events = {"00000000-0000-4000-8000-0000000000d1": 0.86, "00000000-0000-4000-8000-0000000000d2": 0.23,
              "00000000-0000-4000-8000-0000000000d3": 0.99}
    s3.write_bytes(f"{CAPTURE}/2026/11/25/08/00-00-000-a.jsonl", "".join(
        capture_line(e, p, f"bc-{i}") + "\n" for i, (e, p) in enumerate(events.items())).encode())
    s3.write_bytes("s3://review-bucket/input/breast-cancer.csv", data_set(
        *((f"bc-{i}", "production", "", "") for i in range(3))))
    flow = make_flow(local_server.client("sagemaker"), "breast-cancer-review", PROJECT_TEMPLATE.read_text(),
                     "reviewers")
    review_start.main(["--capture-uri", CAPTURE, "--flow-definition-arn", flow, *connected])
    password = local_server.app.state.backends["review"].reviewers.add("alice", "reviewers")

    sign_in(page, local_server.url, "alice", password)
    for event, choice in (("d1", "Agree: label 1"), ("d2", "Correct it: label 1")):
        page.click(f"a[href='/portal/tasks/review-00000000-0000-4000-8000-0000000000{event}']")
        page.get_by_text(choice).click()
        page.fill("crowd-text-area[name=reason1] textarea", f"reason for {event}")
        page.click("crowd-button button[type=submit]")
        page.wait_for_url("**/portal/tasks?done=*")
    assert page.locator("li.task").count() == 0

    capsys.readouterr()
    assert review_collect.main(["--flow-definition-arn", flow, "--input-uri", "s3://review-bucket/input/breast-cancer.csv",
                                "--output-uri", "s3://review-bucket/retraining", "--no-retrain", *connected]) == 0
    assert "2 reviewed events (1 corrected)" in capsys.readouterr().out
    table = list(csv.DictReader(io.StringIO(s3.read_bytes(
        "s3://review-bucket/retraining/breast-cancer-reviewed.csv").decode())))
    assert [row["label"] for row in table] == ["1", "1", ""]


def test_review_start_reads_what_a_real_endpoint_captured(local_server, connected, capsys):
    """The capture files come from the local endpoint itself (hosting's InvokeEndpoint with data capture)."""
    from hosting.deploy import CAPTURE_URI, csv_row, deploy, feature_rows

    deployed = deploy(local_server, name="bc-review")
    probabilities = []
    for values in feature_rows(40):
        body = deployed["runtime"].invoke_endpoint(EndpointName="bc-review", ContentType="text/csv",
                                                   Body=csv_row(values))["Body"].read()
        probabilities.append(float(body))
    uncertain = sum(0.1 < p < 0.9 for p in probabilities)
    assert 0 < uncertain < 40
    flow = make_flow(local_server.client("sagemaker"), "breast-cancer-review", PROJECT_TEMPLATE.read_text(),
                     "reviewers")
    capsys.readouterr()
    review_start.main(["--capture-uri", f"{CAPTURE_URI}/bc-review", "--flow-definition-arn", flow, *connected])
    assert f"40 captured predictions, {uncertain} with 0.1 < p < 0.9; started {uncertain} human loops" in (
        capsys.readouterr().out)
    a2i = local_server.client("sagemaker-a2i-runtime")
    listed = a2i.list_human_loops(FlowDefinitionArn=flow)["HumanLoopSummaries"]
    assert len(listed) == uncertain and all(s["HumanLoopName"].startswith("review-") for s in listed)


def test_review_tasks_show_the_class_names_of_the_approved_version_and_the_band_is_reported(
        local_server, connected, capsys):
    """Class names travel with the model package (CustomerMetadataProperties) into the reviewers' task; the
    predicted-benign cases outside the routing band are counted, for an asymmetric band too."""
    from sagelocal.review.rendering import ReadGrants, TemplateRenderer

    sagemaker = local_server.client("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName="breast-cancer-xgboost")
    sagemaker.create_model_package(
        ModelPackageGroupName="breast-cancer-xgboost", ModelApprovalStatus="Approved",
        CustomerMetadataProperties={"PositiveClass": "1", "Label0": "benign", "Label1": "malignant"},
        InferenceSpecification={"Containers": [{"Image": XGBOOST_IMAGE}],
                                "SupportedContentTypes": ["text/csv"],
                                "SupportedResponseMIMETypes": ["text/csv"]})
    s3 = LocalS3(local_server.settings.s3_root)
    lines = [capture_line(f"00000000-0000-4000-8000-00000000002{i}", p, f"bc-{i}")
             for i, p in enumerate([0.01, 0.04, 0.3, 0.7, 0.95])]
    s3.write_bytes(f"{CAPTURE}/2026/11/25/08/00-00-000-a.jsonl", ("\n".join(lines) + "\n").encode())
    flow = make_flow(sagemaker, "breast-cancer-review", PROJECT_TEMPLATE.read_text(), "reviewers")
    assert review_start.main(["--capture-uri", CAPTURE, "--flow-definition-arn", flow, "--lower", "0.02",
                              "--upper", "0.9", "--model-package-group", "breast-cancer-xgboost", *connected]) == 0
    out = capsys.readouterr().out
    assert "3 with 0.02 < p < 0.9; started 3 human loops" in out
    assert "1 predicted benign (p < 0.5) fall outside the band and are accepted without review" in out
    loop = local_server.app.state.backends["review"].loops.loop("review-00000000-0000-4000-8000-000000000023")
    task = json.loads(loop["input"])
    assert task["classes"] == {"positive": {"label": 1, "name": "malignant"},
                               "negative": {"label": 0, "name": "benign"}}
    assert task["rows"][0]["inferenceId"] == "bc-3"
    html = TemplateRenderer(ReadGrants(b"k" * 32)).render(PROJECT_TEMPLATE.read_text(), task)
    assert "a tumour is <strong>malignant (label 1)</strong>; label 0 is\n      <strong>benign</strong>" in html
    assert "Agree: label 1 (malignant)" in html and "Correct it: label 0 (benign)" in html and "case bc-3" in html
