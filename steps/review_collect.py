"""Collect step: turn completed human reviews into training data, retrain, and compare the model versions.

1. Reads the output.json of every Completed human loop of the flow definition (ListHumanLoops,
   DescribeHumanLoop's OutputS3Uri), as written by review_start.py's loops.
2. Labels each reviewed event: the model's label (p >= 0.5 → 1) when reviewers agree, the other label when
   they correct it; with several reviewers the majority wins and a tie leaves the event out.
3. Writes the pipeline's input format (header: the 30 feature names, then ``label``): the original input
   plus one row per reviewed event, each event once, and a provenance file beside it naming loop, workers,
   answers and label of every added row.
4. Starts the pipeline on it (StartPipelineExecution with InputDataUrl), waits, and prints the new model
   version's metrics beside the previous version's.

Only boto3 is needed; --endpoint-url points every call at a local sagelocal server.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from collections import Counter

from review_start import FEATURE_NAMES, add_connection_args, clients, read_object, split_s3_uri

LABEL = "label"
METRICS = ("auc", "accuracy", "precision", "recall", "f1")
FINISHED = {"Succeeded", "Failed", "Stopped"}


def completed_outputs(a2i, s3, flow_definition_arn: str):
    """``(loop name, output.json)`` of each Completed loop, oldest first."""
    for page in a2i.get_paginator("list_human_loops").paginate(FlowDefinitionArn=flow_definition_arn,
                                                                SortOrder="Ascending"):
        for summary in page["HumanLoopSummaries"]:
            if summary["HumanLoopStatus"] != "Completed":
                continue
            name = summary["HumanLoopName"]
            uri = a2i.describe_human_loop(HumanLoopName=name)["HumanLoopOutput"]["OutputS3Uri"]
            yield name, json.loads(read_object(s3, uri))


def reviewed_rows(outputs) -> tuple[list[dict], list[str]]:
    """One labelled row per reviewed event (first loop wins for a repeated event), and the events left out."""
    rows, seen, skipped = [], set(), []
    for loop, output in outputs:
        for index, row in enumerate(output["inputContent"].get("rows", []), start=1):
            if row["eventId"] in seen:
                continue
            predicted = 1 if row["probability"] >= 0.5 else 0
            answers = []
            for human in output["humanAnswers"]:
                verdict = human["answerContent"].get(f"verdict{index}", {})
                if verdict.get("agree") or verdict.get("correct"):
                    answers.append({"workerId": human["workerId"], "verdict": "agree" if verdict.get("agree")
                                    else "correct", "reason": human["answerContent"].get(f"reason{index}", ""),
                                    "label": predicted if verdict.get("agree") else 1 - predicted})
            votes = Counter(answer["label"] for answer in answers).most_common()
            if not votes or (len(votes) > 1 and votes[0][1] == votes[1][1]):
                skipped.append(row["eventId"])
                continue
            seen.add(row["eventId"])
            rows.append({"eventId": row["eventId"], "humanLoopName": loop, "probability": row["probability"],
                         "predictedLabel": predicted, "label": votes[0][0], "answers": answers,
                         "features": [feature["value"] for feature in row["features"]]})
    return rows, skipped


def augmented_csv(original: bytes, rows: list[dict]) -> bytes:
    """The original input CSV with the reviewed rows appended in its column order."""
    reader = csv.reader(io.StringIO(original.decode("utf-8")))
    header = next(reader)
    if LABEL not in header or len(header) != len(FEATURE_NAMES) + 1:
        raise SystemExit(f"review_collect: the input must have the {len(FEATURE_NAMES)} features and {LABEL!r}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(reader)
    for row in rows:
        values = dict(zip(FEATURE_NAMES, row["features"]), **{LABEL: row["label"]})
        writer.writerow([values[column] for column in header])
    return out.getvalue().encode()


def latest_version(sagemaker, group: str) -> dict | None:
    packages = sagemaker.list_model_packages(ModelPackageGroupName=group, SortBy="CreationTime",
                                             SortOrder="Descending", MaxResults=1)["ModelPackageSummaryList"]
    return packages[0] if packages else None


def version_metrics(sagemaker, s3, package: dict | None) -> dict:
    if package is None:
        return {}
    described = sagemaker.describe_model_package(ModelPackageName=package["ModelPackageArn"])
    uri = described.get("ModelMetrics", {}).get("ModelQuality", {}).get("Statistics", {}).get("S3Uri")
    if not uri:
        return {}
    report = json.loads(read_object(s3, uri))["binary_classification_metrics"]
    return {name: report[name]["value"] for name in METRICS if name in report}


def run_pipeline(sagemaker, pipeline: str, input_uri: str, poll_seconds: float, sleep=time.sleep) -> dict:
    arn = sagemaker.start_pipeline_execution(
        PipelineName=pipeline, PipelineParameters=[{"Name": "InputDataUrl", "Value": input_uri}])["PipelineExecutionArn"]
    print(f"review_collect: started {arn}")
    while True:
        described = sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)
        if described["PipelineExecutionStatus"] in FINISHED:
            return described
        sleep(poll_seconds)


def comparison(previous: dict, new: dict, previous_name: str, new_name: str) -> str:
    lines = [f"{'metric':<10} {previous_name:>22} {new_name:>22}"]
    for name in METRICS:
        before = f"{previous[name]:.4f}" if name in previous else "-"
        after = f"{new[name]:.4f}" if name in new else "-"
        lines.append(f"{name:<10} {before:>22} {after:>22}")
    return "\n".join(lines)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flow-definition-arn", required=True)
    parser.add_argument("--input-uri", required=True, help="s3:// URI of the pipeline's original input CSV")
    parser.add_argument("--output-uri", required=True, help="s3:// prefix for the augmented CSV and provenance")
    parser.add_argument("--pipeline-name", default="BreastCancerXGBoost")
    parser.add_argument("--model-package-group", default="breast-cancer-xgboost")
    parser.add_argument("--no-retrain", action="store_true", help="write the training data, start no pipeline")
    parser.add_argument("--poll-seconds", type=float, default=5.0)
    add_connection_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    a2i, s3, sagemaker = clients(args, "sagemaker-a2i-runtime", "s3", "sagemaker")
    rows, skipped = reviewed_rows(completed_outputs(a2i, s3, args.flow_definition_arn))
    corrected = sum(row["label"] != row["predictedLabel"] for row in rows)
    print(f"review_collect: {len(rows)} reviewed events ({corrected} corrected); "
          f"{len(skipped)} left out for tied votes")
    prefix = args.output_uri.rstrip("/")
    data_uri, provenance_uri = f"{prefix}/breast-cancer-reviewed.csv", f"{prefix}/provenance.json"
    for uri, body in ((data_uri, augmented_csv(read_object(s3, args.input_uri), rows)),
                      (provenance_uri, json.dumps({"input": args.input_uri, "rows": rows}, indent=2).encode())):
        bucket, key = split_s3_uri(uri)
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    print(f"review_collect: training data {data_uri}\nreview_collect: provenance {provenance_uri}")
    if args.no_retrain:
        return 0
    previous = latest_version(sagemaker, args.model_package_group)
    execution = run_pipeline(sagemaker, args.pipeline_name, data_uri, args.poll_seconds)
    if execution["PipelineExecutionStatus"] != "Succeeded":
        print(f"review_collect: the pipeline {execution['PipelineExecutionStatus']}: "
              f"{execution.get('FailureReason', '')}", file=sys.stderr)
        return 1
    new = latest_version(sagemaker, args.model_package_group)
    names = [f"version {p['ModelPackageVersion']}" if p else "(none)" for p in (previous, new)]
    print(comparison(version_metrics(sagemaker, s3, previous), version_metrics(sagemaker, s3, new), *names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
