"""`newsmon run`: one pass over the sources — discover → fetch → extract → classify → store.

Sources run concurrently; within a source, article pages are fetched one at a time per host (politeness)
while earlier pages are being extracted in worker processes. Every failure is contained: a bad item is
logged, remembered and skipped, a bad source is reported, and the rest of the run goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from newsmon.pipeline.classify import Classifier, topic_records
from newsmon.pipeline.discover import Candidate, parse_feed, parse_listing
from newsmon.pipeline.extract import Extracted, ExtractorPool
from newsmon.pipeline.fetch import Fetcher, Page, check_url
from newsmon.pipeline.urls import absolute, canonicalize, host_of
from newsmon.storage import queries as q
from newsmon.storage.engine import Store

from newsmon.config import Config, SourceConfig, listing_page
from newsmon.errors import ExtractionError, FetchError, NewsmonError, ParseError

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


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
        text = f"{self.name}: {self.new} new, {self.updated} updated, {self.unchanged} unchanged, {self.failed} failed"
        if self.errors:
            text += f" — {self.errors[0]}" + (f" (+{len(self.errors) - 1} more)" if len(self.errors) > 1 else "")
        return text


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


ARTICLES_PER_DEADLINE = 20   # article pages a source's deadline leaves time for, each at its slowest


def source_deadline(cfg: Config, src: SourceConfig) -> float:
    """How long one source may take in a run: `[schedule] source_deadline`, or sized from the fetch limits —
    every discovery URL and ARTICLES_PER_DEADLINE article pages at their slowest (every attempt timing out
    after its back-off and politeness delay), plus one extraction time-out. A source cut off keeps what it
    stored; the rest waits for the next run."""
    if cfg.schedule.source_deadline_seconds is not None:
        return cfg.schedule.source_deadline_seconds
    f = cfg.fetch
    attempts = f.retries + 1
    slowest = attempts * (f.timeout_seconds + f.per_host_delay_seconds) + f.backoff_seconds * (2 ** f.retries - 1)
    return (len(src.feeds) + len(src.listings) + ARTICLES_PER_DEADLINE) * slowest + cfg.extract.timeout_seconds


async def run_sources(cfg: Config, store: Store, sources: tuple[SourceConfig, ...], *,
                      classifier: Classifier | None, now: Clock = utc_now) -> RunReport:
    """One ingest pass; records the run and each source's counts in the database."""
    with store.write() as s:
        run_id = q.start_run(s, "run", now())
        ids = q.source_ids(s, [src.name for src in sources])
    reports = [SourceReport(src.name) for src in sources]
    extractor = ExtractorPool(cfg.extract.worker_count, cfg.extract.timeout_seconds, cfg.extract.max_html_bytes)
    status = "interrupted"
    try:
        async with Fetcher(cfg.fetch) as fetcher:
            ingest = SourceIngest(store=store, fetcher=fetcher, extractor=extractor, classifier=classifier,
                                   now=now, in_flight=asyncio.Semaphore(cfg.extract.worker_count * 2 + 1))
            await asyncio.gather(*(ingest.run(src, ids[src.name], rep, deadline=source_deadline(cfg, src))
                                   for src, rep in zip(sources, reports)))
        status = "ok" if all(r.ok for r in reports) else "partial"
    finally:
        extractor.close()
        with store.write() as s:
            for src, rep in zip(sources, reports):
                q.save_run_source(s, run_id, ids[src.name], new=rep.new, updated=rep.updated,
                                  unchanged=rep.unchanged, failed=rep.failed, errors=rep.errors)
            q.finish_run(s, run_id, status, now())
    return RunReport(reports, run_id)


@dataclass
class SourceIngest:
    """Discovery and ingest of one source. `ingest_article` with a `Writer` is the fetch → extract →
    classify → store stage for one candidate, for any discovery (backfill uses it too)."""

    store: Store
    fetcher: Fetcher
    extractor: ExtractorPool
    classifier: Classifier | None
    now: Clock
    in_flight: asyncio.Semaphore
    discovering: dict[str, int] = field(default_factory=dict)   # source -> discovery URL id being read

    async def run(self, src: SourceConfig, source_id: int, rep: SourceReport, *, deadline: float | None = None
                  ) -> None:
        timer = asyncio.timeout(deadline)
        try:
            async with timer:
                await self._run(src, source_id, rep)
        except TimeoutError as e:
            if not timer.expired():
                rep.errors.append(f"internal error: {e!r}")
                log.exception("%s: unexpected error", src.name)
                return
            message = f"stopped at its deadline of {deadline:g} s (schedule.source_deadline); the rest waits"
            rep.errors.append(message)
            log.error("%s: %s", src.name, message)
            row_id = self.discovering.pop(src.name, None)
            if row_id is not None:
                with self.store.write() as s:
                    q.record_discovery_result(s, row_id, self.now(), status=None,
                                              error=f"no complete answer before the source's deadline ({deadline:g} s)")
        except NewsmonError as e:
            rep.errors.append(str(e))
            log.error("%s: %s", src.name, e)
        except Exception as e:  # one source's bug must not stop the others
            rep.errors.append(f"internal error: {e!r}")
            log.exception("%s: unexpected error", src.name)

    async def _run(self, src: SourceConfig, source_id: int, rep: SourceReport) -> None:
        urls = [(u, "feed") for u in src.feeds] + [(listing_page(u, 1), "listing") for u in src.listings]
        with self.store.write() as s:
            rows = [q.discovery_url(s, source_id, u, kind) for u, kind in urls]
        found: dict[str, Found] = {}
        fetched: dict[int, Page] = {}
        for row in rows:
            self.discovering[src.name] = row.id
            try:
                page = await self.fetcher.get(row.url, allowed_hosts=src.allowed_hosts | _own_host(row.url),
                                              etag=row.etag, last_modified=row.last_modified)
                if page.not_modified:
                    log.info("%s: %s not modified", src.name, row.url)
                    items: list[Candidate] = []
                elif row.kind == "feed":
                    items = parse_feed(page.content, page.url, page.headers, src.timezone)
                else:
                    items = parse_listing(page.content, page.url, page.headers, src.article_url_pattern)
                if not page.not_modified and not items and row.last_item_count:
                    raise ParseError(f"{row.url}: lists no articles (it listed {row.last_item_count} before); "
                                     "the site may have changed")
            except (FetchError, ParseError) as e:
                rep.errors.append(str(e))
                log.error("%s: %s", src.name, e)
                with self.store.write() as s:
                    q.record_discovery_result(s, row.id, self.now(), status=getattr(e, "status", None),
                                              error=str(e))
                continue
            fetched[row.id] = page
            if not page.not_modified:
                log.info("%s: %s lists %d articles", src.name, row.url, len(items))
            for item in items:
                if item.url in found:
                    found[item.url].discovery_ids.append(row.id)
                    if not found[item.url].candidate.summary and item.summary:
                        found[item.url] = Found(item, found[item.url].discovery_ids)
                else:
                    found[item.url] = Found(item, [row.id])
        self.discovering.pop(src.name, None)

        rep.found = len(found)
        retry_later = await self._ingest(src, source_id, list(found.values()), rep)
        with self.store.write() as s:
            for row in rows:
                page = fetched.get(row.id)
                if page is None:
                    continue
                count = sum(1 for f in found.values() if row.id in f.discovery_ids)
                q.record_discovery_result(
                    s, row.id, self.now(), status=page.status, error=None,
                    item_count=None if page.not_modified else count,
                    etag=page.headers.get("etag"), last_modified=page.headers.get("last-modified"),
                    keep_validators=row.id not in retry_later)

    async def _ingest(self, src: SourceConfig, source_id: int, found: list[Found], rep: SourceReport) -> set[int]:
        """Store what is new; returns discovery URL ids whose items must be seen again next run."""
        with self.store.write() as s:
            known = q.known_articles(s, [f.candidate.url for f in found])
            settled = q.settled_rejections(s, [f.candidate.url for f in found if f.candidate.url not in known])
            seen_by: dict[int, list[int]] = {}
            for f in found:
                article_id = known.get(f.candidate.url)
                if article_id is None:
                    continue
                for du in f.discovery_ids:
                    seen_by.setdefault(du, []).append(article_id)
                if f.candidate.summary and q.update_summary(s, article_id, f.candidate.summary, self.now()):
                    rep.updated += 1
                else:
                    rep.unchanged += 1
            for du, article_ids in seen_by.items():
                q.link_discoveries(s, du, article_ids, self.now())
        rep.unchanged += len(settled)
        new = [f for f in found if f.candidate.url not in known and f.candidate.url not in settled]
        if settled:
            log.debug("%s: %d links refused before, not requested again", src.name, len(settled))
        retry_later: set[int] = set()
        writer = Writer(self.store, src.name, rep, self.now)
        try:
            results = await asyncio.gather(*(self.ingest_article(src, source_id, f, rep, writer) for f in new))
        finally:
            writer.flush()  # also on interruption: what was fetched and extracted is kept
        for f, transient in zip(new, results):
            if transient:
                retry_later.update(f.discovery_ids)
        return retry_later

    async def ingest_article(self, src: SourceConfig, source_id: int, found: Found, rep: SourceReport,
                             writer: Writer) -> bool:
        """Fetch, extract, classify and hand one article to `writer`; True if it failed in a way worth
        retrying. Every refusal is logged and remembered (storage's rejections), never raised."""
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
            permanent = getattr(e, "permanent", False)
            reason = str(e) if isinstance(e, FetchError) else f"{c.link}: {e}"
            log.warning("%s: skipped %s", src.name, reason)
            with self.store.write() as s:
                q.reject(s, c.url, source_id, reason, permanent, self.now())
            return not permanent
        writer.add(record, found.discovery_ids, c.link)
        return False

    def _record(self, src: SourceConfig, source_id: int, c: Candidate, page: Page, ex: Extracted) -> q.NewArticle:
        url = canonicalize(page.url)
        if ex.canonical:
            candidate = absolute(page.url, ex.canonical)
            if src.allows(candidate):
                url = canonicalize(candidate)
            else:
                log.debug("%s: ignoring canonical %s of %s (host not allowed)", src.name, candidate, page.url)
        text, extraction = ex.text, "article"
        paywalled = any(m in ex.text or m.encode() in page.content for m in src.paywall_markers)
        if paywalled or not text or len(text) < len(c.summary):
            if c.summary:
                text, extraction = c.summary, "feed-summary"
                log.info("%s: %s: %s; storing the feed summary", src.name, c.link,
                         "paywalled" if paywalled else "extraction gave less than the feed summary")
            elif not text:
                extraction = "failed"
                log.warning("%s: %s: no article text could be extracted", src.name, c.link)
        title = ex.title or c.title
        published = ex.published or c.published or ex.published_day
        topics = topic_records(self.classifier, title, text) if self.classifier else ()
        return q.NewArticle(
            source_id=source_id, url=url, title=title, author=ex.author, published=published,
            fetched=self.now(), text=text, summary=c.summary, language=ex.language, extraction=extraction,
            aliases=tuple(dict.fromkeys(u for u in (c.url, canonicalize(page.url)) if u != url)), topics=topics)


@dataclass
class Writer:
    """Stores finished articles a batch at a time: one transaction per batch costs a fraction of one per
    article, and a batch is never held back long, so an interrupted run keeps nearly all of its work."""

    store: Store
    source: str
    rep: SourceReport
    now: Clock
    batch_size: int = 25
    max_wait: float = 2.0
    pending: list[tuple[q.NewArticle, list[int], str]] = field(default_factory=list)
    since: float = 0.0

    def add(self, record: q.NewArticle, discovery_ids: list[int], link: str) -> None:
        if not self.pending:
            self.since = time.monotonic()
        self.pending.append((record, discovery_ids, link))
        if len(self.pending) >= self.batch_size or time.monotonic() - self.since >= self.max_wait:
            self.flush()

    def flush(self) -> list[tuple[q.NewArticle, bool]]:
        """Store what is pending; returns each record with whether it was stored now (False: it already was)."""
        if not self.pending:
            return []
        batch, self.pending = self.pending, []
        with self.store.write() as s:
            results = q.store_articles(s, [(record, ids) for record, ids, _ in batch], self.now())
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
        return [(record, created) for (record, _, _), (_, created) in zip(batch, results)]


def _own_host(url: str) -> frozenset[str]:
    """A source may always read its own configured discovery URLs, whatever allowed_hosts says."""
    return frozenset({host_of(url)})
