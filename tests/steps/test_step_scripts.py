"""The data set (split once, 1 = malignant), the preprocess step that follows its split, and the data-quality
baseline script of the processing mode."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from steps_support import ROOT, run

FEATURES = 30


def data_set(processed: Path) -> pd.DataFrame:
    return pd.read_csv(processed / "input" / "data" / "breast-cancer.csv", dtype={"row_id": str})


def test_labels_say_1_is_malignant_and_the_split_is_made_once(processed):
    made = run("scripts/make_input_data.py", processed, str(processed / "again.csv"))
    assert "569 cases, 212 of 569 labelled 1 (malignant), 357 labelled 0 (benign)" in made.stdout
    assert (processed / "again.csv").read_bytes() == (processed / "input" / "data" / "breast-cancer.csv").read_bytes()
    frame = data_set(processed)
    assert frame.shape == (569, 2 + FEATURES + 2)
    assert list(frame.columns[:3]) == ["row_id", "split", "mean radius"] and list(frame.columns[-2:]) == [
        "label", "label_source"]
    assert frame["row_id"].is_unique and frame["row_id"].iloc[0] == "bc-0000"
    assert frame["split"].value_counts().to_dict() == {"train": 284, "gold": 114, "production": 114, "validation": 57}
    # The walkthrough's first case (mean radius 17.99) is malignant; scikit-learn calls it 0.
    assert frame.loc[0, "mean radius"] == 17.99 and frame.loc[0, "label"] == 1
    production = frame[frame["split"] == "production"]
    assert production["label"].isna().all(), "production labels are withheld until reviewed"
    labelled = frame[frame["split"] != "production"]
    assert labelled["label"].isin((0, 1)).all() and (labelled["label_source"] == "scikit-learn").all()


def manifest(processed: Path) -> pd.DataFrame:
    return pd.read_csv(processed / "manifest" / "rows.csv", dtype=str)


def test_no_gold_row_is_ever_trained_on(processed):
    rows = manifest(processed)
    gold = set(data_set(processed).query("split == 'gold'")["row_id"])
    trained = set(rows[rows["used_as"].isin(("train", "validation"))]["row_id"])
    assert len(gold) == 114 and not gold & trained
    assert set(rows[rows["used_as"] == "gold"]["row_id"]) == gold
    assert set(pd.read_csv(processed / "gold" / "gold.csv", dtype={"row_id": str})["row_id"]) == gold


def test_training_rows_trace_back_to_their_cases_and_carry_no_id(processed):
    frame = data_set(processed).set_index("row_id")
    train = pd.read_csv(processed / "train" / "train.csv", header=None)
    assert train.shape == (284, 1 + FEATURES), "label first, then the 30 features: the id is not a feature"
    ids = manifest(processed).query("used_as == 'train'")["row_id"]
    expected = frame.loc[ids, ["label", *frame.columns[1:1 + FEATURES]]].to_numpy(dtype=float)
    assert train.to_numpy() == pytest.approx(expected)
    assert read_first_line(processed / "validation" / "validation.csv")[0] in ("0", "1")
    assert pd.read_csv(processed / "validation" / "validation.csv", header=None).shape == (57, 1 + FEATURES)


def read_first_line(path: Path) -> list[str]:
    return path.read_text().splitlines()[0].split(",")


def test_reviewed_production_rows_join_training_and_unreviewed_ones_do_not(processed, tmp_path):
    frame = data_set(processed)
    reviewed = frame.index[frame["split"] == "production"][:3]
    frame.loc[reviewed, "label"] = 1
    frame.loc[reviewed, "label_source"] = "review:review-abc"
    (tmp_path / "input" / "data").mkdir(parents=True)
    frame.astype({"label": "Int64"}).to_csv(tmp_path / "input" / "data" / "data.csv", index=False)
    result = run("steps/preprocess.py", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "287 train rows (3 labelled by reviewers)" in result.stdout
    rows = manifest(tmp_path).query("used_as == 'train'")
    assert set(rows.query("split == 'production'")["row_id"]) == set(frame.loc[reviewed, "row_id"])
    assert set(rows.query("split == 'production'")["label_source"]) == {"review:review-abc"}


@pytest.mark.parametrize("change, message", [
    (lambda f: f.assign(row_id=f["row_id"].where(f.index != 5, "bc-0000")),
     "row ids must be unique; repeated: bc-0000"),
    (lambda f: f.assign(label=f["label"].where(f["split"] != "gold")), "114 gold rows have no label"),
    (lambda f: f.assign(split=f["split"].replace("validation", "holdout")), "unknown split 'holdout'"),
    (lambda f: f.drop(columns="row_id"), "has no 'row_id' column"),
])
def test_bad_data_sets_are_refused_with_the_reason(processed, tmp_path, change, message):
    (tmp_path / "input" / "data").mkdir(parents=True)
    change(data_set(processed)).astype({"label": "Int64"}, errors="ignore").to_csv(
        tmp_path / "input" / "data" / "data.csv", index=False)
    result = run("steps/preprocess.py", tmp_path)
    assert result.returncode != 0 and message in result.stderr
    assert not (tmp_path / "train").exists(), "nothing is written for a refused data set"


def test_preprocess_names_a_missing_input(tmp_path):
    (tmp_path / "input" / "data").mkdir(parents=True)
    result = run("steps/preprocess.py", tmp_path)
    assert result.returncode != 0
    assert f"expected exactly one .csv file in {tmp_path / 'input' / 'data'}, found 0" in result.stderr


def test_paths_can_be_given_as_arguments(processed, tmp_path):
    result = run("steps/preprocess.py", tmp_path / "unused", "--input-dir", str(processed / "input" / "data"),
                 "--train-dir", str(tmp_path / "t"), "--validation-dir", str(tmp_path / "v"),
                 "--gold-dir", str(tmp_path / "g"), "--manifest-dir", str(tmp_path / "m"))
    assert result.returncode == 0, result.stderr
    assert pd.read_csv(tmp_path / "t" / "train.csv", header=None).shape == (284, 31)
    assert not (tmp_path / "unused").exists()


def run_baseline(dataset: Path, output: Path) -> subprocess.CompletedProcess:
    """The baseline script in the processing data-quality mode's job environment, paths made local; the
    library folder is the repository root, which holds the sagelocal package as the job's download does."""
    env = {"dataset_format": '{"csv": {"header": false}}', "dataset_source": str(dataset),
           "output_path": str(output / "data-quality"), "publish_cloudwatch_metrics": "Disabled",
           "output_message_file": str(output / "message")}
    return subprocess.run([sys.executable, str(ROOT / "steps" / "data_quality_baseline.py"), "--library", str(ROOT)],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def test_data_quality_baseline_runs_the_library_analyzer_on_the_baseline(evaluated, tmp_path):
    result = run_baseline(evaluated / "baseline", tmp_path)
    assert result.returncode == 0, result.stderr
    statistics = json.loads((tmp_path / "data-quality" / "statistics.json").read_text())
    assert statistics["dataset"]["item_count"] == 284
    assert [feature["name"] for feature in statistics["features"]] == [f"_c{i}" for i in range(31)]
    # _c0 is P(malignant), as in the capture, not the label: the capture's values are fractional too.
    assert statistics["features"][0]["inferred_type"] == "Fractional"
    constraints = json.loads((tmp_path / "data-quality" / "constraints.json").read_text())
    assert [feature["name"] for feature in constraints["features"]] == [f"_c{i}" for i in range(31)]


def test_data_quality_baseline_fails_with_the_analyzer_reason(tmp_path):
    (tmp_path / "baseline").mkdir()
    result = run_baseline(tmp_path / "baseline", tmp_path)
    assert result.returncode == 1
    assert (tmp_path / "message").read_text().endswith("Job inputs had no data")
