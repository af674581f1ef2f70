"""Schedule expressions: AWS cron, plus ``rate(...)`` for short demo intervals.

``cron(Minutes Hours Day-of-month Month Day-of-week Year)`` as EventBridge and Model Monitor read it: ``*``,
``?`` (any; allowed in day-of-month or day-of-week), lists ``a,b``, ranges ``a-b``, steps ``*/n`` and ``a-b/n``,
month names JAN-DEC, weekday names SUN-SAT (1 = SUNDAY). ``L``, ``W`` and ``#`` are refused.
``rate(N minute|minutes|hour|hours|day|days)`` fires every N units from the epoch (sagelocal's demo syntax,
as in EventBridge). Times are UTC.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sagelocal.errors import ValidationError

_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), start=1)}
_DAYS = {d: i for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split(), start=1)}
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}


class Schedule:
    """A parsed expression: ``next_after(t)`` is the first fire time strictly after ``t``."""

    def __init__(self, expression: str):
        self.expression = expression.strip()
        rate = _RATE.match(self.expression)
        if rate:
            self.period = int(rate[1]) * _UNITS[rate[2].rstrip("s")]
            if self.period <= 0:
                raise ValidationError(f"Invalid rate in ScheduleExpression {expression!r}")
            return
        self.period = None
        match = re.match(r"^cron\((.*)\)$", self.expression)
        fields = match[1].split() if match else []
        if len(fields) != 6:
            raise ValidationError(f"Invalid ScheduleExpression {expression!r}: expected cron(Minutes Hours "
                                  "Day-of-month Month Day-of-week Year) or rate(N minutes|hours|days)")
        minute, hour, dom, month, dow, year = fields
        if dom == "?" and dow == "?":
            raise ValidationError(f"Invalid ScheduleExpression {expression!r}: '?' in both day fields")
        self.minutes = _field(minute, 0, 59, {}, expression)
        self.hours = _field(hour, 0, 23, {}, expression)
        self.dom = None if dom in ("?", "*") else _field(dom, 1, 31, {}, expression)
        self.months = _field(month, 1, 12, _MONTHS, expression)
        self.dow = None if dow in ("?", "*") else _field(dow, 1, 7, _DAYS, expression)
        self.years = _field(year, 1970, 2199, {}, expression)

    @property
    def window(self) -> timedelta:
        """How much capture one execution analyses: the rate's period, else the hour before the fire time."""
        return timedelta(seconds=self.period) if self.period else timedelta(hours=1)

    def next_after(self, moment: datetime) -> datetime | None:
        moment = moment.astimezone(timezone.utc)
        if self.period:
            epoch = int(moment.timestamp()) // self.period * self.period + self.period
            return datetime.fromtimestamp(epoch, timezone.utc)
        candidate = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        for _ in range(366 * 24 * 60 * 5):  # bounded: at most five years of minutes
            if candidate.year > 2199:
                return None
            if candidate.month not in self.months or candidate.year not in self.years:
                candidate = (candidate.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
                continue
            if not self._day_matches(candidate):
                candidate = candidate.replace(hour=0, minute=0) + timedelta(days=1)
                continue
            if candidate.hour not in self.hours:
                candidate = candidate.replace(minute=0) + timedelta(hours=1)
                continue
            if candidate.minute in self.minutes:
                return candidate
            candidate += timedelta(minutes=1)
        return None

    def _day_matches(self, moment: datetime) -> bool:
        weekday = (moment.isoweekday() % 7) + 1  # AWS: 1 = Sunday
        if self.dom is None and self.dow is None:
            return True
        if self.dom is None:
            return weekday in self.dow
        if self.dow is None:
            return moment.day in self.dom
        return moment.day in self.dom or weekday in self.dow


def _field(text: str, low: int, high: int, names: dict, expression: str) -> set[int]:
    values: set[int] = set()
    for part in text.upper().split(","):
        base, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if base in ("*", "?"):
                start, end = low, high
            elif "-" in base:
                first, last = base.split("-", 1)
                start, end = _value(first, names), _value(last, names)
            else:
                start = _value(base, names)
                end = high if step_text else start
        except ValueError:
            raise ValidationError(f"Invalid ScheduleExpression {expression!r}: cannot read {part!r}") from None
        if step < 1 or not (low <= start <= high and low <= end <= high) or start > end:
            raise ValidationError(f"Invalid ScheduleExpression {expression!r}: {part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def _value(text: str, names: dict) -> int:
    return names[text] if text in names else int(text)
