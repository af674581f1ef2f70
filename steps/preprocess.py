"""Preprocess step: follow the data set's own split (made once, see scripts/make_input_data.py); never re-split.

Paths: under $SAGELOCAL_PROCESSING_ROOT (set by the offline runner) or /opt/ml/processing on SageMaker;
each can also be given as an argument.

Reads the one ``*.csv`` in input/data (header: ``row_id``, ``split``, the 30 features, ``label``,
``label_source``) and writes:

- train/train.csv: the ``train`` rows, plus the ``production`` rows that reviewers have labelled;
- validation/validation.csv: the ``validation`` rows;
  both label first, no header and no id, as the built-in XGBoost algorithm reads them (the id is not a feature);
- gold/gold.csv: the frozen ``gold`` rows with a header and their ``row_id``, for the evaluation step;
- manifest/rows.csv: ``row_id, split, used_as, label_source`` for every row written above, in file order, so
  that each training row can be traced back to its case and its label to where it came from.

A gold row is never trained on: the step stops if the splits overlap or a gold row lacks its label.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

ID, SPLIT, LABEL, SOURCE = "row_id", "split", "label", "label_source"
SPLITS = ("train", "validation", "gold", "production")
FEATURE_COUNT = 30


def processing_root() -> Path:
    return Path(os.environ.get("SAGELOCAL_PROCESSING_ROOT", "/opt/ml/processing"))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    root = processing_root()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input-dir", type=Path, default=root / "input" / "data")
    for name in ("train", "validation", "gold", "manifest"):
        parser.add_argument(f"--{name}-dir", type=Path, default=root / name)
    return parser.parse_args(argv)


def fail(message: str) -> None:
    raise SystemExit(f"preprocess: {message}")


def read_input(input_dir: Path) -> tuple[pd.DataFrame, list[str]]:
    """The single CSV in ``input_dir``, checked; returns it and its feature columns in file order."""
    files = sorted(input_dir.glob("*.csv"))
    if len(files) != 1:
        fail(f"expected exactly one .csv file in {input_dir}, found {len(files)}")
    frame = pd.read_csv(files[0], dtype={ID: str, SPLIT: str, SOURCE: str}, keep_default_na=False,
                        na_values={LABEL: [""]})
    missing = [column for column in (ID, SPLIT, LABEL, SOURCE) if column not in frame.columns]
    if missing:
        fail(f"{files[0]} has no {', '.join(map(repr, missing))} column (it needs the header of "
             "scripts/make_input_data.py)")
    features = [column for column in frame.columns if column not in (ID, SPLIT, LABEL, SOURCE)]
    if len(features) != FEATURE_COUNT:
        fail(f"{files[0]} has {len(features)} feature columns, expected {FEATURE_COUNT}")
    duplicated = frame[ID][frame[ID].duplicated()].unique().tolist()
    if duplicated:
        fail(f"row ids must be unique; repeated: {', '.join(duplicated[:5])}")
    unknown = sorted(set(frame[SPLIT]) - set(SPLITS))
    if unknown:
        fail(f"unknown split {unknown[0]!r} (expected one of {', '.join(SPLITS)})")
    unlabelled = frame[frame[LABEL].isna() & (frame[SPLIT] != "production")]
    if len(unlabelled):
        fail(f"{len(unlabelled)} {unlabelled[SPLIT].iloc[0]} rows have no label (first: {unlabelled[ID].iloc[0]})")
    if not frame[LABEL].dropna().isin((0, 1)).all():
        fail("labels must be 0 (benign) or 1 (malignant)")
    return frame, features


def partition(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The rows each output gets: reviewed production rows join training; gold stays apart."""
    reviewed = (frame[SPLIT] == "production") & frame[LABEL].notna()
    parts = {"train": frame[(frame[SPLIT] == "train") | reviewed], "validation": frame[frame[SPLIT] == "validation"],
             "gold": frame[frame[SPLIT] == "gold"]}
    trained_on = set(parts["train"][ID]) | set(parts["validation"][ID])
    if trained_on & set(parts["gold"][ID]):
        fail("a gold row would be trained on")
    for name, rows in parts.items():
        if rows[LABEL].nunique() < 2:
            fail(f"the {name} rows hold one class only")
    return parts


def write_csv(frame: pd.DataFrame, folder: Path, name: str, header: bool = False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / name, header=header, index=False)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    frame, features = read_input(args.input_dir)
    frame[LABEL] = frame[LABEL].astype("Int64")
    parts = partition(frame)
    for name in ("train", "validation"):
        write_csv(parts[name][[LABEL, *features]], getattr(args, f"{name}_dir"), f"{name}.csv")
    write_csv(parts["gold"][[ID, LABEL, *features]], args.gold_dir, "gold.csv", header=True)
    manifest = pd.concat([rows[[ID, SPLIT]].assign(used_as=name, **{SOURCE: rows[SOURCE]})
                          for name, rows in parts.items()])
    write_csv(manifest, args.manifest_dir, "rows.csv", header=True)
    reviewed = int((parts["train"][SPLIT] == "production").sum())
    print(f"preprocess: {len(parts['train'])} train rows ({reviewed} labelled by reviewers), "
          f"{len(parts['validation'])} validation, {len(parts['gold'])} gold (never trained on), "
          f"{int((frame[SPLIT] == 'production').sum())} production rows in {len(frame)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
