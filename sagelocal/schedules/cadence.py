"""What a monitoring schedule's ScheduleConfig means, as Model Monitor allows it: when executions fire and
which window of captured data each one analyses.

Model Monitor accepts only these expressions (API_ScheduleConfig): ``cron(0 * ? * * *)`` (hourly),
``cron(0 H ? * * *)`` (daily at hour H), ``cron(0 H/N ? * * *)`` (every N hours from hour H) and ``NOW`` (one
execution, at once). The window is given by DataAnalysisStartTime / DataAnalysisEndTime, ISO 8601 offsets from
the scheduled time (``-PT5H``), at most 24 hours apart and required for NOW; without them an execution analyses
the data since the schedule's previous fire time: the hour before for hourly, the N hours before for every N
hours, the day before for daily. Fire times follow cron: ``cron(0 17/12 ? * * *)`` fires at 17:00 only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sagelocal.errors import ValidationError
from sagelocal.schedules.cron import Schedule

NOW = "NOW"
_HOURLY = re.compile(r"^cron\(0 \* \? \* \* \*\)$")
_DAILY = re.compile(r"^cron\(0 (\d{1,2}) \? \* \* \*\)$")
_EVERY = re.compile(r"^cron\(0 (\d{1,2})/(\d{1,2}) \? \* \* \*\)$")
_OFFSET = re.compile(r"^([-+])?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_MAX_WINDOW = timedelta(hours=24)
SUPPORTED = ("cron(0 * ? * * *) (hourly), cron(0 [00-23] ? * * *) (daily), cron(0 [00-23]/[01-24] ? * * *) "
             "(every N hours) or NOW")


@dataclass(frozen=True)
class Cadence:
    expression: str
    start_offset: timedelta | None
    end_offset: timedelta | None

    @property
    def one_time(self) -> bool:
        return self.expression == NOW

    def next_after(self, moment: datetime) -> datetime | None:
        return None if self.one_time else Schedule(self.expression).next_after(moment)

    def window(self, fire: datetime) -> tuple[datetime, datetime]:
        """The [start, end) of captured data the execution scheduled at ``fire`` analyses: the offsets' window, or
        the span between the schedule's last two fire times, ending at ``fire`` (an execution run by hand between
        fire times analyses a span as long, ending when it runs)."""
        if self.start_offset is not None:
            return fire + self.start_offset, fire + self.end_offset
        last = self._latest_fire(fire + timedelta(microseconds=1))
        return fire - (last - self._latest_fire(last)), fire

    def _latest_fire(self, before: datetime) -> datetime:
        """The latest fire time strictly before ``before`` (every accepted cron fires at least once a day)."""
        latest = moment = before - timedelta(days=1, minutes=1)
        while (moment := self.next_after(moment)) is not None and moment < before:
            latest = moment
        return latest


def cadence(schedule_config: dict) -> Cadence:
    """Validate a ScheduleConfig as Model Monitor does; ValidationException names what is wrong."""
    expression = (schedule_config.get("ScheduleExpression") or "").strip()
    _check_expression(expression)
    start_text, end_text = schedule_config.get("DataAnalysisStartTime"), schedule_config.get("DataAnalysisEndTime")
    if (start_text is None) != (end_text is None) or (expression == NOW and start_text is None):
        raise ValidationError("DataAnalysisStartTime and DataAnalysisEndTime must be given together"
                              + (" and are required when ScheduleExpression is NOW." if expression == NOW else "."))
    start = end = None
    if start_text is not None:
        start, end = duration_offset(start_text, "DataAnalysisStartTime"), duration_offset(end_text, "DataAnalysisEndTime")
        if start >= end:
            raise ValidationError(f"DataAnalysisStartTime {start_text} must be earlier than DataAnalysisEndTime "
                                  f"{end_text}.")
        if end - start > _MAX_WINDOW:
            raise ValidationError(f"DataAnalysisStartTime {start_text} must not precede DataAnalysisEndTime "
                                  f"{end_text} by more than 24 hours.")
        if end > timedelta(0):
            raise ValidationError(f"DataAnalysisEndTime {end_text} must not be after the scheduled time.")
    return Cadence(expression, start, end)


def _check_expression(expression: str) -> None:
    daily, every = _DAILY.match(expression), _EVERY.match(expression)
    if (expression == NOW or _HOURLY.match(expression) or (daily and int(daily[1]) <= 23)
            or (every and int(every[1]) <= 23 and 1 <= int(every[2]) <= 24)):
        return
    raise ValidationError(f"Invalid ScheduleExpression {expression!r}: Model Monitor supports {SUPPORTED}.")


def duration_offset(text: str, field: str) -> timedelta:
    """An ISO 8601 duration offset such as ``-PT1H`` or ``-P1D`` (ValidationException naming ``field``)."""
    match = _OFFSET.match(text)
    if not match or not any(match.groups()[1:]):
        raise ValidationError(f"{field} {text!r} is not an ISO 8601 duration offset such as -PT1H.")
    sign = -1 if match[1] == "-" else 1
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups()[1:])
    return sign * timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
