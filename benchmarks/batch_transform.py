"""Batch transform at volume: 1,000,000 rows x 30 features (CSV, one object) through a transform job (MultiRecord,
6 MB requests, AssembleWith Line) with a 100-tree XGBoost model. Reference, measured in the same run on the same
rows: XGBoost's own ``inplace_predict`` on the array in memory (no CSV to parse, nothing to write).
Target: >= 100,000 rows/s for the transform job on 2 cores.
Usage: ``python benchmarks/batch_transform.py [--rows N]``.
"""
from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost as xgb

from sagelocal.config import Settings
from sagelocal.hosting import HostingBackend
from sagelocal.jobs.serving import make_model_archive
from sagelocal.jobs.transform import run_transform_job
from sagelocal.registry import RegistryBackend
from sagelocal.storage.s3 import LocalS3

TARGET_ROWS_PER_SECOND = 100_000
FEATURES = 30
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    rng = np.random.default_rng(0)
    features = rng.normal(size=(rows, FEATURES)).astype(np.float32)
    sample = features[:5000]
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 4},
                        xgb.DMatrix(sample, label=(sample[:, 0] + sample[:, 1] > 0)), num_boost_round=100)
    text = io.BytesIO()
    pd.DataFrame(features).to_csv(text, header=False, index=False, float_format="%.6g")

    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home))
        s3 = LocalS3(settings.s3_root)
        s3.write_bytes("s3://bench/model/model.tar.gz", make_model_archive(booster))
        s3.write_bytes("s3://bench/input/rows.csv", text.getvalue())
        HostingBackend(settings, RegistryBackend(settings)).create_model({
            "ModelName": "bench", "PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": "s3://bench/model/model.tar.gz"},
            "ExecutionRoleArn": "arn:aws:iam::000000000000:role/bench"})
        request = {"ModelName": "bench", "BatchStrategy": "MultiRecord", "MaxPayloadInMB": 6,
                   "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                                      "S3Uri": "s3://bench/input"}},
                                      "ContentType": "text/csv", "SplitType": "Line"},
                   "TransformOutput": {"S3OutputPath": "s3://bench/output", "AssembleWith": "Line"},
                   "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}
        started = time.perf_counter()
        description = run_transform_job(settings, "bench-transform", request)
        job_seconds = time.perf_counter() - started
        lines = s3.read_bytes("s3://bench/output/rows.csv.out").count(b"\n")
    assert description["TransformJobStatus"] == "Completed" and lines == rows, (description, lines)

    started = time.perf_counter()
    booster.inplace_predict(features)
    predict_seconds = time.perf_counter() - started

    rate = rows / job_seconds
    print(f"rows: {rows:,} x {FEATURES} features ({len(text.getvalue()) / 1e6:.0f} MB of CSV)")
    print(f"transform job (load model, read, 6 MB requests, write .out): {job_seconds:.2f} s = {rate:,.0f} rows/s")
    print(f"reference, XGBoost inplace_predict on the array: {predict_seconds:.2f} s = "
          f"{rows / predict_seconds:,.0f} rows/s")
    print(f"target >= {TARGET_ROWS_PER_SECOND:,} rows/s: {'met' if rate >= TARGET_ROWS_PER_SECOND else 'NOT met'}")


if __name__ == "__main__":
    main()
