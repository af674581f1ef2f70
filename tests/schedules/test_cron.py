"""AWS cron and rate expressions: next fire times."""
from datetime import datetime, timezone

import pytest

from sagelocal.errors import ValidationError
from sagelocal.schedules.cron import Schedule

T = datetime(2026, 11, 25, 8, 40, 12, tzinfo=timezone.utc)  # a Wednesday


@pytest.mark.parametrize("expression, expected", [
    ("cron(0 * ? * * *)", datetime(2026, 11, 25, 9, 0)),
    ("cron(0 0 ? * * *)", datetime(2026, 11, 26, 0, 0)),
    ("cron(*/15 9-17 ? * MON-FRI *)", datetime(2026, 11, 25, 9, 0)),
    ("cron(0 12 ? * SAT,SUN *)", datetime(2026, 11, 28, 12, 0)),
    ("cron(5,35 */2 1 JAN,JUL ? *)", datetime(2027, 1, 1, 0, 5)),
    ("cron(45 8 25 11 ? 2026)", datetime(2026, 11, 25, 8, 45)),
    ("rate(1 minute)", datetime(2026, 11, 25, 8, 41)),
    ("rate(2 hours)", datetime(2026, 11, 25, 10, 0)),
])
def test_next_fire_time(expression, expected):
    assert Schedule(expression).next_after(T) == expected.replace(tzinfo=timezone.utc)


def test_windows_are_the_previous_hour_or_the_rate():
    assert Schedule("cron(0 * ? * * *)").window.total_seconds() == 3600
    assert Schedule("rate(5 minutes)").window.total_seconds() == 300


def test_a_year_that_has_passed_never_fires():
    assert Schedule("cron(0 0 1 1 ? 2020)").next_after(T) is None


@pytest.mark.parametrize("expression", ["cron(0 * * *)", "cron(61 * ? * * *)", "cron(0 * ? * ? *)",
                                        "cron(0 0 L * ? *)", "hourly", "rate(0 minutes)", "cron(5-1 * ? * * *)"])
def test_bad_expressions_are_validation_errors(expression):
    with pytest.raises(ValidationError, match="ScheduleExpression|rate"):
        Schedule(expression)
