"""The QualityCheck step's job: the Model Monitor analyzer computes a new baseline (statistics and suggested
constraints) and, unless SkipCheck, checks the data against the baseline in use for drift checks.

The decisions follow SageMaker's QualityCheck step:
- the baseline job always runs; its files are CalculatedBaselineStatistics / CalculatedBaselineConstraints;
- the check compares against SuppliedBaseline*, or else the DriftCheckBaselines of the group's latest
  approved model package (ModelDataQuality for DATA_QUALITY, ModelQuality for MODEL_QUALITY); with neither, the step fails (there is nothing to check against);
- violations fail the step when FailOnViolation is true;
- BaselineUsedForDriftCheck* is the new baseline when RegisterNewBaseline, else the one checked against.
"""
from __future__ import annotations

import copy
from typing import Callable

from sagelocal.config import Settings
from sagelocal.jobs.container import JobFailed
from sagelocal.jobs.processing import VIOLATIONS_EXIT, run_processing_job

_BASELINE_DIR = "/opt/ml/processing/baseline"
# The analyzer tells them apart by its environment (analysis_type MODEL_QUALITY, problem_type and the attributes,
# which the SDK's ModelQualityCheckConfig writes into the request); a model-quality check reads only the
# constraints of the baseline it checks against.
CHECK_TYPES = ("DATA_QUALITY", "MODEL_QUALITY")


def run_quality_check(settings: Settings, job_name: str, step: dict, previous: tuple[str, str] | None,
                      stop: Callable[[], bool] | None = None) -> dict:
    """Run the check described by the evaluated step body. Returns the step's properties (the job store holds
    its jobs).

    ``previous`` is (statistics URI, constraints URI) of the latest approved model package, if any.
    """
    if step.get("CheckType") not in CHECK_TYPES:
        raise JobFailed(f"CheckType {step.get('CheckType')!r} is not one of {', '.join(CHECK_TYPES)}")
    request = step["Arguments"]
    output = _single_output(request)
    calculated = (f"{output}/statistics.json", f"{output}/constraints.json")
    jobs = [run_processing_job(settings, job_name, request, stop=stop)]

    supplied = (step.get("SuppliedBaselineStatistics"), step.get("SuppliedBaselineConstraints"))
    reference = supplied if all(supplied) else previous
    violations = False
    if not step.get("SkipCheck"):
        if reference is None:
            raise JobFailed("no baseline to check against: give SuppliedBaselineStatistics and "
                            "SuppliedBaselineConstraints, approve a model package with DriftCheckBaselines in "
                            f"group {step.get('ModelPackageGroupName')!r}, or set SkipCheck")
        check_request, baseline_env = _check_request(request, reference)
        check = run_processing_job(settings, f"{job_name[:57]}-check", check_request, baseline_env, stop)
        jobs.append(check)
        violations = check["ExitCode"] == VIOLATIONS_EXIT
        if violations and step.get("FailOnViolation", True):
            raise JobFailed(f"ClientError: Quality check failed. See violation report at "
                            f"{output}/constraint_violations.json", description=check)
    used = calculated if step.get("RegisterNewBaseline") else reference
    return {
        "CalculatedBaselineStatistics": calculated[0],
        "CalculatedBaselineConstraints": calculated[1],
        "BaselineUsedForDriftCheckStatistics": used[0] if used else None,
        "BaselineUsedForDriftCheckConstraints": used[1] if used else None,
        "ViolationReport": f"{output}/constraint_violations.json" if not step.get("SkipCheck") else None,
        "CheckJobConfig": {"ProcessingJobArns": [job["ProcessingJobArn"] for job in jobs]},
        "ProcessSeconds": sum(job["ProcessSeconds"] for job in jobs),
        "Violations": violations,
    }


def _single_output(request: dict) -> str:
    outputs = (request.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    if len(outputs) != 1:
        raise JobFailed(f"a quality check job needs exactly one processing output, found {len(outputs)}")
    return outputs[0]["S3Output"]["S3Uri"].rstrip("/")


def _check_request(request: dict, reference: tuple[str, str]) -> tuple[dict, dict]:
    """The baseline job's request plus the two baseline files as inputs, and the analyzer env naming them."""
    check, env = copy.deepcopy(request), {}
    inputs = list(check.get("ProcessingInputs") or [])
    for kind, uri in zip(("statistics", "constraints"), reference):
        folder = f"{_BASELINE_DIR}/{kind}"
        inputs.append({"InputName": f"baseline_{kind}", "S3Input": {
            "S3Uri": uri, "LocalPath": folder, "S3DataType": "S3Prefix", "S3InputMode": "File"}})
        env[f"baseline_{kind}"] = f"{folder}/{uri.rstrip('/').rsplit('/', 1)[-1]}"
    check["ProcessingInputs"] = inputs
    return check, env
