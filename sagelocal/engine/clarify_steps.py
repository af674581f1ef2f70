"""The ClarifyCheck step: data bias, model bias and explainability checks against the approved drift baselines.
(The model its shadow endpoint serves comes from a Model step: ``step_types.run_create_model``.)"""
from __future__ import annotations

from typing import TYPE_CHECKING

# step_types imports this module for its handler table, so its classes are imported where they are used.
if TYPE_CHECKING:
    from sagelocal.engine.step_types import StepContext, StepOutcome


def run_clarify_check(ctx: StepContext, body: dict) -> StepOutcome:
    from sagelocal.engine.step_types import approved_drift_check_baselines, check_outcome
    from sagelocal.jobs.clarify_check import DRIFT_CHECK_BASELINE, run_clarify_check as run_check

    previous = None
    if not body.get("SkipCheck") and not body.get("SuppliedBaselineConstraints"):
        kind, name = DRIFT_CHECK_BASELINE.get(body.get("CheckType"), ("", ""))
        previous = next((uri for baselines in approved_drift_check_baselines(ctx, body.get("ModelPackageGroupName"))
                         if (uri := ((baselines.get(kind) or {}).get(name) or {}).get("S3Uri"))), None)
    return check_outcome("ClarifyCheck", body, lambda: run_check(ctx.settings, ctx.job_name, body, previous, ctx.stop))
