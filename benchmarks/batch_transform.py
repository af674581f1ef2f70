"""Batch transform at volume: 1,000,000 rows x 30 features (CSV, one object) through a transform job (MultiRecord,
6 MB requests, AssembleWith Line) with a 100-tree XGBoost model. Reference, measured in the same run on the same
rows: XGBoost's own ``inplace_predict`` on the array in memory (no CSV to parse, nothing to write).
Target: >= 100,000 rows/s for the transform job on 2 cores.
Usage: ``python benchmarks/batch_transform.py [--rows N]``.
"""
from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as arrow_csv
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


def cpu_seconds() -> float:
    """CPU time of this process's threads and of its finished children (the model loader): what the job costs
    whatever else the machine runs."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    rng = np.random.default_rng(0)
    features = rng.normal(size=(rows, FEATURES)).astype(np.float32)
    sample = features[:5000]
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 4},
                        xgb.DMatrix(sample, label=(sample[:, 0] + sample[:, 1] > 0)), num_boost_round=100)
    # Six significant digits, written by Arrow's CSV writer (pandas' to_csv takes minutes for a million rows).
    text = pa.BufferOutputStream()
    table = pa.table({f"f{i}": np.float32(np.round(features[:, i], 5)) for i in range(FEATURES)})
    arrow_csv.write_csv(table, text, arrow_csv.WriteOptions(include_header=False))
    text = text.getvalue().to_pybytes()

    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home))
        s3 = LocalS3(settings.s3_root)
        s3.write_bytes("s3://bench/model/model.tar.gz", make_model_archive(booster))
        s3.write_bytes("s3://bench/input/rows.csv", text)
        HostingBackend(settings, RegistryBackend(settings)).create_model({
            "ModelName": "bench", "PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": "s3://bench/model/model.tar.gz"},
            "ExecutionRoleArn": "arn:aws:iam::000000000000:role/bench"})
        request = {"ModelName": "bench", "BatchStrategy": "MultiRecord", "MaxPayloadInMB": 6,
                   "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                                      "S3Uri": "s3://bench/input"}},
                                      "ContentType": "text/csv", "SplitType": "Line"},
                   "TransformOutput": {"S3OutputPath": "s3://bench/output", "AssembleWith": "Line"},
                   "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}
        started, cpu_started = time.perf_counter(), cpu_seconds()
        description = run_transform_job(settings, "bench-transform", request)
        job_seconds, job_cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
        lines = s3.read_bytes("s3://bench/output/rows.csv.out").count(b"\n")
    assert description["TransformJobStatus"] == "Completed" and lines == rows, (description, lines)

    started, cpu_started = time.perf_counter(), cpu_seconds()
    booster.inplace_predict(features)
    predict_seconds, predict_cpu = time.perf_counter() - started, cpu_seconds() - cpu_started

    rate = rows / job_seconds
    print(f"rows: {rows:,} x {FEATURES} features ({len(text) / 1e6:.0f} MB of CSV)")
    print(f"transform job (load model, read, 6 MB requests, write .out): {job_seconds:.2f} s = {rate:,.0f} rows/s "
          f"(CPU {job_cpu:.2f} s)")
    print(f"reference, XGBoost inplace_predict on the array: {predict_seconds:.2f} s = "
          f"{rows / predict_seconds:,.0f} rows/s (CPU {predict_cpu:.2f} s)")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"target >= {TARGET_ROWS_PER_SECOND:,} rows/s: {'met' if rate >= TARGET_ROWS_PER_SECOND else 'NOT met'}")


if __name__ == "__main__":
    main()
