"""Send the test rows to an endpoint, one InvokeEndpoint request each (text/csv), as the walkthrough does.

The test CSV has the label first and no header (test.csv of the Preprocess step); the label is dropped
before sending. It is read from an ``s3://`` URI or a local path.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import _aws


def read_test_csv(s3, source: str) -> str:
    if source.startswith("s3://"):
        bucket, _, key = source[len("s3://"):].partition("/")
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    return Path(source).read_text()


def feature_rows(text: str) -> list[str]:
    """Each non-empty line without its first column (the label)."""
    return [line.split(",", 1)[1] for line in text.splitlines() if line.strip() and "," in line]


def invoke(runtime, endpoint: str, row: str) -> str:
    response = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Accept="text/csv",
                                       Body=row.encode())
    return response["Body"].read().decode().strip()


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("test_csv", help="s3://bucket/key or a local path; label first, no header")
    parser.add_argument("--endpoint-name", default="breast-cancer-xgboost")
    parser.add_argument("--max-rows", type=int, help="send at most this many rows")
    _aws.add_connection_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    s3, runtime = _aws.clients(args, "s3", "sagemaker-runtime")
    rows = feature_rows(read_test_csv(s3, args.test_csv))[: args.max_rows]
    predictions = [float(invoke(runtime, args.endpoint_name, row)) for row in rows]
    positive = sum(p >= 0.5 for p in predictions)
    print(f"sent {len(rows)} rows to {args.endpoint_name}: {positive} predicted positive (p >= 0.5), "
          f"{len(rows) - positive} negative")
    return 0


if __name__ == "__main__":
    sys.exit(main())
