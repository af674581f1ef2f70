"""Send the production slice to an endpoint, one InvokeEndpoint request per case (text/csv), as the walkthrough does.

The CSV is the data set of scripts/make_input_data.py (a header row with ``row_id``, ``split``, the features,
``label``, ``label_source``), read from an ``s3://`` URI or a local path. Only rows whose split is ``production``
are sent: the gold, train and validation rows are never traffic. Each request carries the case's row id as its
``InferenceId``, which the endpoint's data capture records as ``eventMetadata.inferenceId``, so a captured
prediction (and a reviewer's answer about it) maps back to its case. The features go in file order; the id,
split and label are never sent.

``--scale FEATURE=FACTOR`` sends a drifted copy instead: each named feature multiplied by its factor, the
inference id suffixed ``-shifted`` (e.g. a scanner recalibrated so that texture reads 60 % higher:
``--scale "mean texture=1.6" --scale "worst texture=1.6"``).
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import _aws

NOT_FEATURES = ("row_id", "split", "label", "label_source")
TRAFFIC_SPLIT = "production"
SHIFTED_SUFFIX = "-shifted"


def read_csv(s3, source: str) -> str:
    if source.startswith("s3://"):
        bucket, _, key = source[len("s3://"):].partition("/")
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    return Path(source).read_text()


def production_requests(text: str, scale: dict[str, float]) -> tuple[list[tuple[str, str]], int]:
    """``(inference id, CSV body)`` for each production row, and how many rows of other splits were left out."""
    reader = csv.DictReader(io.StringIO(text))
    if "row_id" not in (reader.fieldnames or []):
        raise SystemExit("send_traffic: the CSV needs a header with a row_id column (scripts/make_input_data.py)")
    features = [name for name in reader.fieldnames if name not in NOT_FEATURES]
    unknown = sorted(set(scale) - set(features))
    if unknown:
        raise SystemExit(f"send_traffic: --scale names no feature of the CSV: {', '.join(unknown)}")
    requests, left_out = [], 0
    for row in reader:
        if row.get("split", TRAFFIC_SPLIT) != TRAFFIC_SPLIT:
            left_out += 1
            continue
        values = [repr(float(row[name]) * scale[name]) if name in scale else row[name] for name in features]
        requests.append((row["row_id"] + (SHIFTED_SUFFIX if scale else ""), ",".join(values)))
    return requests, left_out


def invoke(runtime, endpoint: str, inference_id: str, body: str) -> str:
    response = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Accept="text/csv",
                                       InferenceId=inference_id, Body=body.encode())
    return response["Body"].read().decode().strip()


def parse_scale(text: str) -> tuple[str, float]:
    name, sep, factor = text.rpartition("=")
    try:
        return name, float(factor)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected FEATURE=FACTOR, got {text!r}") from None


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_csv", help="s3://bucket/key or a local path: the data set with its header")
    parser.add_argument("--endpoint-name", default="breast-cancer-xgboost")
    parser.add_argument("--max-rows", type=int, help="send at most this many rows")
    parser.add_argument("--scale", type=parse_scale, action="append", default=[], metavar="FEATURE=FACTOR",
                        help="send a drifted copy: this feature multiplied by FACTOR (repeatable)")
    _aws.add_connection_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    s3, runtime = _aws.clients(args, "s3", "sagemaker-runtime")
    requests, left_out = production_requests(read_csv(s3, args.data_csv), dict(args.scale))
    requests = requests[: args.max_rows]
    predictions = [float(invoke(runtime, args.endpoint_name, *request)) for request in requests]
    positive = sum(p >= 0.5 for p in predictions)
    shifted = f" ({', '.join(f'{name} x{factor:g}' for name, factor in args.scale)})" if args.scale else ""
    print(f"sent {len(requests)} production rows{shifted} to {args.endpoint_name}, InferenceId = row id: "
          f"{positive} predicted malignant (p >= 0.5), {len(requests) - positive} benign; "
          f"{left_out} rows of other splits not sent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
