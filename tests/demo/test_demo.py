"""``make demo`` end to end, as CI runs it (no terminal: the scripted reviewer answers in the portal)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]


VERDICT = re.compile(r"champion version 1 vs challenger (version 2|\(not registered\)) on the same 114 gold rows "
                     r"\(gold set [0-9a-f]{12}\)")


def test_the_demo_closes_the_loop(tmp_path):
    home = tmp_path / "home"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--home", str(home),
                           "--port", "0"], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "569 cases, 212 of 569 labelled 1 (malignant), 357 labelled 0 (benign)" in out
    assert "execution Succeeded" in out
    assert "model-package/breast-cancer-xgboost/1 (PendingManualApproval)" in out
    assert "label 1 = malignant, label 0 = benign (CustomerMetadataProperties)" in out
    assert "endpoint breast-cancer-xgboost: InService" in out
    assert "sent 114 production rows to breast-cancer-xgboost, InferenceId = row id" in out
    assert "114 inferences, 114 production rows by inferenceId, 0 gold rows" in out
    assert out.count("refused a malformed row") == 2

    normal, drifted = out.split("== 5. Drift")[0].split("== 3. Monitor")[1], out.split("== 5. Drift")[1]
    assert "normal traffic: Completed\n" in normal and "violations: -" in normal and "\n    violation " not in normal
    assert "normal + drifted traffic: CompletedWithViolations" in drifted
    for column in ("_c2", "_c22"):  # mean texture and worst texture, scaled by 1.6
        assert f"violation baseline_drift_check on {column}: Baseline drift distance" in drifted
        assert f"metric feature_baseline_drift_{column} = " in drifted
    assert "data_type_check" not in out
    for report in re.findall(r"HTML report: (\S+)", out):
        assert Path(report).read_text().startswith("<!DOCTYPE html>")

    reviewed = int(re.search(r"with 0.1 < p < 0.9; started (\d+) human loops", out).group(1))
    assert reviewed > 0 and f"answered {reviewed} tasks" in out
    assert re.search(r"\d+ predicted benign \(p < 0.5\) fall outside the band and are accepted without review", out)
    assert f"{reviewed} labels replaced by row id, 0 events without a row id of the data set" in out

    verdict = out[out.index("== 6. Retrain"):]
    assert VERDICT.search(verdict), verdict
    for metric in ("auc", "malignant sensitivity", "specificity"):
        assert re.search(rf"\n\s+{metric}\s+0\.\d{{4}}\s+0\.\d{{4}}\n", verdict), metric
    assert re.search(r"AUC difference \(challenger - champion\) [+-]0\.\d{4}, 95% CI \[[+-]0\.\d{4}, [+-]0\.\d{4}\]",
                     verdict)
    assert re.search(r"decision: (register|refuse) the challenger: ", verdict)
    assert re.search(r"drift: the new training data checked against s3://\S+/constraints\.json "
                     r"\(SkipDataQualityCheck false\)", verdict)
    assert re.search(r"drift: version 2 records DriftCheckBaselines ModelDataQuality: s3://\S+", verdict) or \
        "challenger (not registered)" in verdict
    assert_reviews_replaced_labels_and_became_ground_truth(home, out, reviewed)
    assert_no_gold_row_was_trained_on_or_sent(home)
    assert_model_quality_ran_on_the_reviewers_labels(out[out.index("== 7. Model quality"):], reviewed)


def assert_no_gold_row_was_trained_on_or_sent(home: Path) -> None:
    """By row id, in what the jobs and the endpoint really wrote: both trainings' manifests and every capture."""
    s3 = home / "s3"
    data = pd.read_csv(next(s3.glob("*/BreastCancerXGBoost/input/breast-cancer.csv")), dtype={"row_id": str})
    gold, production = (set(data.loc[data["split"] == split, "row_id"]) for split in ("gold", "production"))
    manifests = sorted(s3.glob("*/BreastCancerXGBoost/*/manifest/rows.csv"))
    assert len(manifests) == 2, manifests  # the first training and the retraining
    for manifest in manifests:
        rows = pd.read_csv(manifest, dtype=str)
        assert not gold & set(rows.loc[rows["used_as"].isin(("train", "validation")), "row_id"]), manifest
        assert set(rows.loc[rows["used_as"] == "gold", "row_id"]) == gold
    sent = [json.loads(line)["eventMetadata"]["inferenceId"]
            for path in s3.glob("*/BreastCancerXGBoost/datacapture/**/*.jsonl") for line in path.open()]
    assert len(sent) == 2 * len(production), "the production slice, then its drifted copy"
    assert {inference_id.removesuffix("-shifted") for inference_id in sent} == production


def assert_model_quality_ran_on_the_reviewers_labels(section: str, reviewed: int) -> None:
    assert "model-quality-baseline job breast-cancer-xgboost-model-quality-baseline-" in section
    assert "monitoring-schedule/breast-cancer-model-quality (one execution now" in section
    status = re.search(r"execution \S+/model-quality-monitoring-\S+: (\w+)\n", section).group(1)
    assert status in ("Completed", "CompletedWithViolations"), section
    assert f"{reviewed} captured inferences with ground truth; auc 0." in section
    if status == "CompletedWithViolations":
        assert "\n    violation " in section
        assert re.search(r"On the \d+ gold rows in the same band the model has accuracy 0\.\d{4}", section)


def assert_reviews_replaced_labels_and_became_ground_truth(home: Path, out: str, reviewed: int) -> None:
    s3 = home / "s3"
    data = pd.read_csv(s3 / re.search(r"review_collect: data set s3://(\S+)", out).group(1),
                       dtype={"row_id": str, "label": "Int64"})
    assert len(data) == 569 and data["row_id"].is_unique, "reviewed labels replace; nothing is appended"
    relabelled = data[data["label_source"].str.startswith("review:", na=False)]
    assert len(relabelled) == reviewed and (relabelled["split"] == "production").all()
    truth = (s3 / re.search(r"review_collect: ground truth s3://(\S+)", out).group(1)).read_text().splitlines()
    records = [json.loads(line) for line in truth]
    assert len(records) == reviewed
    labels = dict(zip(relabelled["row_id"], relabelled["label"]))
    for record in records:
        assert set(record) == {"groundTruthData", "eventMetadata", "eventVersion"} and record["eventVersion"] == "0"
        assert record["groundTruthData"] == {"data": str(labels[record["eventMetadata"]["eventId"]]),
                                             "encoding": "CSV"}


def test_the_demo_waits_for_people_and_make_retrain_collects_their_answers(tmp_path):
    """With a person reviewing: the demo serves the portal until stopped; the second command retrains."""
    import httpx

    home = tmp_path / "home"
    demo = subprocess.Popen([sys.executable, "-u", str(ROOT / "scripts" / "demo.py"), "--home", str(home),
                             "--port", "0", "--review", "browser"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in demo.stdout:
            lines.append(line)
            if "run `make retrain`" in line:
                break
        portal = re.search(r"Open (\S+)/portal and sign in as alice with the password (\S+)\.", "".join(lines))
        assert portal, "".join(lines)
        url, password = portal.groups()
        client = httpx.Client(base_url=url)
        csrf = re.compile(r'name="csrf" value="([^"]+)"')
        form = client.get("/portal/sign-in")
        client.post("/portal/sign-in", data={"username": "alice", "password": password,
                                             "csrf": csrf.search(form.text).group(1)})
        form = client.get("/portal/password")  # the one-time password is spent: choose one
        client.post("/portal/password", data={"password": "Chosen-passw0rd", "confirm": "Chosen-passw0rd",
                                              "csrf": csrf.search(form.text).group(1)})
        loop = re.search(r'href="/portal/tasks/([a-z0-9-]+)"', client.get("/portal/tasks").text).group(1)
        page = client.get(f"/portal/tasks/{loop}").text
        answer = '{"verdict1": {"agree": false, "correct": true}, "reason1": "looks benign to me"}'
        assert client.post(f"/portal/tasks/{loop}/submit", data={"csrf": csrf.search(page).group(1),
                                                                 "answerContent": answer}).status_code == 303
        retrain = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--retrain", "--home", str(home)],
                                 capture_output=True, text=True, timeout=300)
        assert retrain.returncode == 0, retrain.stdout + retrain.stderr
        assert "1 reviewed events (1 corrected)" in retrain.stdout
        assert "1 labels replaced by row id" in retrain.stdout
        assert VERDICT.search(retrain.stdout), retrain.stdout
        assert demo.poll() is None, "the demo keeps serving until it is stopped"
    finally:
        demo.terminate()
        demo.wait(timeout=20)


def test_make_retrain_without_a_running_demo_says_what_to_do(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--retrain", "--home", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "run `make demo` first" in done.stderr
