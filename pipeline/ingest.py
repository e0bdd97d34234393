"""One ingest pass over the sources — discover → fetch → extract → classify → store.

Sources run concurrently; within a source, article pages are fetched one at a time per host (politeness)
while earlier pages are being extracted in worker processes. Every failure is contained: a bad item is
logged, remembered and skipped, a bad source is reported, and the rest of the run goes on.

    run_sources(store, sources, fetch=..., extract=..., classifier=..., deadlines=...) -> RunReport
    ArticleStage.ingest(...)   fetch → extract → classify one article, handed to a Sink; backfill uses it too
    Sink                       where finished articles go: BatchWriter here, a range-checking one in backfill
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from newsmon.classifiers import Classifier
from newsmon.errors import ExtractionError, FetchError, NewsmonError, ParseError
from newsmon.pipeline.classify import topic_records
from newsmon.pipeline.discover import Candidate, parse_feed, parse_listing
from newsmon.pipeline.extract import Extracted, ExtractorPool
from newsmon.pipeline.fetch import Fetcher, Page, check_url
from newsmon.pipeline.settings import ExtractSettings, FetchSettings, SourceSettings
from newsmon.pipeline.urls import absolute, canonicalize, host_of, listing_page
from newsmon.storage import articles, runs
from newsmon.storage.articles import NewArticle
from newsmon.storage.engine import Store
from newsmon.storage.models import DiscoveryURL

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# A log record that a command's summary repeats: written to the log file, left off the terminal (said once).
IN_SUMMARY = {"in_summary": True}


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SourceReport:
    name: str
    found: int = 0          # article links discovered
    fetched: int = 0        # article pages fetched
    extracted: int = 0      # of the new articles, how many had their text extracted from the page
    tagged: int = 0         # of the new articles, how many carry at least one topic
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.errors

    def line(self) -> str:
        """One line for the terminal. A source with an error failed, whatever its counts: the error comes
        first, then what it still stored."""
        counts = f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged, {self.failed} failed"
        if not self.errors:
            return f"{self.name}: {counts}"
        more = f" (+{len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        stored = f"; {counts}" if self.new or self.updated or self.unchanged or self.failed else ""
        return f"{self.name}: FAILED: {self.errors[0]}{more}{stored}"


@dataclass
class RunReport:
    sources: list[SourceReport]
    run_id: int | None = None

    @property
    def exit_code(self) -> int:
        return 0 if all(s.ok for s in self.sources) else 1


@dataclass
class Found:
    """A candidate article and every discovery URL of its source that listed it."""

    candidate: Candidate
    discovery_ids: list[int]


class Sink(Protocol):
    """Where the article stage hands finished articles. `flush` stores what is held back (a sink may batch)."""

    def add(self, record: NewArticle, discovery_ids: Sequence[int], link: str) -> None: ...

    def flush(self) -> None: ...


async def run_sources(store: Store, sources: Sequence[SourceSettings], *, fetch: FetchSettings,
                      extract: ExtractSettings, classifier: Classifier | None,
                      deadlines: Mapping[str, float] | None = None, now: Clock = utc_now) -> RunReport:
    """One ingest pass; records the run and each source's counts in the database. A source past its
    deadline (by name, seconds) keeps what it stored and is reported as failed."""
    with store.write() as s:
        run_id = runs.start_run(s, "run", now())
        ids = runs.source_ids(s, [src.name for src in sources])
    reports = [SourceReport(src.name) for src in sources]
    extractor = ExtractorPool(extract)
    status = "interrupted"
    try:
        async with Fetcher(fetch) as fetcher:
            stage = ArticleStage(store=store, fetcher=fetcher, extractor=extractor, classifier=classifier, now=now)
            await asyncio.gather(*(SourceRun(src, ids[src.name], rep, stage).run((deadlines or {}).get(src.name))
                                   for src, rep in zip(sources, reports)))
        status = "ok" if all(r.ok for r in reports) else "partial"
    finally:
        extractor.close()
        with store.write() as s:
            for src, rep in zip(sources, reports):
                runs.save_run_source(s, run_id, ids[src.name], new=rep.new, updated=rep.updated,
                                     unchanged=rep.unchanged, failed=rep.failed, errors=rep.errors)
            runs.finish_run(s, run_id, status, now())
    return RunReport(reports, run_id)


@dataclass
class ArticleStage:
    """fetch → extract → classify for one candidate article, the record handed to a Sink: the same stage
    for whatever discovered the link (a run's feeds and listing pages, a backfill's walk)."""

    store: Store
    fetcher: Fetcher
    extractor: ExtractorPool
    classifier: Classifier | None
    now: Clock
    in_flight: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        # pages fetched and not yet extracted: enough to keep every worker busy, few enough to bound memory
        self.in_flight = asyncio.Semaphore(self.extractor.workers * 2 + 1)

    async def ingest(self, src: SourceSettings, source_id: int, found: Found, rep: SourceReport, sink: Sink
                     ) -> bool:
        """True if the article failed in a way worth retrying. Every refusal is logged and remembered
        (storage's rejections), never raised."""
        c = found.candidate
        try:
            check_url(c.link, src.allowed_hosts)
            async with self.in_flight:
                page = await self.fetcher.get(c.link, allowed_hosts=src.allowed_hosts)
                rep.fetched += 1
                extracted = await self.extractor.extract(page.content, page.headers.get("content-type", ""),
                                                         page.url, src.timezone.key)
            record = self._record(src, source_id, c, page, extracted)
        except (FetchError, ExtractionError) as e:
            rep.failed += 1
            reason = str(e) if isinstance(e, FetchError) else f"{c.link}: {e}"
            log.warning("%s: skipped %s", src.name, reason)
            with self.store.write() as s:
                articles.reject(s, c.url, source_id, reason, e.permanent, self.now())
            return not e.permanent
        sink.add(record, found.discovery_ids, c.link)
        return False

    def _record(self, src: SourceSettings, source_id: int, c: Candidate, page: Page, ex: Extracted) -> NewArticle:
        url = self._canonical(src, page, ex)
        text, extraction = _text_to_keep(src, c, page, ex)
        title = ex.title or c.title
        published = ex.published or c.published or ex.published_day
        topics = topic_records(self.classifier, title, text) if self.classifier else ()
        return NewArticle(
            source_id=source_id, url=url, title=title, author=ex.author, published=published,
            fetched=self.now(), text=text, summary=c.summary, language=ex.language, extraction=extraction,
            aliases=tuple(dict.fromkeys(u for u in (c.url, canonicalize(page.url)) if u != url)), topics=topics)

    @staticmethod
    def _canonical(src: SourceSettings, page: Page, ex: Extracted) -> str:
        """The page's canonical URL when it names one on an allowed host, else where the page came from."""
        if ex.canonical:
            candidate = absolute(page.url, ex.canonical)
            if src.allows(candidate):
                return canonicalize(candidate)
            log.debug("%s: ignoring canonical %s of %s (host not allowed)", src.name, candidate, page.url)
        return canonicalize(page.url)


def _text_to_keep(src: SourceSettings, c: Candidate, page: Page, ex: Extracted) -> tuple[str, str]:
    """(text, extraction): the extracted text, or the feed summary when the page is a paywall teaser or gave
    less than the summary."""
    paywalled = any(m in ex.text or m.encode() in page.content for m in src.paywall_markers)
    if not (paywalled or not ex.text or len(ex.text) < len(c.summary)):
        return ex.text, "article"
    if c.summary:
        log.info("%s: %s: %s; storing the feed summary", src.name, c.link,
                 "paywalled" if paywalled else "extraction gave less than the feed summary")
        return c.summary, "feed-summary"
    if not ex.text:
        log.warning("%s: %s: no article text could be extracted", src.name, c.link)
        return ex.text, "failed"
    return ex.text, "article"


class SourceRun:
    """One source in a run: its feeds and listing pages (page 1) read with conditional GET, the new links
    ingested, each discovery URL's health and validators recorded."""

    def __init__(self, src: SourceSettings, source_id: int, rep: SourceReport, stage: ArticleStage):
        self.src = src
        self.source_id = source_id
        self.rep = rep
        self.stage = stage
        self.store = stage.store
        self.reading: DiscoveryURL | None = None   # the discovery URL being read (its deadline error goes there)

    async def run(self, deadline: float | None) -> None:
        name = self.src.name
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
        except NewsmonError as e:
            self.rep.errors.append(str(e))
            log.error("%s: %s", name, e, extra=IN_SUMMARY)
        except Exception as e:  # one source's bug must not stop the others
            self.rep.errors.append(f"internal error: {e!r}")
            log.exception("%s: unexpected error", name, extra=IN_SUMMARY)

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
                    found[item.url] = Found(item, [row.id])
                    continue
                found[item.url].discovery_ids.append(row.id)
                if not found[item.url].candidate.summary and item.summary:
                    found[item.url] = Found(item, found[item.url].discovery_ids)
        self.reading = None
        self.rep.found = len(found)
        retry_later = await self._ingest(list(found.values()))
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

    async def _ingest(self, found: list[Found]) -> set[int]:
        """Store what is new; returns discovery URL ids whose items must be seen again next run."""
        known, settled = self._note_known(found)
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


@dataclass
class BatchWriter:
    """The Sink of a run: stores finished articles a batch at a time. One transaction per batch costs a
    fraction of one per article, and a batch is never held back long, so an interrupted run keeps nearly all
    of its work. Counts what it stored in `rep`."""

    store: Store
    source: str
    rep: SourceReport
    now: Clock
    batch_size: int = 25
    max_wait: float = 2.0
    pending: list[tuple[NewArticle, Sequence[int], str]] = field(default_factory=list)
    since: float = 0.0

    def add(self, record: NewArticle, discovery_ids: Sequence[int], link: str) -> None:
        if not self.pending:
            self.since = time.monotonic()
        self.pending.append((record, discovery_ids, link))
        if len(self.pending) >= self.batch_size or time.monotonic() - self.since >= self.max_wait:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        with self.store.write() as s:
            results = articles.store_articles(s, [(record, ids) for record, ids, _ in batch], self.now())
        for (record, _, link), (_, created) in zip(batch, results):
            if created:
                self.rep.new += 1
                self.rep.extracted += record.extraction == "article"
                self.rep.tagged += bool(record.topics)
                log.info("%s: stored %s (%s, %d chars%s)", self.source, record.url, record.extraction,
                         len(record.text),
                         ", topics: " + ", ".join(t.topic for t in record.topics) if record.topics else "")
            else:
                self.rep.unchanged += 1
                log.info("%s: %s is already stored as %s", self.source, link, record.url)
