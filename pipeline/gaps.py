"""Coverage gaps: articles a feed or listing page no longer lists because newsmon did not run for a while.

A feed holds its newest ~25 items, a listing page its newest ~20: after an outage longer than that, the first
read lists nothing already stored, and what was published in between would never be seen. `run` notices it
(`gap_window`) and fills it with the walk backfill uses (`fill_gap`): the listing's next pages until they reach
what was stored before; for a feed, the source's sitemaps (entries dated in the gap) or else its archive days.
A feed with neither cannot be filled: the gap is recorded and reported instead.

A fill is checkpointed like a backfill (job "gap N"): cut short by the source's deadline, the next run goes on
where it stopped, without requesting finished pages again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from newsmon.pipeline.ingest import Clock, SourceReport
from newsmon.pipeline.settings import SourceSettings
from newsmon.pipeline.walk import SourceWalk, Walker, WalkStats, Window
from newsmon.storage import coverage
from newsmon.storage.engine import Store
from newsmon.storage.models import CoverageGap

log = logging.getLogger(__name__)

NO_ROUTE = "none"
CANNOT_FILL = "no archive or sitemap configured: a feed alone cannot recover a gap"


def fill_route(src: SourceSettings, kind: str) -> str | None:
    """How a gap found in a discovery URL of `kind` can be filled, or None: a listing by its next pages; a
    feed from the source's sitemaps (one request lists many articles, with dates) or else its archive days."""
    if kind == "listing":
        return "listing"
    if src.sitemaps:
        return "sitemaps"
    if src.archives:
        return "archives"
    return None


def gap_window(stored_before: datetime | None, listed: Iterable[datetime | None], *, known_listed: bool
               ) -> tuple[datetime, datetime] | None:
    """The gap a read of one discovery URL reveals, as (start, end), or None. There is one when the URL had
    found articles before (`stored_before`: the newest of them; a first read has no history), lists none of the
    articles already stored (`known_listed` false), and the oldest it lists is newer than `stored_before`."""
    dates = [d for d in listed if d is not None]
    if stored_before is None or known_listed or not dates:
        return None
    oldest = min(dates)
    return (stored_before, oldest) if oldest > stored_before else None


def record_gap(store: Store, src: SourceSettings, source_id: int, discovery_url_id: int, kind: str,
               window: tuple[datetime, datetime], rep: SourceReport, now: Clock) -> int:
    """Keep the gap (its id is returned); one that no route can fill is unrecoverable at once (and said so)."""
    route = fill_route(src, kind)
    with store.write() as s:
        gap = coverage.open_gap(s, source_id, discovery_url_id, window[0], window[1], route or NO_ROUTE, now())
        gap_id = gap.id
        if route is None:
            coverage.finish_gap(s, gap_id, coverage.UNRECOVERABLE, now(), recovered=0, detail=CANNOT_FILL)
    span = coverage.utc_span(*window)
    if route is None:
        rep.notes.append(f"gap {span} not recoverable: {CANNOT_FILL}")
        rep.lost = True
        log.warning("%s: gap %s in what its %s listed; %s", src.name, span, kind, CANNOT_FILL)
    else:
        log.warning("%s: gap %s in what its %s listed; filling it from its %s", src.name, span, kind, route)
    return gap_id


@dataclass
class GapFill:
    """The fills of one source's open gaps, in one run."""

    walker: Walker
    src: SourceSettings
    source_id: int
    rep: SourceReport

    async def fill_all(self) -> None:
        """Fill every open gap, oldest first; a deadline (the caller's timeout) leaves the rest for later."""
        with self.walker.store.read() as s:
            gaps = coverage.gaps_to_fill(s, self.source_id)
        for gap in gaps:
            await self._fill(gap)

    async def _fill(self, gap: CoverageGap) -> None:
        stats = WalkStats(self.src.name, SourceReport(self.src.name))
        walk = SourceWalk(self.walker, self.src, self.source_id, stats, Window(gap.starts_at, gap.ends_at),
                          route="gap")
        span = coverage.utc_span(gap.starts_at, gap.ends_at)
        finished = False
        try:
            finished = await walk.fill(gap.route, f"gap {gap.id}")
        finally:
            recovered = stats.rep.new
            self.rep.new += recovered
            self.rep.failed += stats.rep.failed
            with self.walker.store.write() as s:
                coverage.finish_gap(s, gap.id, coverage.CLOSED if finished else coverage.OPEN, self.walker.now(),
                                    recovered=recovered, detail=None if finished else "the fill goes on next run")
            total = gap.recovered + recovered
            self.rep.notes.append(f"gap {span}: {total} articles recovered" if finished else
                                  f"gap {span}: {total} articles recovered so far; the fill goes on next run")
            log.info("%s: %s", self.src.name, self.rep.notes[-1])
