"""Discovery over many pages for a date window: sitemaps, dated archive pages, numbered listing pages.

A walk reads each source's pages — sitemaps (indexes followed; `lastmod` and `news:publication_date` skip
what is out of range without a request), archives day by day over the window, listing pages from page 1 until
a page's articles are all older than the window — and hands their links, one page at a time, to the article
stage (`ArticleStage.ingest`: fetch → extract → classify → store). Its sink, `RangeSink`, drops what was
published outside the window before it is stored, and remembers it so that it is not fetched again.

Resumable: a discovery page is checkpointed (storage.checkpoints) only after the articles it listed are
stored or remembered, and an article already stored, remembered or refused for good is never requested
again. Bounded: one page's links in flight per source, so memory does not grow with the window; requests go
through one Fetcher (per-host spacing, robots.txt's Crawl-delay, an optional request budget).

    SourceWalk(walker, src, source_id, stats, window).discover(since, until)   `newsmon backfill`
    SourceWalk.ingest_links(candidates)                                        links from elsewhere (--urls)
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from datetime import time as dtime

from newsmon.errors import FetchError, NewsmonError, ParseError
from newsmon.pipeline.discover import Candidate, SitemapEntry, parse_listing, parse_sitemap
from newsmon.pipeline.fetch import Fetcher
from newsmon.pipeline.ingest import ArticleStage, BatchWriter, Clock, Found, SourceReport
from newsmon.pipeline.robots import Robots
from newsmon.pipeline.settings import SourceSettings
from newsmon.pipeline.urls import canonicalize, host_of, listing_page
from newsmon.storage import articles, checkpoints
from newsmon.storage.articles import NewArticle
from newsmon.storage.checkpoints import PageState
from newsmon.storage.engine import Store

log = logging.getLogger(__name__)

MAX_PAGE_ATTEMPTS = 3        # a discovery page that failed this often is not requested again by a resumed job
MAX_FAILED_IN_A_ROW = 3      # a page walk ends after this many failed pages in a row ...
MAX_EMPTY_IN_A_ROW = 2       # ... or this many pages without a single article link in a row
MAX_SITEMAP_DEPTH = 3        # sitemap index → index → urlset is as deep as sites go
CHUNK = 100                  # links of a sitemap handed to ingest at a time


# ---- the range --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    """A date range as instants: `start` inclusive, `end` exclusive."""

    start: datetime
    end: datetime

    def holds(self, when: datetime) -> bool:
        return self.start <= when < self.end

    def __str__(self) -> str:
        return f"{self.start.date().isoformat()}..{(self.end - timedelta(microseconds=1)).date().isoformat()}"


def day_bounds(since: date | None, until: date | None, tz: tzinfo) -> tuple[datetime | None, datetime | None]:
    """Calendar days in `tz`, both inclusive, as [start, end) instants; an open side stays None."""
    start = day_start(since, tz) if since else None
    end = day_start(until + timedelta(days=1), tz) if until else None
    return start, end


def window_for(since: date, until: date, tz: tzinfo) -> Window:
    """Calendar days in `tz` (the digest time zone), both inclusive."""
    return Window(day_start(since, tz), day_start(until + timedelta(days=1), tz))


def archive_days(window: Window, tz: tzinfo) -> list[date]:
    """The days, in the archive's own time zone, that overlap the range: newest first."""
    first = window.start.astimezone(tz).date()
    last = (window.end - timedelta(microseconds=1)).astimezone(tz).date()
    return [last - timedelta(days=i) for i in range((last - first).days + 1)]


def archive_url(template: str, day: date, page: int = 1) -> str:
    """`{date:%Y-%m-%d}` (any strftime format) and `{page}` filled in."""
    return template.format(date=day, page=page)


def day_start(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, dtime(), tz)


def sitemap_candidates(entries: Iterable[SitemapEntry], window: Window, pattern: re.Pattern[str] | None,
                       found_by: str) -> tuple[list[Candidate], int]:
    """Article candidates of a urlset, and how many were skipped as out of range without a request: a
    `news:publication_date` outside the range, or (with none) a `lastmod` before it. A later `lastmod` never
    skips: articles get edited."""
    out: list[Candidate] = []
    skipped = 0
    for e in entries:
        if pattern is not None and not pattern.search(e.url):
            continue
        if e.published is not None and not window.holds(e.published):
            skipped += 1
            continue
        if e.published is None and e.lastmod is not None and e.lastmod < window.start:
            skipped += 1
            continue
        out.append(Candidate(url=canonicalize(e.url), link=e.url, found_by=found_by, title=e.title,
                             published=e.published))
    return out, skipped


def fingerprint(candidates: Iterable[Candidate]) -> str:
    """Of a page's link set: two pages with the same one are the same page (a pagination loop)."""
    return hashlib.sha1("\n".join(sorted({c.url for c in candidates})).encode()).hexdigest()


def range_key(since: date, until: date | None) -> str:
    return f"{since.isoformat()}..{until.isoformat() if until else ''}"


# ---- what happened ---------------------------------------------------------------------------------------

@dataclass
class WalkStats:
    """Counts of one source's walk; `rep` holds stored (new), already stored (unchanged), failed, tagged."""

    name: str
    rep: SourceReport
    discovered: int = 0        # article links found by discovery
    queued: int = 0            # of them, to be requested
    fetched: int = 0           # article requests done (stored, skipped or failed)
    known: int = 0             # already stored: no request
    settled: int = 0           # refused for good before, or fetched by an earlier backfill out of its range
    listed_out: int = 0        # out of range by the sitemap's dates: no request
    out_of_range: int = 0      # fetched, published outside the range: not stored
    undated: int = 0           # fetched, no date at all: not stored
    robots: int = 0            # disallowed by robots.txt
    pages: int = 0             # discovery pages fetched
    pages_resumed: int = 0     # discovery pages finished before: not requested again
    pages_failed: int = 0
    nothing_to_do: bool = False
    resumed: bool = False
    complete: bool = False

    @property
    def tagged(self) -> int:
        return self.rep.tagged

    @property
    def failed(self) -> int:
        return self.rep.failed + self.pages_failed

    @property
    def ok(self) -> bool:
        return not self.failed and not self.rep.errors

    def line(self) -> str:
        if self.nothing_to_do:
            return f"{self.name}: nothing to backfill (no listings, archives or sitemaps configured)"
        text = (f"{self.name}: {self.rep.new} stored ({self.tagged} tagged), {self.known + self.rep.unchanged} "
                f"already stored, {self.out_of_range + self.listed_out + self.settled} outside the range or "
                f"refused before, {self.rep.failed} failed; {self.pages} pages fetched"
                + (f", {self.pages_resumed} done before" if self.pages_resumed else "")
                + (f", {self.pages_failed} failed" if self.pages_failed else ""))
        if self.undated:
            text += f"; {self.undated} without a date (not stored)"
        if self.robots:
            text += f"; {self.robots} disallowed by robots.txt"
        if self.rep.errors:
            text += f" — {self.rep.errors[0]}" + (f" (+{len(self.rep.errors) - 1} more)"
                                                  if len(self.rep.errors) > 1 else "")
        return text


# ---- the store stage, with the window ---------------------------------------------------------------------

class RangeSink:
    """The Sink of a walk: drops articles published outside `window` (or with no date at all) before they
    are stored, remembering them as skipped, hands the others to a BatchWriter, and notes every article's
    date for the listing walk (a page whose articles are all older than the window ends it)."""

    def __init__(self, store: Store, src: str, source_id: int, stats: WalkStats, now: Clock,
                 window: Window | None):
        self.store = store
        self.source = src
        self.source_id = source_id
        self.stats = stats
        self.now = now
        self.window = window
        self.writer = BatchWriter(store, src, stats.rep, now)
        self.seen: dict[str, datetime | None] = {}
        self.skips: list[tuple[str, datetime | None]] = []

    def add(self, record: NewArticle, discovery_ids: Sequence[int], link: str) -> None:
        key = canonicalize(link)
        self.seen[key] = record.published
        if self.window is not None and not self._in_window(record, link):
            self.skips.append((key, record.published))
            return
        self.writer.add(record, discovery_ids, link)

    def _in_window(self, record: NewArticle, link: str) -> bool:
        assert self.window is not None
        if record.published is None:
            self.stats.undated += 1
            log.warning("%s: %s has no publication date (nor did its discovery page give one); not stored",
                        self.source, link)
            return False
        if not self.window.holds(record.published):
            self.stats.out_of_range += 1
            log.info("%s: %s was published %s, outside %s; not stored", self.source, link,
                     record.published.isoformat(), self.window)
            return False
        return True

    def flush(self) -> None:
        if self.skips:
            skips, self.skips = self.skips, []
            with self.store.write() as s:
                checkpoints.remember_skips(s, self.source_id, skips, self.now())
        self.writer.flush()


# ---- what every source's walk shares ---------------------------------------------------------------------

@dataclass
class Walker:
    """The fetcher, robots.txt and article stage the walks of one command share, and a hook called after
    every request (progress)."""

    store: Store
    fetcher: Fetcher
    stage: ArticleStage
    robots: Robots | None
    now: Clock
    max_bytes: int
    on_progress: Callable[[], None] = lambda: None

    async def allows(self, url: str) -> bool:
        return self.robots is None or await self.robots.allows(url)


@dataclass
class _PageWalk:
    """What one walk over numbered pages has seen: link-set fingerprints (loops) and runs of bad pages."""

    prints: dict[str, str] = field(default_factory=dict)
    failed_in_a_row: int = 0
    empty_in_a_row: int = 0


class SourceWalk:
    """The walk of one source: discovery over its pages, then ingest a page at a time."""

    def __init__(self, walker: Walker, src: SourceSettings, source_id: int, stats: WalkStats,
                 window: Window | None, *, route: str = "backfill"):
        self.x = walker
        self.src = src
        self.source_id = source_id
        self.stats = stats
        self.window = window
        self.route = route      # what the articles it stores were found by: backfill, or a gap's fill
        self.job_id: int | None = None
        self.done: dict[str, PageState] = {}
        self.sink = RangeSink(walker.store, src.name, source_id, stats, walker.now, window)

    # -- the walk over discovery pages

    async def discover(self, since: date, until: date | None) -> None:
        assert self.window is not None
        src = self.src
        with self.x.store.write() as s:
            self.job_id, previous, ends_at = checkpoints.open_job(
                s, self.source_id, range_key(since, until), self.window.start, self.window.end, self.x.now(),
                open_ended=until is None)
            self.done = checkpoints.pages(s, self.job_id)
        if ends_at != self.window.end:  # an open-ended range keeps the end it started with
            self.window = self.sink.window = Window(self.window.start, ends_at)
        if previous in ("running", "stopped", "complete"):
            self.stats.resumed = True
            log.info("%s: resuming the backfill of %s: %d discovery pages done before", src.name, self.window,
                     len(self.done))
        elif previous == "finished":
            log.info("%s: the backfill of %s finished before; walking its pages again (stored articles are not "
                     "requested again)", src.name, self.window)
        status = "stopped"
        try:
            for url in src.sitemaps:
                await self._sitemap(url, host_of(url), 0)
            for template in src.archives:
                await self._archive(template)
            for template in src.listings:
                await self._listing(template)
            status = "complete"  # "finished" once the whole command is: until then a rerun resumes it
            self.stats.complete = True
        finally:
            with self.x.store.write() as s:
                checkpoints.close_job(s, self.job_id, status, self.x.now())

    async def fill(self, route: str, key: str) -> bool:
        """Walk what `route` names over this walk's window (a coverage gap): "listing" — listing pages from page
        2 (page 1 is what `run` reads) until a page reaches the window's start; "sitemaps" — the entries dated in
        it; "archives" — its days. Checkpointed as job `key`: a fill cut short goes on where it stopped. True
        when the walk got through."""
        assert self.window is not None
        with self.x.store.write() as s:
            self.job_id, _, _ = checkpoints.open_job(s, self.source_id, key, self.window.start, self.window.end,
                                                     self.x.now(), open_ended=False)
            self.done = checkpoints.pages(s, self.job_id)
        status = "stopped"
        try:
            if route == "listing":
                for template in self.src.listings:
                    await self._walk(functools.partial(listing_page, template), "listing", stop_at_start=True,
                                     first=2)
            elif route == "sitemaps":
                for url in self.src.sitemaps:
                    await self._sitemap(url, host_of(url), 0)
            else:
                for template in self.src.archives:
                    await self._archive(template)
            status = "finished"
        finally:
            with self.x.store.write() as s:
                checkpoints.close_job(s, self.job_id, status, self.x.now())
        return status == "finished"

    async def _listing(self, template: str) -> None:
        await self._walk(lambda n: listing_page(template, n), "listing", stop_on_dates=True)

    async def _archive(self, template: str) -> None:
        tz = self.src.timezone
        assert self.window is not None
        previous = None
        for day in archive_days(self.window, tz):
            first = archive_url(template, day)
            if first == previous:  # a template coarser than a day (a monthly archive): once is enough
                continue
            previous = first
            if "{page}" in template:
                await self._walk(functools.partial(archive_url, template, day), "archive", day=day)
            else:
                result = await self._page(first, "archive", _PageWalk(), day=day)
                if result.status == "missing":
                    self.stats.pages_failed += 1
                    log.error("%s: archive page %s not found", self.src.name, first)

    async def _walk(self, url_for: Callable[[int], str], kind: str, *, stop_on_dates: bool = False,
                    stop_at_start: bool = False, first: int = 1, day: date | None = None) -> None:
        """Numbered pages from `first` until: not found, a loop, too many failed or empty pages in a row,
        `max_pages`, or a page whose articles are all older than the range (`stop_on_dates`), or one that
        reaches its start (`stop_at_start`: a gap's fill, which ends at what was stored before the gap)."""
        walk = _PageWalk()
        for n in range(first, self.src.max_pages + 1):
            url = url_for(n)
            result = await self._page(url, kind, walk, day=day)
            if self._walk_ends(walk, n, url, result, stop_on_dates=stop_on_dates):
                return
            assert self.window is not None
            if stop_at_start and result.oldest is not None and result.oldest <= self.window.start:
                log.info("%s: %s reaches %s, the start of the gap; walk ended", self.src.name, url,
                         self.window.start.isoformat())
                return
        log.warning("%s: walk ended after max_pages = %d pages", self.src.name, self.src.max_pages)

    def _walk_ends(self, walk: _PageWalk, n: int, url: str, result: PageState, *, stop_on_dates: bool) -> bool:
        """Whether a walk ends after its page `n` (logged with why); notes the page in `walk` if not."""
        name = self.src.name
        assert self.window is not None
        if result.status == "missing":
            if n == 1:
                self.stats.pages_failed += 1
                log.error("%s: %s not found", name, url)
            else:
                log.info("%s: %s not found: the end of the pages", name, url)
            return True
        if result.status == "loop":
            log.warning("%s: %s repeats %s: a pagination loop; walk ended", name, url, walk.prints.get(
                result.fingerprint or "", "an earlier page"))
            return True
        if result.status == "robots":
            return True
        walk.failed_in_a_row = walk.failed_in_a_row + 1 if result.status == "failed" else 0
        walk.empty_in_a_row = walk.empty_in_a_row + 1 if result.status == "empty" else 0
        if walk.failed_in_a_row >= MAX_FAILED_IN_A_ROW:
            log.error("%s: %d pages failed in a row; walk ended at %s", name, walk.failed_in_a_row, url)
            return True
        if walk.empty_in_a_row >= MAX_EMPTY_IN_A_ROW:
            log.warning("%s: %d pages in a row have no article links; walk ended at %s", name,
                        walk.empty_in_a_row, url)
            return True
        if result.fingerprint:
            walk.prints.setdefault(result.fingerprint, url)
        if stop_on_dates and result.newest is not None and result.newest < self.window.start:
            log.info("%s: every article of %s is older than %s; walk ended", name, url, self.window)
            return True
        return False

    async def _page(self, url: str, kind: str, walk: _PageWalk, *, day: date | None = None) -> PageState:
        """One listing or archive page: from the checkpoint if finished, else fetched, its links ingested and
        checkpointed."""
        name = self.src.name
        state = self.done.get(url)
        if state is not None and (state.status != "failed" or state.attempts >= MAX_PAGE_ATTEMPTS):
            self.stats.pages_resumed += 1
            if state.status == "failed":
                self.stats.pages_failed += 1
                log.warning("%s: %s failed %d times; not requested again", name, url, state.attempts)
            return state
        if not await self.x.allows(url):
            self.stats.robots += 1
            log.warning("%s: %s is disallowed by robots.txt", name, url)
            return PageState("robots", 0, None, None, 0)
        try:
            page = await self.x.fetcher.get(url, allowed_hosts=self.src.allowed_hosts | {host_of(url)})
            candidates = parse_listing(page.content, page.url, page.headers, self.src.article_url_pattern)
        except (FetchError, ParseError) as e:
            return self._page_failed(url, kind, e)
        finally:
            self.x.on_progress()
        self.stats.pages += 1
        if day is not None:  # a page with no date of its own takes the archive's day
            published = day_start(day, self.src.timezone)
            candidates = [replace(c, published=published) for c in candidates]
        if not candidates:
            log.warning("%s: %s has no article links (article_url_pattern %s)", name, url,
                        self.src.article_url_pattern.pattern if self.src.article_url_pattern else "-")
            return self._finish(url, kind, "empty")
        print_ = fingerprint(candidates)
        if print_ in walk.prints:
            return self._finish(url, kind, "loop", items=len(candidates), fingerprint=print_)
        log.info("%s: %s lists %d articles", name, url, len(candidates))
        dates = await self.ingest_links(candidates)
        state = self._finish(url, kind, "done", items=len(candidates), newest=max(dates, default=None),
                             fingerprint=print_)
        return replace(state, oldest=min(dates, default=None))

    def _page_failed(self, url: str, kind: str, e: NewsmonError, *, missing_ok: bool = True) -> PageState:
        """Checkpoint a page that could not be used. Not found (404, 410) is final and left to the caller to
        judge (past the last listing page it is the normal end); other failures are retried by a resumed job."""
        missing = missing_ok and isinstance(e, FetchError) and e.status in (404, 410)
        if not missing:
            self.stats.pages_failed += 1
            log.error("%s: %s", self.src.name, e)
        return self._finish(url, kind, "missing" if missing else "failed", error=str(e))

    def _finish(self, url: str, kind: str, status: str, *, items: int = 0, newest: datetime | None = None,
                fingerprint: str | None = None, error: str | None = None) -> PageState:
        assert self.job_id is not None
        with self.x.store.write() as s:
            attempts = checkpoints.finish_page(s, self.job_id, url, kind, status, self.x.now(), items=items,
                                               newest=newest, fingerprint=fingerprint, error=error)
        return PageState(status, items, newest, fingerprint, attempts)

    async def _sitemap(self, url: str, home: str, depth: int) -> None:
        """A sitemap: an index's children (those modified since the range began), or a urlset's links."""
        name = self.src.name
        assert self.window is not None
        state = self.done.get(url)
        if state is not None and (state.status != "failed" or state.attempts >= MAX_PAGE_ATTEMPTS):
            self.stats.pages_resumed += 1
            return
        if not await self.x.allows(url):
            self.stats.robots += 1
            log.warning("%s: %s is disallowed by robots.txt", name, url)
            return
        try:
            page = await self.x.fetcher.get(url, allowed_hosts=self.src.allowed_hosts | {home})
            sitemap = parse_sitemap(page.content, page.url, self.x.max_bytes, self.src.timezone)
        except (FetchError, ParseError) as e:
            self._page_failed(url, "sitemap", e, missing_ok=False)
            return
        finally:
            self.x.on_progress()
        self.stats.pages += 1
        if sitemap.is_index:
            if depth >= MAX_SITEMAP_DEPTH:
                self._page_failed(url, "sitemap", ParseError(f"{url}: sitemap indexes nested too deeply"))
                return
            children = [e for e in sitemap.entries if e.lastmod is None or e.lastmod >= self.window.start]
            log.info("%s: %s lists %d sitemaps, %d modified since %s", name, url, len(sitemap.entries),
                     len(children), self.window.start.date())
            del sitemap, page
            for child in children:
                await self._sitemap(child.url, home, depth + 1)
            self._finish(url, "sitemap", "done", items=len(children))
            return
        candidates, skipped = sitemap_candidates(sitemap.entries, self.window, self.src.article_url_pattern, url)
        del sitemap, page
        self.stats.discovered += skipped
        self.stats.listed_out += skipped
        log.info("%s: %s lists %d articles in range (%d others skipped by their dates)", name, url,
                 len(candidates), skipped)
        for i in range(0, len(candidates), CHUNK):
            await self.ingest_links(candidates[i:i + CHUNK])
        self._finish(url, "sitemap", "done", items=len(candidates))

    # -- ingest of one page's links

    async def ingest_links(self, candidates: Sequence[Candidate]) -> list[datetime]:
        """Ingest the links of one page; returns the publication dates learnt (stored, remembered, fetched)."""
        unique = list({c.url: c for c in candidates}.values())
        self.stats.discovered += len(unique)
        todo, dates = await self._to_request(unique)
        self.stats.queued += len(todo)
        self.x.on_progress()
        try:
            async with asyncio.TaskGroup() as tasks:
                for c in todo:
                    tasks.create_task(self._one(c))
        finally:
            self.sink.flush()  # also when interrupted: what was fetched and extracted is kept
        dates += [d for c in todo if (d := self.sink.seen.get(c.url)) is not None]
        self.sink.seen.clear()
        return dates

    async def _to_request(self, unique: Sequence[Candidate]) -> tuple[list[Candidate], list[datetime]]:
        """The links still to request — not stored, not refused for good, not fetched before out of range,
        allowed by robots.txt — and the dates learnt without a request."""
        stored, settled, skipped = self._history([c.url for c in unique])
        dates = [d for d in stored.values() if d is not None]
        todo = []
        for c in self._before_the_gap_start(unique, stored):
            if c.url in stored:
                self.stats.known += 1
            elif c.url in settled:
                self.stats.settled += 1
            elif c.url in skipped and self.window is not None and not self._in_window(skipped[c.url]):
                self.stats.settled += 1  # fetched by an earlier backfill, outside this range too
                dates += [when] if (when := skipped[c.url]) is not None else []
            elif await self.x.allows(c.link):
                todo.append(c)
            else:
                self.stats.robots += 1
                log.info("%s: %s is disallowed by robots.txt", self.src.name, c.link)
        return todo, dates

    def _before_the_gap_start(self, unique: Sequence[Candidate], stored: Mapping[str, datetime | None]
                              ) -> Sequence[Candidate]:
        """For a gap's fill, the links of a page up to the first one stored at or before the gap's start: pages
        list news newest first, so what follows it is older than the gap (and was not stored: not wanted)."""
        if self.route != "gap" or self.window is None:
            return unique
        for i, c in enumerate(unique):
            when = stored.get(c.url)
            if when is not None and when <= self.window.start:
                self.stats.listed_out += len(unique) - i - 1
                return unique[:i + 1]
        return unique

    def _history(self, urls: list[str]) -> tuple[dict[str, datetime | None], set[str], dict[str, datetime | None]]:
        """What is known of `urls` without a request: stored (url -> published), refused for good, and fetched
        by an earlier walk and not stored (url -> published)."""
        with self.x.store.read() as s:
            stored = articles.stored_published(s, urls)
            rest = [u for u in urls if u not in stored]
            settled = articles.settled_rejections(s, rest)
            return stored, settled, checkpoints.skipped(s, [u for u in rest if u not in settled])

    def _in_window(self, when: datetime | None) -> bool:
        return when is not None and self.window is not None and self.window.holds(when)

    async def _one(self, c: Candidate) -> None:
        await self.x.stage.ingest(self.src, self.source_id, Found(c, [], self.route), self.stats.rep, self.sink)
        self.stats.fetched += 1
        self.x.on_progress()
