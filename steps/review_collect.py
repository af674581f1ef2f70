"""Collect step: reviewers' labels into the data set and Model Monitor's ground truth, then retrain and judge.

1. Reads the output.json of every Completed human loop of the flow definition (ListHumanLoops,
   DescribeHumanLoop's OutputS3Uri), as written by review_start.py's loops.
2. Labels each reviewed event: the model's label (p >= 0.5 → 1, malignant) when reviewers agree, the other label
   when they correct it; with several reviewers the majority wins and a tie leaves the event out.
3. **Replaces** the label of the reviewed case in the data set, found by its row id (the capture's
   ``inferenceId``): never a second row for the same case. Its ``label_source`` becomes ``review:<loop>``, and a
   provenance file beside the new data set names loop, workers, answers and label of every changed row. A gold
   row is never relabelled (it is never traffic, so a review naming one is refused); an event without a row id
   of the data set is left out and counted.
4. Writes Model Monitor ground-truth records (``groundTruthData``, ``eventMetadata.eventId`` = the capture's
   inferenceId, or its eventId when it has none, ``eventVersion``) at
   ``<ground truth URI>/yyyy/mm/dd/hh/<name>.jsonl`` (the hour they are written, UTC), where a ModelQuality
   monitoring schedule merges them with the capture.
5. Starts the pipeline on the new data set with the group's latest Approved version as the champion (see
   scripts/champion.py), waits, and prints whether the new data was checked for drift against the champion's
   registered baseline (SkipDataQualityCheck) and the DriftCheckBaselines the new version records, then the
   evaluation step's verdict: champion vs challenger on the same gold rows, each metric, the CI of the AUC
   difference, McNemar, the decision.

Only boto3 is needed; --endpoint-url points every call at a local sagelocal server.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import champion  # noqa: E402  (scripts/champion.py, shared with run_pipeline_on_aws.py)
from _aws import add_connection_args, clients, read_object, split_s3_uri  # noqa: E402  (scripts/_aws.py)
from run_pipeline_on_aws import DeployError, execution_parameters  # noqa: E402

ID, SPLIT, LABEL, SOURCE = "row_id", "split", "label", "label_source"
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
            rows.append({"eventId": row["eventId"], "inferenceId": row.get("inferenceId"), "humanLoopName": loop,
                         "probability": row["probability"], "predictedLabel": predicted, "label": votes[0][0],
                         "answers": answers})
    return rows, skipped


def relabelled_dataset(original: bytes, rows: list[dict]) -> tuple[bytes, list[dict], list[dict]]:
    """The data set with each reviewed case's label replaced in place; returns it, the changes and the rows
    left out (no row id of the data set). Refuses to relabel a gold row."""
    reader = csv.DictReader(io.StringIO(original.decode("utf-8")))
    if not {ID, SPLIT, LABEL, SOURCE} <= set(reader.fieldnames or []):
        raise SystemExit(f"review_collect: the data set needs the columns {ID}, {SPLIT}, {LABEL}, {SOURCE} "
                         "(scripts/make_input_data.py)")
    table = list(reader)
    by_id = {row[ID]: row for row in table}
    changes, left_out = [], []
    for reviewed in rows:
        case = by_id.get(reviewed["inferenceId"])
        if case is None:
            left_out.append(reviewed)
            continue
        if case[SPLIT] == "gold":
            raise SystemExit(f"review_collect: {case[ID]} is a gold row: gold rows are never traffic, so a review "
                             f"of one ({reviewed['humanLoopName']}) means the traffic was wrong; nothing written")
        changes.append({"rowId": case[ID], "split": case[SPLIT], "previousLabel": case[LABEL],
                        "previousSource": case[SOURCE], **reviewed})
        case[LABEL], case[SOURCE] = str(reviewed["label"]), f"review:{reviewed['humanLoopName']}"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    return out.getvalue().encode(), changes, left_out


def ground_truth_records(rows: list[dict]) -> bytes:
    """Model Monitor's ground-truth lines; the merge key is the capture's inferenceId when it has one."""
    lines = [json.dumps({"groundTruthData": {"data": str(row["label"]), "encoding": "CSV"},
                         "eventMetadata": {"eventId": row["inferenceId"] or row["eventId"]}, "eventVersion": "0"},
                        separators=(",", ":")) for row in rows]
    return "".join(line + "\n" for line in lines).encode()


def ground_truth_uri(prefix: str, now: datetime) -> str:
    """``{prefix}/yyyy/mm/dd/hh/{uuid}.jsonl``: the capture's path format, at the hour the labels were collected."""
    return f"{prefix.rstrip('/')}/{now:%Y/%m/%d/%H}/{uuid.uuid4()}.jsonl"


def put(s3, uri: str, body: bytes) -> None:
    bucket, key = split_s3_uri(uri)
    s3.put_object(Bucket=bucket, Key=key, Body=body)


def run_pipeline(sagemaker, s3, pipeline: str, definition: dict, input_uri: str, poll_seconds: float,
                 assignments: list[str] = (), sleep=time.sleep) -> dict:
    """Start the pipeline on ``input_uri`` against the staged champion (``assignments``: further Name=Value)."""
    try:
        given = execution_parameters(definition, [f"InputDataUrl={input_uri}", *assignments])
    except DeployError as error:
        raise SystemExit(f"review_collect: {error}") from None
    parameters, who = champion.execution_parameters(sagemaker, s3, definition, given)
    print(f"review_collect: {who}")
    arn = sagemaker.start_pipeline_execution(PipelineName=pipeline,
                                             PipelineParameters=parameters)["PipelineExecutionArn"]
    print(f"review_collect: started {arn}")
    while True:
        described = sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)
        if described["PipelineExecutionStatus"] in FINISHED:
            return described
        sleep(poll_seconds)


def step_metadata(sagemaker, execution_arn: str) -> dict:
    steps = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=execution_arn)["PipelineExecutionSteps"]
    return {step["StepName"]: step.get("Metadata", {}) for step in steps}


def evaluation_uri(definition: dict, execution_arn: str) -> str:
    """Where the execution's EvaluateModel step wrote evaluation.json: its output URI in the definition, a
    Std:Join of fixed parts and the execution id."""
    step = next(step for step in definition["Steps"] if step["Name"] == "EvaluateModel")
    output = next(o for o in step["Arguments"]["ProcessingOutputConfig"]["Outputs"] if o["OutputName"] == "evaluation")
    uri = output["S3Output"]["S3Uri"]
    if isinstance(uri, dict):
        execution_id = execution_arn.rsplit("/", 1)[-1]
        uri = uri["Std:Join"]["On"].join(execution_id if part == {"Get": "Execution.PipelineExecutionId"} else part
                                         for part in uri["Std:Join"]["Values"])
    return f"{uri.rstrip('/')}/evaluation.json"


def drift_check_lines(sagemaker, metadata: dict) -> list[str]:
    """What the data-quality check step did (a QualityCheck step; nothing for the processing mode's baseline) and
    the drift baselines the registered version records."""
    check = metadata.get("DataQualityBaseline", {}).get("QualityCheck")
    if check is None:
        return []
    if check["SkipCheck"]:
        lines = ["drift: not checked (SkipDataQualityCheck true: no approved baseline to check against)"]
    else:
        lines = [f"drift: the new training data checked against {check['BaselineUsedForDriftCheckConstraints']} "
                 f"(SkipDataQualityCheck false); its report: {check['ViolationReport']}"]
    registered = metadata.get("RegisterModel", {}).get("RegisterModel", {}).get("Arn")
    if registered:
        baselines = sagemaker.describe_model_package(ModelPackageName=registered).get("DriftCheckBaselines", {})
        lines += [f"drift: version {registered.rsplit('/', 1)[-1]} records DriftCheckBaselines {kind}: "
                  f"{files['Constraints']['S3Uri']}" for kind, files in baselines.items() if "Constraints" in files]
    return lines


def verdict_lines(evaluation: dict, challenger_version: int | None) -> list[str]:
    """Champion version N vs challenger version M on the same K gold rows: each metric, the CI, the decision."""
    judged = evaluation["champion_challenger"]
    champion_version = judged["champion"].get("version")
    challenger = f"challenger version {challenger_version}" if challenger_version else "challenger (not registered)"
    champion_name = f"champion version {champion_version}" if champion_version is not None else "no champion"
    gold = evaluation["gold_set"]
    lines = [f"{champion_name} vs {challenger} on the same {gold['rows']} gold rows (gold set {gold['version']})",
             f"{'metric':<24} {champion_name:>20} {challenger:>28}"]
    champion_metrics = judged["champion"].get("metrics") or {}
    for name, value in judged["challenger"]["metrics"].items():
        before = f"{champion_metrics[name]:.4f}" if name in champion_metrics else "-"
        lines.append(f"{name.replace('_', ' '):<24} {before:>20} {value:>28.4f}")
    comparison = judged.get("comparison")
    if comparison:
        difference, mcnemar = comparison["auc_difference"], comparison["mcnemar"]
        lines.append(f"AUC difference (challenger - champion) {difference['value']:+.4f}, "
                     f"{difference['confidence']:.0%} CI [{difference['ci_lower']:+.4f}, {difference['ci_upper']:+.4f}]"
                     f" (paired bootstrap, {difference['resamples']} resamples, seed {difference['seed']})")
        lines.append(f"McNemar at p >= {mcnemar['threshold']}: {mcnemar['only_challenger_right']} rows only the "
                     f"challenger got right, {mcnemar['only_champion_right']} only the champion, "
                     f"p = {mcnemar['p_value']:.3f}")
    lines.append(f"decision: {evaluation['decision']['verdict']}")
    return lines


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flow-definition-arn", required=True)
    parser.add_argument("--input-uri", required=True, help="s3:// URI of the data set the pipeline trained on")
    parser.add_argument("--output-uri", required=True, help="s3:// prefix for the relabelled data set and provenance")
    parser.add_argument("--ground-truth-uri", help="s3:// prefix for Model Monitor ground-truth records "
                        "(default: <output URI>/ground-truth)")
    parser.add_argument("--pipeline-name", default="BreastCancerXGBoost")
    parser.add_argument("--param", action="append", default=[], metavar="Name=Value",
                        help="a further pipeline parameter of the retraining execution (repeatable)")
    parser.add_argument("--no-retrain", action="store_true", help="write the data and ground truth, start nothing")
    parser.add_argument("--poll-seconds", type=float, default=5.0)
    add_connection_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    a2i, s3, sagemaker = clients(args, "sagemaker-a2i-runtime", "s3", "sagemaker")
    rows, skipped = reviewed_rows(completed_outputs(a2i, s3, args.flow_definition_arn))
    data, changes, left_out = relabelled_dataset(read_object(s3, args.input_uri), rows)
    corrected = sum(row["label"] != row["predictedLabel"] for row in rows)
    print(f"review_collect: {len(rows)} reviewed events ({corrected} corrected); {len(skipped)} left out for tied "
          f"votes; {len(changes)} labels replaced by row id, {len(left_out)} events without a row id of the data set")
    prefix = args.output_uri.rstrip("/")
    data_uri, provenance_uri = f"{prefix}/breast-cancer-reviewed.csv", f"{prefix}/provenance.json"
    truth_uri = ground_truth_uri(args.ground_truth_uri or f"{prefix}/ground-truth", datetime.now(timezone.utc))
    put(s3, data_uri, data)
    put(s3, provenance_uri, json.dumps({"input": args.input_uri, "changes": changes}, indent=2).encode())
    put(s3, truth_uri, ground_truth_records(rows))
    print(f"review_collect: data set {data_uri}\nreview_collect: provenance {provenance_uri}\n"
          f"review_collect: ground truth {truth_uri} ({len(rows)} records)")
    if args.no_retrain:
        return 0
    definition = json.loads(sagemaker.describe_pipeline(PipelineName=args.pipeline_name)["PipelineDefinition"])
    execution = run_pipeline(sagemaker, s3, args.pipeline_name, definition, data_uri, args.poll_seconds,
                             args.param)
    metadata = step_metadata(sagemaker, execution["PipelineExecutionArn"])
    evaluation = None
    if "EvaluateModel" in metadata:
        evaluation = json.loads(read_object(s3, evaluation_uri(definition, execution["PipelineExecutionArn"])))
    registered = metadata.get("RegisterModel", {}).get("RegisterModel", {}).get("Arn")
    print("\n".join(f"review_collect: {line}" for line in drift_check_lines(sagemaker, metadata)))
    if evaluation is not None:
        print("\n".join(verdict_lines(evaluation, int(registered.rsplit("/", 1)[-1]) if registered else None)))
    refused = evaluation is not None and not evaluation["decision"]["register"]
    if execution["PipelineExecutionStatus"] != "Succeeded" and not refused:
        print(f"review_collect: the pipeline {execution['PipelineExecutionStatus']}: "
              f"{execution.get('FailureReason', '')}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
