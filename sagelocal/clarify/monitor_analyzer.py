"""The Clarify container as Model Monitor's ModelBias and ModelExplainability executions run it:
``python -m sagelocal.clarify.monitor_analyzer``.

The dataset is the window's capture under ``dataset_source`` (for model bias, the captured records merged with their
ground truth, ``groundTruthData``): the features are each record's ``endpointInput`` CSV lines, named by the
analysis configuration's ``headers`` (less the label); the label is the ground truth; the model's outputs are the
``endpointOutput`` lines, the column ``probability_attribute`` (or ``inference_attribute``) names, index 0 when
neither does. The configuration is the job definition's ConfigUri (``analysis_config``) as the SDK's
BiasAnalysisConfig / ExplainabilityAnalysisConfig write it: a bias one names no methods, and is the post-training
metrics of the captured predictions; an explainability one is Kernel SHAP on a shadow endpoint of its
``predictor.model_name``. analysis.json and, with ``baseline_constraints``, constraint_violations.json go to
``output_path``; exit status as :mod:`sagelocal.clarify.analyzer`'s.
"""
from __future__ import annotations

import base64
import csv
import io
import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sagelocal.clarify import analyzer, outputs
from sagelocal.clarify import config as analysis_config
from sagelocal.clarify.analysis import analyze
from sagelocal.clarify.contract import MODEL_DATA, MODEL_IMAGE
from sagelocal.clarify.dataset import from_frame
from sagelocal.clarify.shadow import ShadowEndpoint

MODEL_BIAS, MODEL_EXPLAINABILITY = "MODEL_BIAS", "MODEL_EXPLAINABILITY"
# What a bias monitor computes when its configuration names no methods: the post-training metrics of the model.
_BIAS_METHODS = {"post_training_bias": {"methods": "all"}}


def run(env: dict, root: Path, message_file: Path) -> int:
    kind = env.get("analysis_type")
    if kind not in (MODEL_BIAS, MODEL_EXPLAINABILITY):
        raise analysis_config.ClarifyConfigError(f"analysis_type {kind!r} is not a Clarify monitor's")
    document = json.loads(Path(env["analysis_config"]).read_text())
    document = {"dataset_type": "text/csv", **document}
    if kind == MODEL_BIAS:
        document.setdefault("methods", _BIAS_METHODS)
        if env.get("probability_threshold_attribute"):
            document["probability_threshold"] = float(env["probability_threshold_attribute"])
    config = analysis_config.parse(document)
    records = _records(Path(env["dataset_source"]))
    if not records:
        raise analysis_config.ClarifyConfigError("the window holds no captured record")
    frame, scores = capture_frame(records, config, env, with_label=kind == MODEL_BIAS)
    data = from_frame(frame, config)
    print(f"clarify monitor: {kind}, {len(frame)} captured rows, {len(data.features)} features", flush=True)
    predict = None
    if kind == MODEL_EXPLAINABILITY:
        if not env.get(MODEL_DATA):
            raise analysis_config.ClarifyConfigError("feature attribution needs the model: name it in the analysis "
                                                     "configuration's predictor.model_name")
        predict = ShadowEndpoint.from_model(Path(env[MODEL_DATA]), env.get(MODEL_IMAGE, ""), config.predictor).predict
    result = analyze(config, data, predict, workers=os.cpu_count() or 1, scores=scores)
    output = Path(env["output_path"])
    outputs.write(output, result, None)
    return analyzer.check_baseline(env, output, result.analysis, message_file)


def capture_frame(records: list[dict], config, env: dict, with_label: bool) -> tuple[pd.DataFrame, np.ndarray]:
    """(one row per captured CSV line: the features, and the label when ``with_label``; the model's outputs)."""
    features, outputs_, labels = [], [], []
    for record in records:
        rows = _csv_rows(record["captureData"]["endpointInput"])
        answers = _csv_rows(record["captureData"]["endpointOutput"])
        if len(answers) != len(rows):
            raise analysis_config.ClarifyConfigError(
                f"event {record.get('eventMetadata', {}).get('eventId')}: {len(rows)} input lines but "
                f"{len(answers)} output lines")
        features += rows
        outputs_ += answers
        if with_label:
            truth = _csv_rows(record.get("groundTruthData") or {})
            labels += [line[0] for line in truth] * (len(rows) if len(truth) == 1 else 1)
    label = config.label if isinstance(config.label, str) else "label"
    names = [h for h in (config.headers or []) if h != label] or [str(i) for i in range(len(features[0]))]
    frame = pd.DataFrame(np.array(features, dtype=float), columns=names)
    if with_label:
        if len(labels) != len(frame):
            raise analysis_config.ClarifyConfigError("every captured line needs its ground-truth label")
        truth = pd.Series(labels)
        numeric = pd.to_numeric(truth, errors="coerce")
        frame[label] = numeric if numeric.notna().all() else truth  # "1" is the number 1, as in the capture
    column = int(env.get("probability_attribute") or env.get("inference_attribute") or 0)
    scores = np.array([float(line[column]) for line in outputs_])
    return frame, scores


def _csv_rows(data: dict) -> list[list[str]]:
    text = data.get("data") or ""
    if data.get("encoding") == "BASE64":
        text = base64.b64decode(text).decode()
    return [row for row in csv.reader(io.StringIO(text)) if row]


def _records(folder: Path) -> list[dict]:
    return [json.loads(line) for path in sorted(folder.rglob("*.jsonl")) for line in path.open() if line.strip()]


if __name__ == "__main__":
    sys.exit(analyzer.main(run=run))
