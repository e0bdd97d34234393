"""When the daemon does what: each digest's send times (weekly or daily), and noticing that the clock jumped.

Pure: the clock is a parameter. The database, not the scheduler, remembers what was done; these decide
from it what is due.

    DigestSchedule.due(now, sent=..., pending=..., watching_since=...) -> [Period]   the digests to send now
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger

from newsmon.config import DAYS
from newsmon.digests.period import Period, last_complete, parse_period, period_of
from newsmon.digests.settings import DigestSettings, SubscriptionSettings

JUMP_SECONDS = 60.0           # the wall clock moving this much more (or less) than the monotonic one is a jump


@dataclass(frozen=True)
class DigestSchedule:
    """When a scheduled digest is due, in its time zone: a weekly one (`send_at` "mon 08:00") sends the ISO
    week's digest at that weekday and time of the week after it; a daily one ("08:00") sends each day's
    digest at that time of the next day."""

    tz: ZoneInfo
    weekday: int          # 0 = Monday (weekly)
    at: clock_time
    cadence: str = "weekly"

    @classmethod
    def from_config(cls, digest: DigestSettings) -> DigestSchedule:
        """The [digest] table's schedule."""
        return cls.parse(digest.send_at, digest.timezone, "weekly")

    @classmethod
    def of(cls, sub: SubscriptionSettings) -> DigestSchedule:
        """A weekly or daily subscription's schedule."""
        return cls.parse(sub.send_at, sub.timezone, sub.cadence)

    @classmethod
    def parse(cls, send_at: str, tz: ZoneInfo, cadence: str) -> DigestSchedule:
        *day, hhmm = send_at.strip().lower().split()
        hour, minute = hhmm.split(":")
        return cls(tz, DAYS.index(day[0]) if day else 0, clock_time(int(hour), int(minute)), cadence)

    def send_time(self, period: Period) -> datetime:
        """When the digest of `period` is due, in UTC. A wall time that a DST change skips is read with the
        offset before the change (Europe/Berlin 02:30 on the spring Sunday is 03:30 summer time); a wall time
        that happens twice is its first occurrence. Either way there is exactly one send time a period."""
        if self.cadence == "weekly":
            day = period.first_day + timedelta(days=7 + self.weekday)
        else:
            day = period.first_day + timedelta(days=1)
        return datetime.combine(day, self.at, self.tz).astimezone(UTC)

    def next_send_time(self, after: datetime, *, inclusive: bool = False) -> datetime:
        """The first send time after `after` (or at it, with `inclusive`)."""
        period = period_of(self.cadence, after, self.tz).previous()   # its digest is due during `after`'s
        for k in range(3):
            at = self.send_time(period.shifted(k))
            if at > after or (inclusive and at == after):
                return at
        raise AssertionError("a period without a send time")

    def due(self, now: datetime, *, sent: Collection[str], pending: Collection[str] = (),
            watching_since: datetime | None) -> list[Period]:
        """The digests to send at `now`: those left in the outbox by a failed send (`pending`), then that of
        the latest period whose send time has passed (the last complete one's from its send time on; until
        then the one before's, which a late `send_at` such as "sun 02:30" leaves little time for) — unless
        it was sent, or newsmon was not running yet at that send time (`watching_since`: its first run), so a
        new installation does not open with a digest of a period it never watched."""
        out = [parse_period(self.cadence, label, self.tz) for label in sorted(pending)]
        period = last_complete(self.cadence, now, self.tz)
        at = self.send_time(period)
        if now < at:
            period = period.previous()
            at = self.send_time(period)
        if period.label not in sent and period.label not in pending and watching_since is not None \
                and watching_since <= at:
            out.append(period)
        return out

    def __str__(self) -> str:
        day = f"{DAYS[self.weekday]} " if self.cadence == "weekly" else "daily "
        return f"{day}{self.at:%H:%M} {self.tz.key}"


class DigestTrigger(BaseTrigger):  # type: ignore[misc]  # APScheduler 3 publishes no types
    """APScheduler trigger firing at each send time of one or more DigestSchedules (aware UTC datetimes)."""

    __slots__ = ("schedules",)

    def __init__(self, *schedules: DigestSchedule) -> None:
        self.schedules = schedules

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        if not self.schedules:
            return None
        if previous_fire_time is None:
            return min(s.next_send_time(now, inclusive=True) for s in self.schedules)
        return min(s.next_send_time(previous_fire_time) for s in self.schedules)

    def __str__(self) -> str:
        return f"digest[{', '.join(map(str, self.schedules))}]"


@dataclass
class ClockWatch:
    """Compares the wall clock with the monotonic clock, which stands still while the machine sleeps."""

    wall: datetime
    mono: float
    threshold: float = JUMP_SECONDS

    def observe(self, wall: datetime, mono: float) -> float | None:
        """Seconds the wall clock moved beyond the monotonic one since the last call, if that is a jump."""
        drift = (wall - self.wall).total_seconds() - (mono - self.mono)
        self.wall, self.mono = wall, mono
        return drift if abs(drift) >= self.threshold else None


def next_run_after(now: datetime, last_started: datetime | None, every: float) -> datetime:
    """When the next run is due after the clock jumped: now if one is overdue by the wall clock (or the clock
    went back before the last run), else one interval after the last run."""
    if last_started is None or now < last_started:
        return now
    return max(now, last_started + timedelta(seconds=every))
