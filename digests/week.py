"""Where the week is computed: an ISO week in the digest time zone, Monday 00:00 to Monday 00:00 local.

An article belongs to the week its published time (fetched time when the site gave none), converted to the
digest time zone, falls in. `Week.start`/`Week.end` are aware datetimes in that zone, so comparing them
with UTC instants from storage is exact, summer time included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

_WEEK_RE = re.compile(r"^\s*(\d{4})-?[Ww](\d{1,2})\s*$")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Week:
    """ISO week `year`-W`number` in time zone `tz`."""

    year: int
    number: int
    tz: ZoneInfo
    noun: ClassVar[str] = "week"      # what a reader calls the period (digests.period.Day says "day")
    this: ClassVar[str] = "this week"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def first_day(self) -> date:
        return self.monday

    @property
    def last_day(self) -> date:
        return self.sunday

    @property
    def start(self) -> datetime:
        """Monday 00:00 local (inclusive)."""
        return datetime.combine(self.monday, time(), self.tz)

    @property
    def end(self) -> datetime:
        """The next Monday 00:00 local (exclusive)."""
        return datetime.combine(self.monday + timedelta(days=7), time(), self.tz)

    @property
    def label(self) -> str:
        """'2025-W36'."""
        return f"{self.year}-W{self.number:02d}"

    @property
    def span(self) -> str:
        """'1–7 Sep', '29 Sep–5 Oct', '29 Dec–4 Jan'."""
        a, b = self.monday, self.sunday
        if a.month == b.month:
            return f"{a.day}–{b.day} {_MONTHS[b.month - 1]}"
        return f"{a.day} {_MONTHS[a.month - 1]}–{b.day} {_MONTHS[b.month - 1]}"

    @property
    def long_span(self) -> str:
        """'1–7 Sep 2025' (the year of the Sunday)."""
        return f"{self.span} {self.sunday.year}"

    def shifted(self, weeks: int) -> Week:
        return week_of(self.start + timedelta(weeks=weeks, hours=12), self.tz)

    def previous(self) -> Week:
        return self.shifted(-1)

    def contains(self, when: datetime) -> bool:
        return self.start <= when < self.end

    def is_over(self, now: datetime) -> bool:
        return now >= self.end

    def __str__(self) -> str:
        return self.label


def week_of(when: datetime, tz: ZoneInfo) -> Week:
    """The week an aware instant falls in, in `tz`."""
    if when.tzinfo is None:
        raise ValueError("naive datetime given to week_of")
    year, number, _ = when.astimezone(tz).isocalendar()
    return Week(year, number, tz)


def last_complete_week(now: datetime, tz: ZoneInfo) -> Week:
    """The latest week that is over at `now`: on Monday 08:00 that is the week that just ended."""
    return week_of(now, tz).previous()


def parse_week(text: str, tz: ZoneInfo) -> Week:
    """'2025-W36' (also '2025W36', '2025-w6') -> Week; ValueError with a readable message otherwise."""
    m = _WEEK_RE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not an ISO week like 2025-W36")
    year, number = int(m.group(1)), int(m.group(2))
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError:
        raise ValueError(f"{text!r}: {year} has no ISO week {number}") from None
    return Week(year, number, tz)


def weeks_ending(week: Week, count: int) -> list[Week]:
    """`count` consecutive weeks, oldest first, the last one being `week`."""
    return [week.shifted(-i) for i in range(count - 1, -1, -1)]
