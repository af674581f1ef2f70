"""Write the breast-cancer data set that scikit-learn ships (no download) as the pipeline's input CSV.

Usage: ``python scripts/make_input_data.py PATH`` writes PATH; ``--s3-root DIR s3://bucket/key`` writes the
object into a local S3 folder (DIR/bucket/key), the layout the offline runner reads. The CSV has a header row:
the 30 feature names, then ``label`` (scikit-learn's target: 0 malignant, 1 benign).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path, PurePosixPath

import pandas as pd
from sklearn.datasets import load_breast_cancer


def breast_cancer_frame() -> pd.DataFrame:
    data = load_breast_cancer()
    frame = pd.DataFrame(data.data, columns=data.feature_names)
    frame["label"] = data.target
    return frame


def local_path_for(s3_root: Path, s3_uri: str) -> Path:
    """DIR/bucket/key for ``s3://bucket/key``; refuses keys that would leave DIR."""
    if not s3_uri.startswith("s3://"):
        raise ValueError(f"expected an s3://bucket/key URI, got {s3_uri!r}")
    bucket, _, key = s3_uri[len("s3://"):].partition("/")
    parts = PurePosixPath(key).parts
    if not bucket or not key or key.endswith("/") or ".." in parts or bucket in (".", ".."):
        raise ValueError(f"{s3_uri!r} does not name an object (s3://bucket/key without '..')")
    return s3_root.joinpath(bucket, *parts)


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
    frame.to_csv(path, index=False)
    print(f"wrote {path} ({len(frame)} rows, {frame.shape[1]} columns, label last)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
