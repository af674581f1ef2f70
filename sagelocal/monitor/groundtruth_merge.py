"""What Model Monitor's ground-truth merger (``sagemaker-model-monitor-groundtruth-merger``) does before a
model-quality analysis: each captured inference that has a ground-truth record becomes one merged record, the
capture record with the ground truth's ``groundTruthData`` added (the analyzer's ``sagemakerMergeJson``).

Ground-truth records are ``{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId":
...}, "eventVersion": "0"}``, one per line, under ``<ground truth prefix>/yyyy/mm/dd/hh/`` (the hour the labels were
collected). The merge key is the capture's ``inferenceId`` when it has one, else its ``eventId`` (AWS's docs); a
label given twice keeps the last one read (files in key order), so a corrected label replaces the first.
"""
from __future__ import annotations

import json
from pathlib import Path

from sagelocal.errors import UserError


def read_ground_truth(files: list) -> dict:
    """``{event id: groundTruthData}`` of the records in ``files`` (read in the order given)."""
    labels = {}
    for path in files:
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                labels[str(record["eventMetadata"]["eventId"])] = record["groundTruthData"]
            except (ValueError, KeyError, TypeError):
                raise UserError(f"{path}: line {number}: not a ground-truth record (groundTruthData and "
                                "eventMetadata.eventId)") from None
    return labels


def merge_key(capture_record: dict) -> str | None:
    metadata = capture_record.get("eventMetadata") or {}
    key = metadata.get("inferenceId") or metadata.get("eventId")
    return None if key is None else str(key)


def merged(capture_records: list, labels: dict) -> list:
    """The capture records (raw dicts) that have a label, each with its ``groundTruthData``."""
    return [record | {"groundTruthData": labels[merge_key(record)]} for record in capture_records
            if merge_key(record) in labels]
