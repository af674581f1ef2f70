"""CacheConfig and RetryPolicies of a step: when a previous result may stand in, and when to try again."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import timedelta

from sagelocal.errors import UserError

CACHEABLE_TYPES = ("Processing", "Training", "QualityCheck")
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def parse_duration(text: str) -> timedelta:
    """An ISO-8601 duration such as ``PT1H`` or ``P30D`` (a year counts 365 days, a month 30)."""
    match = _DURATION.match(text or "")
    if not match or text in ("P", "PT") or text.endswith("T"):
        raise UserError(f"CacheConfig ExpireAfter {text!r} is not an ISO-8601 duration such as PT1H or P30D")
    years, months, weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(days=365 * years + 30 * months + 7 * weeks + days, hours=hours, minutes=minutes,
                     seconds=seconds)


def cache_settings(step_body: dict) -> tuple[bool, timedelta | None]:
    """(enabled, max age) from the step's CacheConfig; only job steps cache, as on SageMaker."""
    config = step_body.get("CacheConfig") or {}
    if not config.get("Enabled") or step_body.get("Type") not in CACHEABLE_TYPES:
        return False, None
    expire = config.get("ExpireAfter")
    return True, parse_duration(expire) if expire else None


def cache_key(step_type: str, evaluated_body: dict) -> str:
    """Same type and same evaluated arguments (and step settings) mean the same result."""
    relevant = {k: v for k, v in evaluated_body.items()
                if k not in ("Name", "DisplayName", "Description", "DependsOn", "CacheConfig", "RetryPolicies")}
    text = json.dumps([step_type, relevant], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class RetryRule:
    exception_types: tuple[str, ...]
    interval_seconds: float
    backoff_rate: float
    max_attempts: int | None
    expire_after_minutes: float | None

    def delay(self, retry_number: int) -> float:
        """Seconds to wait before retry ``retry_number`` (1 for the first retry)."""
        return self.interval_seconds * self.backoff_rate ** (retry_number - 1)

    def allows(self, retry_number: int, minutes_since_start: float) -> bool:
        if self.max_attempts is not None and retry_number > self.max_attempts:
            return False
        return self.expire_after_minutes is None or minutes_since_start < self.expire_after_minutes


def retry_rules(step_body: dict) -> list[RetryRule]:
    rules = []
    for policy in step_body.get("RetryPolicies") or []:
        types = policy.get("ExceptionType")
        if not isinstance(types, list) or not types:
            raise UserError(f"step {step_body.get('Name')!r}: a RetryPolicy needs a non-empty ExceptionType list")
        rules.append(RetryRule(
            tuple(types),
            float(policy.get("IntervalSeconds", 1)),
            float(policy.get("BackoffRate", 2.0)),
            # SageMaker's MaxAttempts counts retries; with neither limit it retries up to 5 times.
            int(policy["MaxAttempts"]) if "MaxAttempts" in policy else (None if "ExpireAfterMin" in policy else 5),
            float(policy["ExpireAfterMin"]) if "ExpireAfterMin" in policy else None,
        ))
    return rules


def matching_rule(rules: list[RetryRule], exception_type: str | None) -> RetryRule | None:
    return next((rule for rule in rules if exception_type and exception_type in rule.exception_types), None)
