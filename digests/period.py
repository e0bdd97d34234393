"""A digest's period: an ISO week (digests.week) for a weekly subscription, one calendar day for a daily one,
both in the subscription's time zone.

`Day` offers what the renderer, the chart and the schedule read of a `Week` (label, bounds, spans, the
previous period, the words a reader sees), so one renderer serves both: a daily digest is the weekly one
over a day, compared with the day before. A day is midnight to midnight local, so a day of a summer-time
change lasts 23 or 25 hours and is still one digest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from newsmon.digests.week import Week, last_complete_week, parse_week, week_of

CADENCES = ("weekly", "daily", "instant")
SCHEDULED = ("weekly", "daily")          # the cadences with a period and a send time
HISTORY = {"weekly": 8, "daily": 14}     # periods in the chart, the reported one last
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAY_RE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")


@dataclass(frozen=True)
class Day:
    """One calendar day in time zone `tz`."""

    day: date
    tz: ZoneInfo
    noun: ClassVar[str] = "day"
    this: ClassVar[str] = "this day"

    @property
    def first_day(self) -> date:
        return self.day

    @property
    def last_day(self) -> date:
        return self.day

    @property
    def start(self) -> datetime:
        """00:00 local (inclusive)."""
        return datetime.combine(self.day, time(), self.tz)

    @property
    def end(self) -> datetime:
        """The next day's 00:00 local (exclusive)."""
        return datetime.combine(self.day + timedelta(days=1), time(), self.tz)

    @property
    def label(self) -> str:
        """'2026-03-29'."""
        return self.day.isoformat()

    @property
    def span(self) -> str:
        """'Sun 29 Mar'."""
        return f"{self.day:%a} {self.day.day} {_MONTHS[self.day.month - 1]}"

    @property
    def long_span(self) -> str:
        """'Sun 29 Mar 2026'."""
        return f"{self.span} {self.day.year}"

    def shifted(self, days: int) -> Day:
        return Day(self.day + timedelta(days=days), self.tz)

    def previous(self) -> Day:
        return self.shifted(-1)

    def contains(self, when: datetime) -> bool:
        return self.start <= when < self.end

    def is_over(self, now: datetime) -> bool:
        return now >= self.end

    def __str__(self) -> str:
        return self.label


Period = Week | Day


def day_of(when: datetime, tz: ZoneInfo) -> Day:
    """The day an aware instant falls on, in `tz`."""
    if when.tzinfo is None:
        raise ValueError("naive datetime given to day_of")
    return Day(when.astimezone(tz).date(), tz)


def parse_day(text: str, tz: ZoneInfo) -> Day:
    """'2026-03-29' -> Day; ValueError with a readable message otherwise."""
    m = _DAY_RE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a day like 2026-03-29")
    try:
        return Day(date(int(m.group(1)), int(m.group(2)), int(m.group(3))), tz)
    except ValueError as e:
        raise ValueError(f"{text!r}: {e}") from None


def period_of(cadence: str, when: datetime, tz: ZoneInfo) -> Period:
    """The week (weekly) or day (daily) that `when` falls in."""
    return week_of(when, tz) if cadence == "weekly" else day_of(when, tz)


def last_complete(cadence: str, now: datetime, tz: ZoneInfo) -> Period:
    """The latest period over at `now`: last week, or yesterday."""
    return last_complete_week(now, tz) if cadence == "weekly" else day_of(now, tz).previous()


def parse_period(cadence: str, text: str, tz: ZoneInfo) -> Period:
    """A period's label back into the period: '2025-W36' for weekly, '2026-03-29' for daily."""
    return parse_week(text, tz) if cadence == "weekly" else parse_day(text, tz)


def periods_ending(period: Period, count: int) -> list[Period]:
    """`count` consecutive periods, oldest first, the last one being `period`."""
    return [period.shifted(-i) for i in range(count - 1, -1, -1)]
