"""`newsmon backfill`: the past articles of a date range, from sitemaps, dated archives and listing pages
(`pipeline.walk` does the walking), or the article URLs of a file (`--urls`).

Every source walks at once; one source's failure never stops the others; a spent request budget
(`--max-requests`) stops each where it is, and the same command continues later. The report counts what
happened for the summary and the progress display.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from newsmon.config import Config
from newsmon.errors import NewsmonError, RequestBudgetSpent
from newsmon.pipeline.classify import Classifies
from newsmon.pipeline.discover import Candidate
from newsmon.pipeline.fetch import Fetcher
from newsmon.pipeline.ingest import IN_SUMMARY, ArticleStage, Clock, SourceReport, utc_now
from newsmon.pipeline.robots import Robots
from newsmon.pipeline.settings import SourceSettings
from newsmon.pipeline.urls import canonicalize, host_of
from newsmon.pipeline.walk import SourceWalk, Walker, WalkStats, Window, window_for
from newsmon.pipeline.worker import WorkerPool
from newsmon.storage import checkpoints, runs
from newsmon.storage.engine import Store

log = logging.getLogger(__name__)

URLS_BATCH = 200             # lines of a --urls file read at a time


@dataclass
class BackfillReport:
    sources: list[WalkStats] = field(default_factory=list)
    window: Window | None = None
    requests: int = 0
    unassigned: int = 0        # --urls lines no source could take
    errors: list[str] = field(default_factory=list)   # failures outside any one source
    budget_spent: bool = False
    started: float = field(default_factory=time.monotonic)

    def total(self, name: str) -> int:
        return sum(getattr(s, name) if hasattr(s, name) else getattr(s.rep, name) for s in self.sources)

    @property
    def exit_code(self) -> int:
        return 0 if all(s.ok for s in self.sources) and not self.unassigned and not self.errors else 1

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.total("fetched") / elapsed if elapsed > 0 else 0.0

    def status_line(self) -> str:
        """One line of progress, for logs that are not a terminal."""
        return (f"backfill: {self.total('discovered'):,} links discovered, {self.total('fetched'):,} of "
                f"{self.total('queued'):,} fetched, {self.total('new'):,} stored ({self.total('tagged'):,} tagged), "
                f"{self.total('failed'):,} failed; {self.total('pages'):,} pages; {self.rate():.1f} articles/s")

    def lines(self) -> list[str]:
        out = [s.line() for s in self.sources]
        if self.unassigned:
            out.append(f"{self.unassigned} URLs belong to no selected source (see the log)")
        out += [f"error: {e}" for e in self.errors]
        elapsed = time.monotonic() - self.started
        out.append(f"backfill{' ' + str(self.window) if self.window else ''}: {self.total('new'):,} stored "
                   f"({self.total('tagged'):,} tagged), {self.requests:,} requests in {elapsed:.1f} s")
        if self.budget_spent:
            out.append("stopped at --max-requests; run the same command again to continue")
        return out


Progress = Callable[[BackfillReport], None]


# ---- the command ------------------------------------------------------------------------------------

async def run_backfill(cfg: Config, store: Store, sources: Sequence[SourceSettings], *, since: date | None,
                       until: date | None = None, urls_file: Path | None = None, classifier: Classifies | None,
                       max_requests: int | None = None, ignore_robots: bool = False,
                       progress: Progress | None = None, report: BackfillReport | None = None,
                       now: Clock = utc_now) -> BackfillReport:
    """Backfill `sources` over the days `since`..`until` (digest time zone, inclusive; `until` defaults to
    today), or ingest the URLs of `urls_file` (range optional). Fills and returns `report`; an interruption
    (CancelledError, KeyboardInterrupt) leaves everything finished so far saved."""
    report = report if report is not None else BackfillReport()
    tz = cfg.digest.timezone
    window = None
    if since is not None:
        window = window_for(since, until or now().astimezone(tz).date(), tz)
    elif urls_file is None:
        raise ValueError("since is required without urls_file")
    report.window = window
    with store.write() as s:
        ids = runs.source_ids(s, [src.name for src in sources])
    workers = WorkerPool(cfg.extract, classifier)
    try:
        async with Fetcher(cfg.fetch, max_requests=max_requests) as fetcher:
            def tick() -> None:
                report.requests = fetcher.requests
                if progress is not None:
                    progress(report)

            stage = ArticleStage(store=store, fetcher=fetcher, workers=workers, now=now)
            robots = None if ignore_robots else Robots(fetcher, cfg.fetch.user_agent)
            walker = Walker(store, fetcher, stage, robots, now, cfg.fetch.max_bytes, on_progress=tick)
            walks = []
            for src in sources:
                stats = WalkStats(src.name, SourceReport(src.name))
                report.sources.append(stats)
                walks.append(SourceWalk(walker, src, ids[src.name], stats, window))
            if urls_file is not None:
                await _guarded(report, _from_urls(walks, urls_file, report), None)
            else:
                assert since is not None
                await _discover_all(report, walks, since, until, store, now)
            tick()
    finally:
        workers.close()
    return report


async def _discover_all(report: BackfillReport, walks: Sequence[SourceWalk], since: date, until: date | None,
                        store: Store, now: Clock) -> None:
    """Every source's walk at once; the jobs of those that completed are finished unless the budget ran out
    (a rerun then resumes them all)."""
    await asyncio.gather(*(_guarded(report, w.discover(since, until), w) for w in walks if _has_discovery(w)))
    if not report.budget_spent:
        with store.write() as s:
            for w in walks:
                if w.stats.complete and w.job_id is not None:
                    checkpoints.close_job(s, w.job_id, "finished", now())


def _has_discovery(b: SourceWalk) -> bool:
    if b.src.sitemaps or b.src.archives or b.src.listings:
        return True
    b.stats.nothing_to_do = True
    log.warning("%s: no listings, archives or sitemaps configured; nothing to backfill", b.src.name)
    return False


async def _guarded(report: BackfillReport, work: Coroutine[Any, Any, None], b: SourceWalk | None) -> None:
    """One source's failure never stops the others; a spent budget stops each where it is."""
    errors = b.stats.rep.errors if b is not None else report.errors
    name = b.src.name if b is not None else "backfill"
    try:
        await work
    except* RequestBudgetSpent:
        if not report.budget_spent:
            log.warning("--max-requests reached; stopping (run the same command again to continue)")
        report.budget_spent = True
    except* NewsmonError as group:
        for e in group.exceptions:
            errors.append(str(e))
            log.error("%s: %s", name, e, extra=IN_SUMMARY)
    except* Exception as bugs:  # one source's bug must not stop the others
        for bug in bugs.exceptions:
            errors.append(f"internal error: {bug!r}")
            log.error("%s: unexpected error", name, exc_info=bug, extra=IN_SUMMARY)


async def _from_urls(walks: list[SourceWalk], path: Path, report: BackfillReport) -> None:
    """`--urls FILE`: each URL goes to the first source whose allowed_hosts holds its host; no discovery."""
    owners: dict[str, SourceWalk] = {}
    for b in walks:
        for host in b.src.allowed_hosts:
            owners.setdefault(host, b)
    for batch in _batches(_url_lines(path), URLS_BATCH):
        groups: dict[str, list[Candidate]] = {}
        for line_no, url in batch:
            owner = owners.get(host_of(url)) if url.lower().startswith(("http://", "https://")) else None
            if owner is None:
                report.unassigned += 1
                log.error("%s:%d: %s: no selected source's allowed_hosts holds its host", path, line_no, url)
                continue
            groups.setdefault(owner.src.name, []).append(
                Candidate(url=canonicalize(url), link=url, found_by=f"{path}:{line_no}"))
        await asyncio.gather(*(b.ingest_links(groups[b.src.name]) for b in walks if b.src.name in groups))
    for b in walks:
        b.stats.complete = True


def _url_lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as f:
        for i, line in enumerate(f, start=1):
            url = line.strip()
            if url and not url.startswith("#"):
                yield i, url


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
