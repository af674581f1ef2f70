"""Why the model leaned the way it did: review_start.py --explain puts each case's top local SHAP features (of the
group's approved model) in its task, and the reviewers' task page shows them, in Debian's Chromium."""
from __future__ import annotations

import json
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
import xgboost

from sagelocal.storage import LocalS3

from .conftest import PROJECT_TEMPLATE, make_flow, sign_in

STEPS = Path(__file__).resolve().parents[2] / "steps"
sys.path.insert(0, str(STEPS))

import review_explain  # noqa: E402
import review_start  # noqa: E402

BUCKET = "review-bucket"
GROUP = "breast-cancer-xgboost"
MODEL_URI = f"s3://{BUCKET}/model/model.tar.gz"
CAPTURE = f"s3://{BUCKET}/datacapture/breast-cancer/AllTraffic"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.2-0"


def model(tmp_path: Path) -> tuple[xgboost.Booster, np.ndarray]:
    """A booster on 30 features where 'mean radius' (0) and 'worst texture' (21) decide, and its training rows."""
    rng = np.random.default_rng(7)
    rows = rng.normal(size=(300, 30))
    labels = (rows[:, 0] + 0.5 * rows[:, 21] > 0).astype(int)
    booster = xgboost.train({"objective": "binary:logistic", "max_depth": 3, "seed": 0},
                            xgboost.DMatrix(rows, label=labels), num_boost_round=30)
    booster.save_model(str(tmp_path / "xgboost-model.ubj"))
    with tarfile.open(tmp_path / "model.tar.gz", "w:gz") as archive:
        archive.add(tmp_path / "xgboost-model.ubj", arcname="xgboost-model")
    return booster, rows


def as_row(event_id: str, values: np.ndarray, probability: float) -> dict:
    return {"eventId": event_id, "probability": probability,
            "features": [{"name": name, "value": repr(float(v))} for name, v in zip(review_start.FEATURE_NAMES, values)]}


def test_local_shap_values_sum_to_the_prediction_minus_the_baseline_and_rank_the_deciding_features(tmp_path):
    booster, rows = model(tmp_path)
    population = [as_row(f"e{i}", row, 0.5) for i, row in enumerate(rows[:100])]
    cases = population[:4]
    explained = review_explain.explain(booster, cases, population, top=30)
    predicted = booster.predict(xgboost.DMatrix(rows[:4]))
    for case, explanation, probability in zip(cases, explained, predicted):
        contributions = [feature["contribution"] for feature in explanation["features"]]
        assert sum(contributions) == pytest.approx(probability - explanation["baseline"], abs=1e-6)  # efficiency
        assert [abs(c) for c in contributions] == sorted((abs(c) for c in contributions), reverse=True)
        assert explanation["features"][0]["name"] in ("mean radius", "worst texture")
        values = {feature["name"]: feature["value"] for feature in case["features"]}
        assert all(feature["value"] == values[feature["name"]] for feature in explanation["features"])


@pytest.fixture
def connected(local_server, monkeypatch):
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(local_server.settings.home / "credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return ["--endpoint-url", local_server.url, "--profile", "sagelocal", "--region", "us-east-1"]


def approve_version(local_server, archive: Path) -> None:
    LocalS3(local_server.settings.s3_root).write_bytes(MODEL_URI, archive.read_bytes())
    sagemaker = local_server.client("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=GROUP, ModelApprovalStatus="Approved",
        CustomerMetadataProperties={"PositiveClass": "1", "Label0": "benign", "Label1": "malignant"},
        InferenceSpecification={"Containers": [{"Image": IMAGE, "ModelDataUrl": MODEL_URI}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
    )["ModelPackageArn"]
    assert arn


def capture_file(rows: np.ndarray, probabilities: np.ndarray) -> bytes:
    lines = [json.dumps({"captureData": {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "encoding": "CSV",
                          "data": ",".join(repr(float(v)) for v in row)},
        "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "encoding": "CSV",
                           "data": repr(float(p))}},
        "eventMetadata": {"eventId": f"00000000-0000-4000-8000-{i:012d}", "inferenceId": f"bc-{i:04d}",
                          "inferenceTime": "2026-11-28T08:00:00Z"}, "eventVersion": "0"})
        for i, (row, p) in enumerate(zip(rows, probabilities))]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def explained_review(local_server, connected, tmp_path, capsys):
    """review_start.py --explain over 60 captured cases; returns (flow ARN, the uncertain cases' loop names)."""
    booster, rows = model(tmp_path)
    approve_version(local_server, tmp_path / "model.tar.gz")
    traffic = rows[:60]
    probabilities = booster.predict(xgboost.DMatrix(traffic))
    LocalS3(local_server.settings.s3_root).write_bytes(f"{CAPTURE}/2026/11/28/08/00-00-000-a.jsonl",
                                                       capture_file(traffic, probabilities))
    flow = make_flow(local_server.client("sagemaker"), "breast-cancer-review", PROJECT_TEMPLATE.read_text(),
                     "reviewers")
    assert review_start.main(["--capture-uri", CAPTURE, "--flow-definition-arn", flow, "--model-package-group",
                              GROUP, "--explain", *connected]) == 0
    uncertain = [f"review-00000000-0000-4000-8000-{i:012d}" for i, p in enumerate(probabilities) if 0.1 < p < 0.9]
    assert uncertain
    assert f"review: explained {len(uncertain)} predictions by local SHAP values (version 1" in capsys.readouterr().out
    return flow, uncertain


def test_review_start_explain_puts_each_cases_top_features_in_its_task(local_server, explained_review):
    _, uncertain = explained_review
    loops = local_server.app.state.backends["review"].loops
    for name in uncertain:
        [row] = json.loads(loops.loop(name)["input"])["rows"]
        features = row["explanation"]["features"]
        assert len(features) == review_explain.TOP_FEATURES
        assert {"mean radius", "worst texture"} & {feature["name"] for feature in features[:2]}
        assert 0 < row["explanation"]["baseline"] < 1


def test_explain_needs_the_group_whose_model_it_explains(connected, capsys):
    with pytest.raises(SystemExit):
        review_start.main(["--capture-uri", CAPTURE, "--flow-definition-arn", "arn:flow", "--explain", *connected])
    assert "--explain needs --model-package-group" in capsys.readouterr().err


def test_the_task_page_shows_why_the_model_leaned_that_way(local_server, explained_review, page):
    _, uncertain = explained_review
    loops = local_server.app.state.backends["review"].loops
    [row] = json.loads(loops.loop(uncertain[0])["input"])["rows"]
    password = local_server.app.state.backends["review"].reviewers.add("alice", "reviewers")
    sign_in(page, local_server.url, "alice", password)
    page.goto(f"{local_server.url}/portal/tasks/{uncertain[0]}")
    section = page.locator(".explanation")
    assert section.locator("h3").inner_text() == "Why the model leaned this way"
    assert f"from {round(row['explanation']['baseline'], 3)} for an average case" in section.inner_text()
    shown = section.locator("tr.shap-feature")
    assert shown.count() == review_explain.TOP_FEATURES
    for index, feature in enumerate(row["explanation"]["features"]):
        cells = shown.nth(index).locator("td").all_inner_texts()
        direction = "malignant" if feature["contribution"] > 0 else "benign"
        sign = "+" if feature["contribution"] > 0 else ""
        assert cells == [feature["name"], feature["value"],
                         f"{sign}{round(feature['contribution'], 3)} toward {direction}"]
