"""The ClarifyCheck step's job: a Clarify job computes the new baseline (its analysis.json is the constraints file of
Clarify's checks) and, unless SkipCheck, checks it against the baseline in use, in the same job.

The decisions follow SageMaker's ClarifyCheck step (pipelines-quality-clarify-baseline-lifecycle):
- the job always runs; its analysis.json is CalculatedBaselineConstraints;
- the check compares against SuppliedBaselineConstraints, or else the group's latest approved model package's
  DriftCheckBaselines (Bias.PreTrainingConstraints, Bias.PostTrainingConstraints or Explainability.Constraints);
  with neither, the step fails;
- a metric farther from 0 than the baseline's (bias) or an nDCG of the SHAP ranking under 0.9 (explainability) is a
  violation, which fails the step when FailOnViolation is true;
- BaselineUsedForDriftCheckConstraints is the new analysis.json when RegisterNewBaseline, else the one checked
  against.
"""
from __future__ import annotations

import copy
from typing import Callable

from sagelocal.clarify.contract import MODEL_NAME
from sagelocal.config import Settings
from sagelocal.jobs.container import JobFailed
from sagelocal.jobs.processing import VIOLATIONS_EXIT, run_processing_job

CHECK_TYPES = ("DATA_BIAS", "MODEL_BIAS", "MODEL_EXPLAINABILITY")
# Where each check type's baseline lives in a model package's DriftCheckBaselines.
DRIFT_CHECK_BASELINE = {"DATA_BIAS": ("Bias", "PreTrainingConstraints"),
                        "MODEL_BIAS": ("Bias", "PostTrainingConstraints"),
                        "MODEL_EXPLAINABILITY": ("Explainability", "Constraints")}
_BASELINE_DIR = "/opt/ml/processing/baseline/constraints"


def run_clarify_check(settings: Settings, job_name: str, step: dict, previous: str | None,
                      stop: Callable[[], bool] | None = None) -> dict:
    """Run the check described by the evaluated step body; ``previous`` is the constraints URI of the group's latest
    approved model package for this check type, if any. Returns the step's properties."""
    if step.get("CheckType") not in CHECK_TYPES:
        raise JobFailed(f"CheckType {step.get('CheckType')!r} is not a ClarifyCheck type ({', '.join(CHECK_TYPES)})")
    request = step["Arguments"]
    outputs = (request.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    if len(outputs) != 1:
        raise JobFailed(f"a Clarify check job needs exactly one processing output, found {len(outputs)}")
    output = outputs[0]["S3Output"]["S3Uri"].rstrip("/")
    calculated = f"{output}/analysis.json"
    reference = step.get("SuppliedBaselineConstraints") or previous
    check = not step.get("SkipCheck")
    if check and not reference:
        raise JobFailed("no baseline to check against: give SuppliedBaselineConstraints, approve a model package "
                        f"with DriftCheckBaselines in group {step.get('ModelPackageGroupName')!r}, or set SkipCheck")
    # The model is the step's (ModelName), not the analysis configuration's: the SDK leaves it out of the file.
    extra_env = {MODEL_NAME: step["ModelName"]} if step.get("ModelName") else {}
    if check:
        request, baseline_env = _with_baseline(request, reference)
        extra_env |= baseline_env
    job = run_processing_job(settings, job_name, request, extra_env, stop)
    violations = check and job["ExitCode"] == VIOLATIONS_EXIT
    if violations and step.get("FailOnViolation", True):
        raise JobFailed(f"ClientError: Clarify check failed. See violation report at {output}/"
                        "constraint_violations.json", description=job)
    return {
        "CalculatedBaselineConstraints": calculated,
        "BaselineUsedForDriftCheckConstraints": calculated if step.get("RegisterNewBaseline") else reference,
        "ViolationReport": f"{output}/constraint_violations.json" if check else None,
        "CheckJobConfig": {"ProcessingJobArns": [job["ProcessingJobArn"]]},
        "ProcessSeconds": job["ProcessSeconds"],
        "Violations": violations,
    }


def _with_baseline(request: dict, reference: str) -> tuple[dict, dict]:
    """The job's request plus the baseline analysis.json as an input, and the analyzer env naming it."""
    checked = copy.deepcopy(request)
    checked["ProcessingInputs"] = list(checked.get("ProcessingInputs") or []) + [{
        "InputName": "baseline_constraints", "S3Input": {
            "S3Uri": reference, "LocalPath": _BASELINE_DIR, "S3DataType": "S3Prefix", "S3InputMode": "File"}}]
    return checked, {"baseline_constraints": f"{_BASELINE_DIR}/{reference.rstrip('/').rsplit('/', 1)[-1]}"}
