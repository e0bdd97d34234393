"""How complete each source's coverage of a period is: the articles stored per day and the route that found
them (feed, listing, gap fill, backfill), the gaps newsmon found and what filling them recovered, and the days
whose volume fell far below the source's usual — what lets an analyst tell a quiet week from a broken feed.

    source_coverage(session, sources, start, end, tz, now) -> [SourceCoverage]   one per source, in order
    SourceCoverage.line() -> "complete" | "gap Tue 03:00–14:00, 37 articles recovered" | ...
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from newsmon.storage import coverage as stored
from newsmon.storage.engine import Session

BASELINE_DAYS = 28       # the usual volume is the median of this many days before
MIN_HISTORY_DAYS = 7     # and is trusted from this many days of history on
LOW_SHARE = 0.25         # a day under this share of the usual volume is "low volume"


@dataclass(frozen=True)
class Gap:
    start: datetime              # in the period's time zone
    end: datetime
    status: str                  # open | closed | unrecoverable
    recovered: int
    detail: str | None
    kind: str                    # feed | listing: what left the gap

    def span(self) -> str:
        """'Tue 03:00–14:00', or 'Tue 03:00–Thu 14:00' across days."""
        end = f"{self.end:%H:%M}" if self.end.date() == self.start.date() else f"{self.end:%a %H:%M}"
        return f"{self.start:%a %H:%M}–{end}"

    def text(self) -> str:
        if self.status == stored.CLOSED:
            return f"gap {self.span()}, {self.recovered} article{'s' if self.recovered != 1 else ''} recovered"
        if self.status == stored.UNRECOVERABLE:
            return f"gap {self.span()} not recoverable: {self.detail or 'no route to fill it'}"
        return f"gap {self.span()}, being filled ({self.recovered} articles recovered so far)"


@dataclass(frozen=True)
class LowDay:
    day: date
    articles: int
    usual: float                 # the median of the BASELINE_DAYS before


@dataclass(frozen=True)
class SourceCoverage:
    name: str
    title: str
    days: list[tuple[date, Counter[str]]]          # the period's days: articles by route
    gaps: list[Gap] = field(default_factory=list)
    low: list[LowDay] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.gaps and not self.low

    def line(self) -> str:
        """One line for a reader: "complete", or what was missing and what became of it."""
        parts = [g.text() for g in self.gaps]
        parts += [f"low volume {d.day:%a} ({d.articles} article{'s' if d.articles != 1 else ''}, usually "
                  f"{d.usual:.0f})" for d in self.low]
        return "; ".join(parts) if parts else "complete"

    def as_json(self) -> dict[str, object]:
        return {"source": self.name, "complete": self.complete, "line": self.line(),
                "days": [{"day": d.isoformat(), "articles": sum(c.values()), "routes": dict(c)}
                         for d, c in self.days],
                "gaps": [{"start": g.start.isoformat(), "end": g.end.isoformat(), "status": g.status,
                          "recovered": g.recovered, "detail": g.detail, "found_in": g.kind} for g in self.gaps],
                "low_volume": [{"day": d.day.isoformat(), "articles": d.articles, "usual": round(d.usual, 1)}
                               for d in self.low]}


def source_coverage(session: Session, sources: Mapping[str, str], start: datetime, end: datetime, tz: ZoneInfo,
                    now: datetime) -> list[SourceCoverage]:
    """The coverage of [start, end) for `sources` (name -> title), days in `tz`."""
    first_day = start.astimezone(tz).date()
    days = [first_day + timedelta(days=i)
            for i in range(((end - timedelta(microseconds=1)).astimezone(tz).date() - first_day).days + 1)]
    per_day: dict[str, dict[date, Counter[str]]] = {name: {} for name in sources}
    first_seen: dict[str, date] = {}
    for name, when, route in stored.stored_between(session, start - timedelta(days=BASELINE_DAYS), end):
        if name in per_day:
            day = when.astimezone(tz).date()
            per_day[name].setdefault(day, Counter())[route] += 1
            first_seen[name] = min(first_seen.get(name, day), day)
    run_rows = stored.runs_since(session, start)
    failing_days = {(name, started.astimezone(tz).date()) for name, started, failed in run_rows if failed}
    run_days = {(name, started.astimezone(tz).date()) for name, started, _ in run_rows}
    gaps: dict[str, list[Gap]] = {name: [] for name in sources}
    for row in stored.gaps_between(session, start, end):
        if row.source in gaps:
            gaps[row.source].append(Gap(row.gap.starts_at.astimezone(tz), row.gap.ends_at.astimezone(tz),
                                        row.gap.status, row.gap.recovered, row.gap.detail, row.kind))
    out = []
    for name, title in sources.items():
        counts = per_day[name]
        low = [LowDay(day, sum(counts.get(day, Counter()).values()), usual)
               for day in days
               if (usual := _usual(counts, day, first_seen.get(name))) is not None
               and datetime.combine(day + timedelta(days=1), datetime.min.time(), tz) <= now
               and (name, day) in run_days and (name, day) not in failing_days
               and sum(counts.get(day, Counter()).values()) < usual * LOW_SHARE]
        out.append(SourceCoverage(name, title, [(day, counts.get(day, Counter())) for day in days], gaps[name], low))
    return out


def _usual(counts: Mapping[date, Counter[str]], day: date, first: date | None) -> float | None:
    """The median articles a day over the BASELINE_DAYS before `day`, once there are MIN_HISTORY_DAYS of them."""
    if first is None or (day - first).days < MIN_HISTORY_DAYS:
        return None
    window = [sum(counts.get(day - timedelta(days=i), Counter()).values())
              for i in range(1, BASELINE_DAYS + 1) if day - timedelta(days=i) >= first]
    return statistics.median(window) if window else None
