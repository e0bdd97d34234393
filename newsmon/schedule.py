"""When the daemon does what: the digest's send times, and noticing that the clock jumped.

Pure: the clock is a parameter. The database, not the scheduler, remembers what was done; these decide
from it what is due.

    DigestSchedule.due(now, sent=..., pending=..., watching_since=...) -> [Week]   the digests to send now
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger

from newsmon.config import DAYS
from newsmon.digests.settings import DigestSettings
from newsmon.digests.week import Week, last_complete_week, parse_week, week_of

JUMP_SECONDS = 60.0           # the wall clock moving this much more (or less) than the monotonic one is a jump


@dataclass(frozen=True)
class DigestSchedule:
    """`[digest] send_at` in `[digest] timezone`: the digest of an ISO week is due at that weekday and time
    of the week after it."""

    tz: ZoneInfo
    weekday: int          # 0 = Monday
    at: clock_time

    @classmethod
    def from_config(cls, digest: DigestSettings) -> DigestSchedule:
        day, hhmm = digest.send_at.strip().lower().split()
        hour, minute = hhmm.split(":")
        return cls(digest.timezone, DAYS.index(day), clock_time(int(hour), int(minute)))

    def send_time(self, week: Week) -> datetime:
        """When the digest of `week` is due, in UTC. A wall time that a DST change skips is read with the
        offset before the change (Europe/Berlin 02:30 on the spring Sunday is 03:30 summer time); a wall time
        that happens twice is its first occurrence. Either way there is exactly one send time a week."""
        day = week.monday + timedelta(days=7 + self.weekday)
        return datetime.combine(day, self.at, self.tz).astimezone(UTC)

    def next_send_time(self, after: datetime, *, inclusive: bool = False) -> datetime:
        """The first send time after `after` (or at it, with `inclusive`)."""
        week = week_of(after, self.tz).previous()   # its digest is due during the week of `after`
        for k in range(3):
            at = self.send_time(week.shifted(k))
            if at > after or (inclusive and at == after):
                return at
        raise AssertionError("a week without a send time")

    def due(self, now: datetime, *, sent: Collection[str], pending: Collection[str] = (),
            watching_since: datetime | None) -> list[Week]:
        """The digests to send at `now`: those left in the outbox by a failed send (`pending`), then that of
        the latest week whose send time has passed (the last complete week's from its send time on; until
        then the week before's, which a late `send_at` such as "sun 02:30" leaves little time for) — unless
        it was sent, or newsmon was not running yet at that send time (`watching_since`: its first run), so a
        new installation does not open with a digest of a week it never watched."""
        out = [parse_week(label, self.tz) for label in sorted(pending)]
        week = last_complete_week(now, self.tz)
        at = self.send_time(week)
        if now < at:
            week = week.previous()
            at = self.send_time(week)
        if week.label not in sent and week.label not in pending and watching_since is not None \
                and watching_since <= at:
            out.append(week)
        return out


class DigestTrigger(BaseTrigger):  # type: ignore[misc]  # APScheduler 3 publishes no types
    """APScheduler trigger firing at each send time of a DigestSchedule (aware UTC datetimes)."""

    __slots__ = ("schedule",)

    def __init__(self, schedule: DigestSchedule) -> None:
        self.schedule = schedule

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime:
        if previous_fire_time is None:
            return self.schedule.next_send_time(now, inclusive=True)
        return self.schedule.next_send_time(previous_fire_time)

    def __str__(self) -> str:
        return f"digest[{DAYS[self.schedule.weekday]} {self.schedule.at:%H:%M} {self.schedule.tz.key}]"


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
