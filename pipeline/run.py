"""One ingest pass over the sources — discover → fetch → extract → classify → store — and the coverage gaps it
finds and fills.

Sources run concurrently; within a source, article pages are fetched one at a time per host (politeness)
while earlier pages are being extracted in worker processes. Every failure is contained: a bad item is
logged, remembered and skipped, a bad source is reported, and the rest of the run goes on. With no gap, a
run requests its feeds and listing pages and the new articles, nothing else; a gap costs requests in
proportion to its size (pipeline.gaps).

    run_sources(store, sources, fetch=..., extract=..., classifier=..., deadlines=...) -> RunReport
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence, Set
from datetime import datetime

from newsmon.errors import FetchError, NewsmonError, ParseError
from newsmon.pipeline import gaps
from newsmon.pipeline.classify import Classifies
from newsmon.pipeline.discover import Candidate, parse_feed, parse_listing
from newsmon.pipeline.fetch import Fetcher, Page
from newsmon.pipeline.ingest import (
    IN_SUMMARY,
    ArticleStage,
    BatchWriter,
    Clock,
    Found,
    RunReport,
    SourceReport,
    utc_now,
)
from newsmon.pipeline.robots import Robots
from newsmon.pipeline.settings import ExtractSettings, FetchSettings, SourceSettings
from newsmon.pipeline.urls import host_of, listing_page
from newsmon.pipeline.walk import Walker
from newsmon.pipeline.worker import WorkerPool
from newsmon.storage import articles, coverage, runs
from newsmon.storage.engine import Store
from newsmon.storage.models import DiscoveryURL

log = logging.getLogger(__name__)

MIN_FILL_SECONDS = 1.0   # a source's deadline leaving less than this after discovery: the gaps wait for next run


async def run_sources(store: Store, sources: Sequence[SourceSettings], *, fetch: FetchSettings,
                      extract: ExtractSettings, classifier: Classifies | None,
                      deadlines: Mapping[str, float] | None = None, now: Clock = utc_now) -> RunReport:
    """One ingest pass; records the run and each source's counts in the database. A source past its
    deadline (by name, seconds) keeps what it stored and is reported as failed."""
    with store.write() as s:
        run_id = runs.start_run(s, "run", now())
        ids = runs.source_ids(s, [src.name for src in sources])
    reports = [SourceReport(src.name) for src in sources]
    workers = WorkerPool(extract, classifier)
    status = "interrupted"
    try:
        async with Fetcher(fetch) as fetcher:
            stage = ArticleStage(store=store, fetcher=fetcher, workers=workers, now=now)
            # robots.txt is read only if a gap is filled: an ordinary run requests what it always did
            walker = Walker(store, fetcher, stage, Robots(fetcher, fetch.user_agent), now, fetch.max_bytes)
            await asyncio.gather(*(SourceRun(src, ids[src.name], rep, walker).run((deadlines or {}).get(src.name))
                                   for src, rep in zip(sources, reports)))
        status = "ok" if all(r.ok for r in reports) else "partial"
    finally:
        workers.close()
        with store.write() as s:
            for src, rep in zip(sources, reports):
                runs.save_run_source(s, run_id, ids[src.name], new=rep.new, updated=rep.updated,
                                     unchanged=rep.unchanged, failed=rep.failed, errors=rep.errors)
            runs.finish_run(s, run_id, status, now())
    return RunReport(reports, run_id)


class SourceRun:
    """One source in a run: its feeds and listing pages (page 1) read with conditional GET, the new links
    ingested, each discovery URL's health and validators recorded; then any gap found, filled in the time
    the source's deadline leaves."""

    def __init__(self, src: SourceSettings, source_id: int, rep: SourceReport, walker: Walker):
        self.src = src
        self.source_id = source_id
        self.rep = rep
        self.walker = walker
        self.stage = walker.stage
        self.store = walker.store
        self.reading: DiscoveryURL | None = None   # the discovery URL being read (its deadline error goes there)

    async def run(self, deadline: float | None) -> None:
        name = self.src.name
        loop = asyncio.get_running_loop()
        started = loop.time()
        timer = asyncio.timeout(deadline)
        try:
            async with timer:
                await self._run()
        except TimeoutError as e:
            if not timer.expired():
                self.rep.errors.append(f"internal error: {e!r}")
                log.exception("%s: unexpected error", name, extra=IN_SUMMARY)
                return
            self._deadline_passed(deadline)
            return
        except NewsmonError as e:
            self.rep.errors.append(str(e))
            log.error("%s: %s", name, e, extra=IN_SUMMARY)
        except Exception as e:  # one source's bug must not stop the others
            self.rep.errors.append(f"internal error: {e!r}")
            log.exception("%s: unexpected error", name, extra=IN_SUMMARY)
            return
        await self._fill_gaps(None if deadline is None else deadline - (loop.time() - started))

    def _deadline_passed(self, deadline: float | None) -> None:
        message = f"stopped at its deadline of {deadline:g} s (schedule.source_deadline); the rest waits"
        self.rep.errors.append(message)
        log.error("%s: %s", self.src.name, message, extra=IN_SUMMARY)
        if self.reading is not None:
            with self.store.write() as s:
                runs.record_discovery_result(s, self.reading.id, self.stage.now(), status=None,
                                             error=f"no complete answer before the source's deadline ({deadline:g} s)")

    async def _run(self) -> None:
        src = self.src
        urls = [(u, "feed") for u in src.feeds] + [(listing_page(u, 1), "listing") for u in src.listings]
        with self.store.write() as s:
            rows = [runs.discovery_url(s, self.source_id, u, kind) for u, kind in urls]
            stored_before = {row.id: coverage.newest_from(s, row.id) for row in rows}
        found: dict[str, Found] = {}
        fetched: dict[int, Page] = {}
        for row in rows:
            self.reading = row
            read = await self._read(row)
            if read is None:
                continue
            page, items = read
            fetched[row.id] = page
            for item in items:
                if item.url not in found:
                    found[item.url] = Found(item, [row.id], row.kind)
                    continue
                found[item.url].discovery_ids.append(row.id)
                if not found[item.url].candidate.summary and item.summary:
                    found[item.url] = Found(item, found[item.url].discovery_ids, found[item.url].route)
        self.reading = None
        self.rep.found = len(found)
        known, settled = self._note_known(list(found.values()))
        undated = self._find_gaps([row for row in rows if row.id in fetched and not fetched[row.id].not_modified],
                                  found, known.keys() | settled, stored_before)
        retry_later = await self._ingest(list(found.values()), known, settled)
        self._date_gaps(undated, found)
        with self.store.write() as s:
            for row in rows:
                page_read = fetched.get(row.id)
                if page_read is None:
                    continue
                count = sum(1 for f in found.values() if row.id in f.discovery_ids)
                runs.record_discovery_result(
                    s, row.id, self.stage.now(), status=page_read.status, error=None,
                    item_count=None if page_read.not_modified else count,
                    etag=page_read.headers.get("etag"), last_modified=page_read.headers.get("last-modified"),
                    keep_validators=row.id not in retry_later)

    async def _read(self, row: DiscoveryURL) -> tuple[Page, list[Candidate]] | None:
        """The page and the candidates of one discovery URL; None (recorded and reported) if it failed."""
        src = self.src
        try:
            page = await self.stage.fetcher.get(row.url, allowed_hosts=src.allowed_hosts | {host_of(row.url)},
                                                etag=row.etag, last_modified=row.last_modified)
            if page.not_modified:
                log.info("%s: %s not modified", src.name, row.url)
                return page, []
            if row.kind == "feed":
                items = parse_feed(page.content, page.url, page.headers, src.timezone)
            else:
                items = parse_listing(page.content, page.url, page.headers, src.article_url_pattern)
            if not items and row.last_item_count:
                raise ParseError(f"{row.url}: lists no articles (it listed {row.last_item_count} before); "
                                 "the site may have changed")
        except (FetchError, ParseError) as e:
            self.rep.errors.append(str(e))
            log.error("%s: %s", src.name, e, extra=IN_SUMMARY)
            with self.store.write() as s:
                runs.record_discovery_result(s, row.id, self.stage.now(), status=getattr(e, "status", None),
                                             error=str(e))
            return None
        log.info("%s: %s lists %d articles", src.name, row.url, len(items))
        return page, items

    async def _ingest(self, found: list[Found], known: Mapping[str, int], settled: set[str]) -> set[int]:
        """Store what is new (not `known`, not `settled`); returns the discovery URL ids whose items must be seen
        again next run."""
        new = [f for f in found if f.candidate.url not in known and f.candidate.url not in settled]
        writer = BatchWriter(self.store, self.src.name, self.rep, self.stage.now)
        try:
            results = await asyncio.gather(*(self.stage.ingest(self.src, self.source_id, f, self.rep, writer)
                                             for f in new))
        finally:
            writer.flush()  # also on interruption: what was fetched and extracted is kept
        return {du for f, transient in zip(new, results) if transient for du in f.discovery_ids}

    def _note_known(self, found: list[Found]) -> tuple[dict[str, int], set[str]]:
        """Of the links found, those already stored (url -> id: their summaries refreshed, their discovery URLs
        linked) and those refused for good before; both counted as unchanged or updated."""
        rep, now = self.rep, self.stage.now
        with self.store.write() as s:
            known = articles.known_articles(s, [f.candidate.url for f in found])
            settled = articles.settled_rejections(s, [f.candidate.url for f in found
                                                      if f.candidate.url not in known])
            seen_by: dict[int, list[int]] = {}
            for f in found:
                article_id = known.get(f.candidate.url)
                if article_id is None:
                    continue
                for du in f.discovery_ids:
                    seen_by.setdefault(du, []).append(article_id)
                if f.candidate.summary and articles.update_summary(s, article_id, f.candidate.summary, now()):
                    rep.updated += 1
                else:
                    rep.unchanged += 1
            for du, article_ids in seen_by.items():
                articles.link_discoveries(s, du, article_ids, now())
        rep.unchanged += len(settled)
        if settled:
            log.debug("%s: %d links refused before, not requested again", self.src.name, len(settled))
        return known, settled

    def _find_gaps(self, rows: Sequence[DiscoveryURL], found: Mapping[str, Found], seen: Set[str],
                   stored_before: Mapping[int, datetime | None]) -> dict[int, list[str]]:
        """A gap for each URL read that lists nothing `seen` before (stored, or refused for good), but found
        articles before (not the first read): from the newest of those to the oldest it lists now. Found before
        the new articles are stored, so that a run cut short by its deadline still keeps it. A listing page gives
        no dates: its gap ends now until its articles are stored (`_date_gaps`); returns those gaps' ids with
        their links."""
        undated: dict[int, list[str]] = {}
        for row in rows:
            listed = [f.candidate.url for f in found.values() if row.id in f.discovery_ids]
            dates = [found[u].candidate.published for u in listed]
            window = gaps.gap_window(stored_before.get(row.id), [d or self.stage.now() for d in dates],
                                     known_listed=not listed or any(u in seen for u in listed))
            if window is None:
                continue
            gap_id = gaps.record_gap(self.store, self.src, self.source_id, row.id, row.kind, window, self.rep,
                                     self.stage.now)
            if None in dates:
                undated[gap_id] = listed
        return undated

    def _date_gaps(self, undated: Mapping[int, list[str]], found: Mapping[str, Found]) -> None:
        """The end of a gap found in a listing: the oldest of its articles, now that they are stored."""
        for gap_id, listed in undated.items():
            with self.store.write() as s:
                dates = [d for d in articles.stored_published(s, listed).values() if d is not None]
                if dates:
                    coverage.set_gap_end(s, gap_id, min(dates))

    async def _fill_gaps(self, left: float | None) -> None:
        """Fill the source's open gaps in the time `left` before its deadline; what does not fit goes on in
        the next run (checkpointed), and is not a failure."""
        with self.store.read() as s:
            if not coverage.gaps_to_fill(s, self.source_id):
                return
        if left is not None and left < MIN_FILL_SECONDS:
            self.rep.notes.append("a gap waits for the next run (no time left before the source's deadline)")
            return
        timer = asyncio.timeout(left)
        try:
            async with timer:
                await gaps.GapFill(self.walker, self.src, self.source_id, self.rep).fill_all()
        except TimeoutError:
            if not timer.expired():
                raise
            log.info("%s: the source's deadline came during a gap's fill; the next run goes on", self.src.name)
        except NewsmonError as e:
            self.rep.errors.append(f"filling a gap: {e}")
            log.error("%s: filling a gap: %s", self.src.name, e, extra=IN_SUMMARY)
