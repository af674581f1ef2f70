"""Preprocess step: split the breast-cancer CSV as the walkthrough does, label first, no header.

Paths: under $SAGELOCAL_PROCESSING_ROOT (set by the offline runner) or /opt/ml/processing on SageMaker;
each can also be given as an argument.

Reads the one ``*.csv`` in input/data (a header row: the 30 scikit-learn feature names and ``label``) and writes
train/train.csv (455 rows), validation/validation.csv and test/test.csv (the same 114 rows: the walkthrough
validates on the test set) and baseline/baseline.csv. The baseline is train.csv itself, label included, as the
walkthrough baselines it: its column _c0 is the label, which lines up with captured inference data, where the
monitor puts the model's output in _c0 ahead of the 30 features.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

LABEL = "label"
FEATURE_COUNT = 30
TEST_SIZE = 0.2
RANDOM_STATE = 42


def processing_root() -> Path:
    return Path(os.environ.get("SAGELOCAL_PROCESSING_ROOT", "/opt/ml/processing"))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    root = processing_root()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input-dir", type=Path, default=root / "input" / "data")
    for name in ("train", "validation", "test", "baseline"):
        parser.add_argument(f"--{name}-dir", type=Path, default=root / name)
    return parser.parse_args(argv)


def read_input(input_dir: Path) -> pd.DataFrame:
    """The single CSV in ``input_dir``, checked to be the breast-cancer frame."""
    files = sorted(input_dir.glob("*.csv"))
    if len(files) != 1:
        raise SystemExit(f"preprocess: expected exactly one .csv file in {input_dir}, found {len(files)}")
    frame = pd.read_csv(files[0])
    if LABEL not in frame.columns:
        raise SystemExit(f"preprocess: {files[0]} has no {LABEL!r} column (it needs a header row)")
    if frame.shape[1] != FEATURE_COUNT + 1:
        raise SystemExit(f"preprocess: {files[0]} has {frame.shape[1]} columns, expected {FEATURE_COUNT} features"
                         f" and {LABEL!r}")
    return frame


def label_first(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[[LABEL] + [column for column in frame.columns if column != LABEL]]


def write_csv(frame: pd.DataFrame, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / name, header=False, index=False)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    frame = label_first(read_input(args.input_dir))
    train, test = train_test_split(frame, test_size=TEST_SIZE, random_state=RANDOM_STATE)
    write_csv(train, args.train_dir, "train.csv")
    write_csv(test, args.validation_dir, "validation.csv")
    write_csv(test, args.test_dir, "test.csv")
    write_csv(train, args.baseline_dir, "baseline.csv")
    print(f"preprocess: {len(train)} train rows, {len(test)} validation/test rows from {len(frame)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
