"""CacheConfig durations and retry arithmetic."""
from __future__ import annotations

from datetime import timedelta

import pytest

from sagelocal.engine.policies import cache_key, cache_settings, matching_rule, parse_duration, retry_rules
from sagelocal.errors import UserError


@pytest.mark.parametrize("text,expected", [
    ("PT1H", timedelta(hours=1)), ("P30D", timedelta(days=30)), ("PT90S", timedelta(seconds=90)),
    ("P1W", timedelta(days=7)), ("P1DT2H3M", timedelta(days=1, hours=2, minutes=3)), ("P1Y", timedelta(days=365)),
])
def test_iso_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["1H", "P", "PT", "P1DT", "PT1.5H", ""])
def test_bad_durations_are_refused(text):
    with pytest.raises(UserError, match="ISO-8601"):
        parse_duration(text)


def test_only_job_steps_cache():
    assert cache_settings({"Type": "Processing", "CacheConfig": {"Enabled": True, "ExpireAfter": "P1D"}}) == \
        (True, timedelta(days=1))
    assert cache_settings({"Type": "Training", "CacheConfig": {"Enabled": True}}) == (True, None)
    assert cache_settings({"Type": "RegisterModel", "CacheConfig": {"Enabled": True}}) == (False, None)
    assert cache_settings({"Type": "Processing", "CacheConfig": {"Enabled": False}}) == (False, None)


def test_cache_key_ignores_retry_and_cache_settings_but_not_arguments():
    body = {"Name": "A", "Type": "Processing", "Arguments": {"X": 1}}
    assert cache_key("Processing", body) == cache_key("Processing", body | {"RetryPolicies": [], "CacheConfig": {}})
    assert cache_key("Processing", body) != cache_key("Processing", body | {"Arguments": {"X": 2}})
    assert cache_key("Processing", body) != cache_key("Training", body)


def test_retry_rules():
    rules = retry_rules({"RetryPolicies": [
        {"ExceptionType": ["Step.SERVICE_FAULT"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 2},
        {"ExceptionType": ["SageMaker.JOB_INTERNAL_ERROR"], "ExpireAfterMin": 1}]})
    service, job = rules
    assert matching_rule(rules, "Step.SERVICE_FAULT") is service and matching_rule(rules, None) is None
    assert [service.delay(n) for n in (1, 2, 3)] == [2, 6, 18]
    assert service.allows(2, 0) and not service.allows(3, 0)
    assert job.allows(50, 0.5) and not job.allows(1, 1.5)
    with pytest.raises(UserError, match="ExceptionType"):
        retry_rules({"Name": "A", "RetryPolicies": [{"IntervalSeconds": 1}]})
