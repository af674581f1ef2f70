"""Review step: send the endpoint's uncertain predictions to people, one A2I human loop per prediction.

Reads the data capture files (jsonl) under a prefix, keeps the predictions with LOWER < P(malignant) < UPPER
(the routing band: the walkthrough's 0.1 and 0.9 by default, both exclusive; it may be asymmetric) and starts a
human loop for each with boto3, against AWS or, with --endpoint-url, a local sagelocal server. Only boto3 is
needed. It prints how many predicted-benign cases fall outside the band: those are accepted unreviewed.

Each task carries the case's id (the capture's ``inferenceId``: send_traffic.py sends the row id as InferenceId)
and the class names of the model version that answered (the model package's CustomerMetadataProperties
``Label0``/``Label1``, read from the group's latest Approved version), which the task template shows. With
``--explain``, each task also carries why that version leaned the way it did: the features with the largest local
SHAP contributions to P(malignant) (``review_explain.py``; it needs numpy, xgboost and shap).

One loop per prediction, not the walkthrough's one loop for all rows: each answer then belongs to exactly
one captured event, reviewers can share the work, and retraining reads one label per loop. The loop name is
derived from the capture's eventId, so running the step again starts nothing twice.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import champion  # noqa: E402  (scripts/champion.py: the group's latest Approved version)
from _aws import add_connection_args, clients, split_s3_uri  # noqa: E402  (scripts/_aws.py)

NAME = re.compile(r"^[a-z0-9](-*[a-z0-9])*$")
NAME_PREFIX = "review-"
# scikit-learn's breast-cancer feature names, in the order the endpoint receives them.
FEATURE_NAMES = (
    "mean radius", "mean texture", "mean perimeter", "mean area", "mean smoothness", "mean compactness",
    "mean concavity", "mean concave points", "mean symmetry", "mean fractal dimension", "radius error",
    "texture error", "perimeter error", "area error", "smoothness error", "compactness error", "concavity error",
    "concave points error", "symmetry error", "fractal dimension error", "worst radius", "worst texture",
    "worst perimeter", "worst area", "worst smoothness", "worst compactness", "worst concavity",
    "worst concave points", "worst symmetry", "worst fractal dimension",
)


def capture_records(s3, prefix_uri: str):
    """Every capture record under the prefix, in key order (keys sort by time, as the endpoint names them).

    A line that is not a whole record (not UTF-8, not JSON, no captureData object: what a crash or a full disk
    leaves of a write) is skipped as the monitor skips it, and reported on stderr by file and line: its
    prediction is not reviewed, and the operator is told so."""
    bucket, prefix = split_s3_uri(prefix_uri)
    skipped = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if not item["Key"].endswith(".jsonl"):
                continue
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            for number, line in enumerate(body.split(b"\n"), start=1):
                if not line.strip():
                    continue
                record, problem = _whole_record(line)
                if record is None:
                    skipped += 1
                    print(f"review: skipped s3://{bucket}/{item['Key']}: line {number}: {problem}", file=sys.stderr)
                    continue
                yield record
    if skipped:
        print(f"review: skipped {skipped} capture line(s) that are not whole records; their predictions are not "
              "reviewed", file=sys.stderr)


def _whole_record(line: bytes) -> tuple[dict | None, str]:
    """``(record, "")``, or ``(None, why)`` for a line that is not a whole capture record."""
    try:
        record = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "not UTF-8 text"
    except ValueError as error:
        return None, f"invalid JSON ({getattr(error, 'msg', error)})"
    if not isinstance(record, dict) or not isinstance(record.get("captureData"), dict):
        return None, "no captureData object"
    return record, ""


def _payload(section: dict) -> str:
    data = section["data"]
    return base64.b64decode(data).decode("utf-8") if section.get("encoding") == "BASE64" else data


def prediction(record: dict) -> dict | None:
    """The reviewed row of a capture record: event, features, probability; None if it is not a CSV prediction."""
    capture = record.get("captureData", {})
    if "endpointInput" not in capture or "endpointOutput" not in capture:
        return None
    try:
        values = _payload(capture["endpointInput"]).strip().split(",")
        probability = float(_payload(capture["endpointOutput"]).strip().split(",")[0])
    except (ValueError, KeyError):
        return None
    names = FEATURE_NAMES if len(values) == len(FEATURE_NAMES) else [f"feature {i + 1}" for i in range(len(values))]
    metadata = record["eventMetadata"]
    row = {"eventId": metadata["eventId"], "inferenceTime": metadata.get("inferenceTime", ""),
           "probability": probability, "features": [{"name": n, "value": v} for n, v in zip(names, values)]}
    if metadata.get("inferenceId"):
        row["inferenceId"] = metadata["inferenceId"]
    return row


def class_names(sagemaker, group: str) -> dict:
    """``{"positive": {...}, "negative": {...}}`` from the group's latest Approved version's metadata."""
    described = champion.latest_approved(sagemaker, group)
    if described is None:
        raise SystemExit(f"review: no Approved model version in {group!r} to take the class names from")
    properties = described.get("CustomerMetadataProperties", {})
    if not {"Label0", "Label1"} <= set(properties):
        raise SystemExit(f"review: {described['ModelPackageArn']} has no Label0/Label1 metadata (class names)")
    return {"positive": {"label": 1, "name": properties["Label1"]},
            "negative": {"label": 0, "name": properties["Label0"]}}


def loop_name(event_id: str) -> str:
    """A valid human loop name (``^[a-z0-9](-*[a-z0-9])*$``, at most 63) that is the same for the same event."""
    name = NAME_PREFIX + re.sub(r"[^a-z0-9-]", "-", event_id.lower()).strip("-")
    if len(name) <= 63 and NAME.match(name):
        return name
    return NAME_PREFIX + hashlib.sha256(event_id.encode()).hexdigest()[:40]


def start_loops(a2i, flow_definition_arn: str, rows: list[dict], classes: dict | None = None
                ) -> tuple[list[str], list[str]]:
    """Start a loop per row unless one of that name exists; return ``(started, already there)``."""
    started, existing = [], []
    for row in rows:
        name = loop_name(row["eventId"])
        try:
            a2i.describe_human_loop(HumanLoopName=name)
            existing.append(name)
            continue
        except a2i.exceptions.ResourceNotFoundException:
            pass
        a2i.start_human_loop(HumanLoopName=name, FlowDefinitionArn=flow_definition_arn,
                             HumanLoopInput={"InputContent": json.dumps(
                                 {"rows": [row], **({"classes": classes} if classes else {})})})
        started.append(name)
    return started, existing


def add_explanations(s3, sagemaker, group: str, uncertain: list[dict], population: list[dict]) -> None:
    """Put each uncertain row's top SHAP features (of the group's latest Approved model) in its ``explanation``."""
    import review_explain  # beside this script; imports shap and xgboost only when asked

    package = champion.latest_approved(sagemaker, group)
    booster = review_explain.load_model(
        s3, *split_s3_uri(package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]))
    for row, explanation in zip(uncertain, review_explain.explain(booster, uncertain, population)):
        row["explanation"] = explanation
    print(f"review: explained {len(uncertain)} predictions by local SHAP values (version "
          f"{package['ModelPackageVersion']}, baseline P = {uncertain[0]['explanation']['baseline']:.3f})")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capture-uri", required=True, help="s3:// prefix of the endpoint's data capture files")
    parser.add_argument("--flow-definition-arn", required=True)
    parser.add_argument("--lower", type=float, default=0.1, help="review P(malignant) above this (exclusive)")
    parser.add_argument("--upper", type=float, default=0.9, help="review P(malignant) below this (exclusive)")
    parser.add_argument("--model-package-group", help="show reviewers the class names of this group's latest "
                        "Approved version (without it, the task says only 'label 1' and 'label 0')")
    parser.add_argument("--explain", action="store_true", help="show reviewers each case's top features by local "
                        "SHAP value on the group's latest Approved version (needs --model-package-group)")
    add_connection_args(parser)
    args = parser.parse_args(argv)
    if not 0 <= args.lower < args.upper <= 1:
        parser.error("need 0 <= --lower < --upper <= 1")
    if args.explain and not args.model_package_group:
        parser.error("--explain needs --model-package-group (the approved version whose model is explained)")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    s3, a2i, sagemaker = clients(args, "s3", "sagemaker-a2i-runtime", "sagemaker")
    classes = class_names(sagemaker, args.model_package_group) if args.model_package_group else None
    rows = [row for row in map(prediction, capture_records(s3, args.capture_uri)) if row is not None]
    uncertain = [row for row in rows if args.lower < row["probability"] < args.upper]
    if args.explain and uncertain:
        add_explanations(s3, sagemaker, args.model_package_group, uncertain, rows)
    started, existing = start_loops(a2i, args.flow_definition_arn, uncertain, classes)
    print(f"review: {len(rows)} captured predictions, {len(uncertain)} with {args.lower} < p < {args.upper}; "
          f"started {len(started)} human loops, {len(existing)} were already started")
    benign_unreviewed = sum(row["probability"] < 0.5 and not args.lower < row["probability"] < args.upper
                            for row in rows)
    print(f"review: {benign_unreviewed} predicted benign (p < 0.5) fall outside the band and are accepted "
          "without review")
    return 0


if __name__ == "__main__":
    sys.exit(main())
