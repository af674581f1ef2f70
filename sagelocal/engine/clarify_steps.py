"""The step types a Clarify check needs: ClarifyCheck itself, and Model (CreateModel), which makes the model the
model-bias and explainability checks serve on their shadow endpoint."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sagelocal.errors import ServiceError
from sagelocal.jobs.container import JobFailed

# step_types imports this module for its handler table, so its classes are imported where they are used.
if TYPE_CHECKING:
    from sagelocal.engine.step_types import StepContext, StepOutcome


def run_clarify_check(ctx: StepContext, body: dict) -> StepOutcome:
    from sagelocal.engine.step_types import StepFailed, StepOutcome
    from sagelocal.jobs.clarify_check import DRIFT_CHECK_BASELINE, run_clarify_check as run_check

    previous = None
    if not body.get("SkipCheck") and not body.get("SuppliedBaselineConstraints"):
        previous = _approved_constraints(ctx, body.get("ModelPackageGroupName"),
                                         DRIFT_CHECK_BASELINE.get(body.get("CheckType"), ("", "")))
    try:
        result = run_check(ctx.settings, ctx.job_name, body, previous, ctx.stop)
    except JobFailed as failure:
        raise StepFailed(failure.reason, failure.exception_type) from None
    seconds = result.pop("ProcessSeconds", 0.0)
    metadata = {"ClarifyCheck": {
        "CheckType": body.get("CheckType"), "ModelPackageGroupName": body.get("ModelPackageGroupName"),
        "SkipCheck": bool(body.get("SkipCheck")), "RegisterNewBaseline": bool(body.get("RegisterNewBaseline")),
        "CheckJobArn": result["CheckJobConfig"]["ProcessingJobArns"][-1],
        **{k: v for k, v in result.items() if k.startswith(("Calculated", "BaselineUsed", "Violation")) and v},
    }}
    return StepOutcome(result, metadata, seconds)


def run_create_model(ctx: StepContext, body: dict) -> StepOutcome:
    """CreateModel with the name SageMaker gives a pipeline's model (the step's job name); properties as
    DescribeModel's."""
    from sagelocal.engine.step_types import StepFailed, StepOutcome
    from sagelocal.hosting.backend import HostingBackend

    hosting = HostingBackend(ctx.settings, ctx.registry())
    request = {**body["Arguments"], "ModelName": body["Arguments"].get("ModelName") or ctx.job_name}
    try:
        hosting.create_model(request)
        description = hosting.describe_model({"ModelName": request["ModelName"]})
    except ServiceError as error:
        raise StepFailed(f"{error.code}: {error.message}") from None
    description["CreationTime"] = description["CreationTime"].isoformat()
    return StepOutcome(description, {"Model": {"Arn": description["ModelArn"]}})


def _approved_constraints(ctx: StepContext, group: str | None, where: tuple[str, str]) -> str | None:
    """The constraints URI at DriftCheckBaselines.<where> of the group's latest approved version with one."""
    if not group:
        return None
    registry = ctx.registry()
    try:
        packages = registry.list_model_packages({"ModelPackageGroupName": group, "ModelApprovalStatus": "Approved",
                                                 "SortBy": "CreationTime", "SortOrder": "Descending"})
    except ServiceError:
        return None
    for summary in packages.get("ModelPackageSummaryList") or []:
        package = registry.describe_model_package({"ModelPackageName": summary["ModelPackageArn"]})
        baselines = (package.get("DriftCheckBaselines") or {}).get(where[0]) or {}
        if uri := (baselines.get(where[1]) or {}).get("S3Uri"):
            return uri
    return None
