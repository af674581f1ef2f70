"""The ``sagemaker-clarify-processing`` container's contract: ``python -m sagelocal.clarify.analyzer``.

Reads ``<root>/input/config/analysis_config.json`` and the dataset under ``<root>/input/data`` (root is
/opt/ml/processing, or ``SAGELOCAL_PROCESSING_ROOT``), writes analysis.json, the report and local SHAP values to
``<root>/output``. The model of ``predictor.model_name`` is given by the runtime as ``SAGELOCAL_CLARIFY_MODEL_DATA``
(its model.tar.gz) and ``SAGELOCAL_CLARIFY_MODEL_IMAGE`` (:mod:`sagelocal.clarify.contract`), and served as a shadow endpoint in this process.

With ``baseline_constraints`` (an analysis.json to check against), the drift checks also run and write
constraint_violations.json. Exit status as the Model Monitor analyzer's: 0 Completed, 3 CompletedWithViolations,
1 Failed with the reason in the message file.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from sagelocal.clarify import config as analysis_config
from sagelocal.clarify import dataset, drift, outputs
from sagelocal.clarify.analysis import analyze
from sagelocal.clarify.contract import MODEL_DATA, MODEL_IMAGE
from sagelocal.clarify.shadow import ShadowEndpoint

EXIT_COMPLETED, EXIT_FAILED, EXIT_VIOLATIONS = 0, 1, 3
CONTAINER_ROOT = "/opt/ml/processing"


def main(environ: dict | None = None, run=None) -> int:
    """``run(env, root, message_file)``: the analysis (this job's by default; the monitors' is
    :func:`sagelocal.clarify.monitor_analyzer.run`), its errors reported as the job's."""
    env = dict(os.environ if environ is None else environ)
    root = Path(env.get("SAGELOCAL_PROCESSING_ROOT") or CONTAINER_ROOT)
    message_file = Path(env.get("output_message_file") or "/opt/ml/output/message")
    try:
        return (run or _run)(env, root, message_file)
    except (analysis_config.ClarifyConfigError, RuntimeError, ValueError, OSError) as error:
        write_message(message_file, f"ClientError: {error}")
        print(f"clarify: failed: {error}", file=sys.stderr, flush=True)
        return EXIT_FAILED


def _run(env: dict, root: Path, message_file: Path) -> int:
    started = time.monotonic()
    config = analysis_config.load(root / "input" / "config" / "analysis_config.json")
    data = dataset.read(root / "input" / "data", config)
    print(f"clarify: {len(data.frame)} rows, {len(data.features)} features", flush=True)
    predict = None
    if config.needs_model:
        if not env.get(MODEL_DATA):
            raise analysis_config.ClarifyConfigError(
                "post-training bias and SHAP need a model: name it in predictor.model_name (or the ClarifyCheck "
                "step's ModelName)")
        predict = ShadowEndpoint.from_model(Path(env[MODEL_DATA]), env.get(MODEL_IMAGE, ""), config.predictor).predict
    result = analyze(config, data, predict, workers=os.cpu_count() or 1)  # as Clarify uses the instance's cores
    output = root / "output"
    outputs.write(output, result, config.report)
    status = check_baseline(env, output, result.analysis, message_file)
    print(f"clarify: done in {time.monotonic() - started:.2f} s", flush=True)
    return status


def check_baseline(env: dict, output: Path, analysis: dict, message_file: Path) -> int:
    """With ``baseline_constraints`` (an analysis.json), write constraint_violations.json; the exit status."""
    if not env.get("baseline_constraints"):
        return EXIT_COMPLETED
    baseline = json.loads(Path(env["baseline_constraints"]).read_text())
    found = drift.violations(baseline, analysis)
    outputs.write_violations(output, found)
    if not found["violations"]:
        return EXIT_COMPLETED
    write_message(message_file, f"CompletedWithViolations: {len(found['violations'])} violations")
    return EXIT_VIOLATIONS


def write_message(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
