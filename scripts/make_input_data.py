"""Write the breast-cancer data set that scikit-learn ships (no download) as the pipeline's input CSV, split once.

Usage: ``python scripts/make_input_data.py PATH`` writes PATH; ``--s3-root DIR s3://bucket/key`` writes the
object into a local S3 folder (DIR/bucket/key), the layout the offline runner reads.

Columns (header row): ``row_id`` (``bc-0000`` .. ``bc-0568``, scikit-learn's row number: one stable id per case,
never a feature), ``split``, the 30 feature names, ``label`` and ``label_source``.

- **Labels: 1 = malignant, 0 = benign**, as the walkthrough says (212 of the 569 cases are malignant);
  scikit-learn's own target is the other way round (0 = malignant), so it is flipped here, once.
- **The split is made here, once**, stratified on the label with a fixed seed, and travels with every row:
  ``train`` (284) and ``validation`` (57) train the model; ``gold`` (114) is the frozen test set every model
  version is scored on and that is never trained on and never sent as traffic; ``production`` (114) is the only
  traffic. Production labels are withheld (empty, ``label_source`` empty) until reviewers give them.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path, PurePosixPath

import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

CLASS_NAMES = {0: "benign", 1: "malignant"}
SPLIT_SEED = 20261128
# Shares of the 569 cases, taken in this order (each stratified on the label).
GOLD_SHARE, PRODUCTION_SHARE, VALIDATION_SHARE = 0.2, 0.2, 0.1
ORIGINAL_SOURCE = "scikit-learn"


def breast_cancer_frame() -> pd.DataFrame:
    """Every case with its id, split, features and true label (1 = malignant); nothing withheld."""
    data = load_breast_cancer()
    frame = pd.DataFrame(data.data, columns=data.feature_names)
    frame.insert(0, "row_id", [f"bc-{index:04d}" for index in range(len(frame))])
    frame["label"] = 1 - data.target  # scikit-learn: 0 = malignant; here 1 = malignant
    frame.insert(1, "split", assign_splits(frame))
    frame["label_source"] = ORIGINAL_SOURCE
    return frame


def assign_splits(frame: pd.DataFrame) -> pd.Series:
    split = pd.Series("train", index=frame.index)
    rest = frame.index
    for name, share in (("gold", GOLD_SHARE), ("production", PRODUCTION_SHARE), ("validation", VALIDATION_SHARE)):
        size = round(share * len(frame))
        rest, taken = train_test_split(rest, test_size=size, stratify=frame.loc[rest, "label"],
                                       random_state=SPLIT_SEED)
        split[taken] = name
    return split


def withhold_production_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """The input as a team has it: production cases come without a label until someone reviews them."""
    withheld = frame.copy()
    withheld["label"] = withheld["label"].astype("Int64")
    production = withheld["split"] == "production"
    withheld.loc[production, "label"] = pd.NA
    withheld.loc[production, "label_source"] = ""
    return withheld


def local_path_for(s3_root: Path, s3_uri: str) -> Path:
    """DIR/bucket/key for ``s3://bucket/key``; refuses keys that would leave DIR."""
    if not s3_uri.startswith("s3://"):
        raise ValueError(f"expected an s3://bucket/key URI, got {s3_uri!r}")
    bucket, _, key = s3_uri[len("s3://"):].partition("/")
    parts = PurePosixPath(key).parts
    if not bucket or not key or key.endswith("/") or ".." in parts or bucket in (".", ".."):
        raise ValueError(f"{s3_uri!r} does not name an object (s3://bucket/key without '..')")
    return s3_root.joinpath(bucket, *parts)


def summary(frame: pd.DataFrame) -> str:
    malignant = int((frame["label"] == 1).sum())
    counts = frame["split"].value_counts()
    splits = ", ".join(f"{name} {counts.get(name, 0)}" for name in ("train", "validation", "gold", "production"))
    return (f"{len(frame)} cases, {malignant} of {len(frame)} labelled 1 ({CLASS_NAMES[1]}), "
            f"{len(frame) - malignant} labelled 0 ({CLASS_NAMES[0]}); split once: {splits}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", help="a file path, or an s3:// URI when --s3-root is given")
    parser.add_argument("--s3-root", type=Path, help="the local folder that stands for S3 (one folder per bucket)")
    args = parser.parse_args(argv)
    try:
        path = local_path_for(args.s3_root, args.target) if args.s3_root else Path(args.target)
    except ValueError as error:
        parser.error(str(error))
    if path.is_dir():
        parser.error(f"{path} is a folder; give a file name, e.g. {path / 'breast-cancer.csv'}")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = breast_cancer_frame()
    withhold_production_labels(frame).to_csv(path, index=False)
    print(f"wrote {path}: {summary(frame)} (production labels withheld until reviewed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
