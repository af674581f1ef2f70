"""What each step type does once its arguments are evaluated: start a job, ask the registry, decide a
branch or fail. Each handler returns a :class:`StepOutcome` or raises :class:`StepFailed`."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

from sagelocal.engine.clarify_steps import run_clarify_check
from sagelocal.engine.expressions import Scope, evaluate, evaluate_condition
from sagelocal.engine.step_requests import request_problem
from sagelocal.errors import ServiceError
from sagelocal.jobs.container import JobFailed


class StepFailed(Exception):
    """The step ended Failed. ``exception_type`` is its retry class (e.g. SageMaker.JOB_INTERNAL_ERROR)."""

    def __init__(self, reason: str, exception_type: str | None = None, metadata: dict | None = None):
        super().__init__(reason)
        self.reason = reason
        self.exception_type = exception_type
        self.metadata = metadata or {}


@dataclass
class StepOutcome:
    properties: dict
    metadata: dict
    process_seconds: float = 0.0


@dataclass
class StepContext:
    """What a handler may use: the runtime's settings, the execution store, the registry, the scope."""

    settings: object
    store: object
    registry: Callable[[], object]
    scope: Scope
    job_name: str
    stop: Callable[[], bool] | None = None  # true once the execution is being stopped: its jobs are killed
    extra: dict = field(default_factory=dict)


def run_processing(ctx: StepContext, body: dict) -> StepOutcome:
    from sagelocal.jobs.processing import run_processing_job

    description = _job("Processing", lambda: run_processing_job(ctx.settings, ctx.job_name, body["Arguments"],
                                                                stop=ctx.stop))
    return StepOutcome(description, {"ProcessingJob": {"Arn": description["ProcessingJobArn"]}},
                       description["ProcessSeconds"])


def run_training(ctx: StepContext, body: dict) -> StepOutcome:
    from sagelocal.jobs.training import run_training_job

    description = _job("Training", lambda: run_training_job(ctx.settings, ctx.job_name, body["Arguments"], ctx.stop))
    return StepOutcome(description, {"TrainingJob": {"Arn": description["TrainingJobArn"]}},
                       description["ProcessSeconds"])


def run_quality_check(ctx: StepContext, body: dict) -> StepOutcome:
    from sagelocal.jobs.quality_check import run_quality_check as run_check

    supplied = body.get("SuppliedBaselineStatistics") and body.get("SuppliedBaselineConstraints")
    kind = "ModelQuality" if body.get("CheckType") == "MODEL_QUALITY" else "ModelDataQuality"
    previous = None if body.get("SkipCheck") or supplied else \
        _approved_baseline(ctx, body.get("ModelPackageGroupName"), kind)
    return check_outcome("QualityCheck", body, lambda: run_check(ctx.settings, ctx.job_name, body, previous, ctx.stop))


def check_outcome(kind: str, body: dict, run: Callable[[], dict]) -> StepOutcome:
    """A QualityCheck or ClarifyCheck step's outcome: ``run()`` gives its properties; the metadata (under ``kind``)
    says what was checked and which baselines came out."""
    try:
        result = run()
    except JobFailed as failure:
        raise StepFailed(failure.reason, failure.exception_type) from None
    seconds = result.pop("ProcessSeconds", 0.0)
    metadata = {kind: {
        "CheckType": body.get("CheckType"), "ModelPackageGroupName": body.get("ModelPackageGroupName"),
        "SkipCheck": bool(body.get("SkipCheck")), "RegisterNewBaseline": bool(body.get("RegisterNewBaseline")),
        "CheckJobArn": result["CheckJobConfig"]["ProcessingJobArns"][-1],
        **{k: v for k, v in result.items() if k.startswith(("Calculated", "BaselineUsed", "Violation")) and v},
    }}
    return StepOutcome(result, metadata, seconds)


def run_transform(ctx: StepContext, body: dict) -> StepOutcome:
    from sagelocal.jobs.transform import run_transform_job

    request = _checked("CreateTransformJob", {**body["Arguments"], "TransformJobName": ctx.job_name})
    description = _job("Transform", lambda: run_transform_job(ctx.settings, ctx.job_name, request, ctx.stop))
    return StepOutcome(description, {"TransformJob": {"Arn": description["TransformJobArn"]}},
                       description["ProcessSeconds"])


def run_create_model(ctx: StepContext, body: dict) -> StepOutcome:
    """CreateModel with the step's arguments under the execution's model name, as SageMaker names it; the
    step's properties are DescribeModel's answer."""
    from sagelocal.jobs.models import ModelStore

    models = ModelStore(ctx.settings)
    request = _checked("CreateModel", {**body["Arguments"], "ModelName": ctx.job_name})
    try:
        models.create(request, ctx.registry())
    except ServiceError as error:
        raise StepFailed(f"{error.code}: {error.message}") from None
    described = models.describe({"ModelName": ctx.job_name})
    return StepOutcome(described, {"Model": {"Arn": described["ModelArn"]}})


def run_register_model(ctx: StepContext, body: dict) -> StepOutcome:
    request = _checked("CreateModelPackage", _drop_unset(body["Arguments"]))
    try:
        arn = ctx.registry().create_model_package(request)["ModelPackageArn"]
    except ServiceError as error:
        kind = "Step.THROTTLING" if "Throttl" in error.code else None
        raise StepFailed(f"{error.code}: {error.message}", kind) from None
    return StepOutcome({"ModelPackageArn": arn}, {"RegisterModel": {"Arn": arn}})


def run_condition(ctx: StepContext, body: dict) -> StepOutcome:
    outcome = all(evaluate_condition(condition, ctx.scope) for condition in body["Arguments"].get("Conditions") or [])
    return StepOutcome({"Outcome": outcome}, {"Condition": {"Outcome": "True" if outcome else "False"}})


def run_fail(ctx: StepContext, body: dict) -> StepOutcome:
    message = str(evaluate(body["Arguments"].get("ErrorMessage", ""), ctx.scope))
    raise StepFailed(message, metadata={"Fail": {"ErrorMessage": message}})


HANDLERS = {
    "Processing": run_processing,
    "Training": run_training,
    "QualityCheck": run_quality_check,
    "RegisterModel": run_register_model,
    "Model": run_create_model,
    "Transform": run_transform,
    "Condition": run_condition,
    "Fail": run_fail,
    "ClarifyCheck": run_clarify_check,
}


def _checked(operation: str, request: dict) -> dict:
    """``request`` when SageMaker would accept it for ``operation``; else the step fails with AWS's reason."""
    problem = request_problem(operation, request)
    if problem:
        raise StepFailed(problem)
    return request


def _job(kind: str, start: Callable[[], dict]) -> dict:
    """Run a job (the job store records it, so DescribeProcessingJob/DescribeTrainingJob answer for it)."""
    try:
        return start()
    except JobFailed as failure:
        arn_key = f"{kind}JobArn"
        metadata = {f"{kind}Job": {"Arn": failure.description[arn_key]}} if arn_key in failure.description else {}
        raise StepFailed(failure.reason, failure.exception_type, metadata) from None


def _approved_baseline(ctx: StepContext, group: str | None, kind: str) -> tuple[str, str] | None:
    """(statistics, constraints) URIs of the ``kind`` drift-check baseline (DriftCheckBaselines.ModelDataQuality
    or .ModelQuality) of the group's latest approved version."""
    for baselines in approved_drift_check_baselines(ctx, group):
        quality = baselines.get(kind) or {}
        statistics = (quality.get("Statistics") or {}).get("S3Uri")
        constraints = (quality.get("Constraints") or {}).get("S3Uri")
        if statistics and constraints:
            return statistics, constraints
    return None


def approved_drift_check_baselines(ctx: StepContext, group: str | None) -> Iterator[dict]:
    """The DriftCheckBaselines of the group's approved versions, latest first."""
    if not group:
        return
    registry = ctx.registry()
    try:
        packages = registry.list_model_packages({"ModelPackageGroupName": group, "ModelApprovalStatus": "Approved",
                                                 "SortBy": "CreationTime", "SortOrder": "Descending"})
    except ServiceError:
        return
    for summary in packages.get("ModelPackageSummaryList") or []:
        package = registry.describe_model_package({"ModelPackageName": summary["ModelPackageArn"]})
        yield package.get("DriftCheckBaselines") or {}


def _drop_unset(value):
    """The request without metric sources whose S3Uri evaluated to nothing (a baseline that does not exist)."""
    if isinstance(value, dict):
        if "S3Uri" in value and not value["S3Uri"]:
            return None
        return {k: v for k, v in ((k, _drop_unset(v)) for k, v in value.items()) if v is not None}
    if isinstance(value, list):
        return [_drop_unset(item) for item in value]
    return value
