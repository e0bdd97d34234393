"""The article stage — fetch → extract → classify → store — for one article, whatever discovered its link.

Every failure is contained: a bad item is logged, remembered and skipped, and the caller goes on.

    ArticleStage.ingest(...)   fetch → extract → classify one article, handed to a Sink
    Sink                       where finished articles go: BatchWriter for a run, RangeSink for a walk
    SourceReport, RunReport    what happened, for the summary lines and the database
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from newsmon.errors import ExtractionError, FetchError
from newsmon.pipeline.classify import Classifies, topic_records
from newsmon.pipeline.discover import Candidate
from newsmon.pipeline.extract import Extracted, ExtractorPool
from newsmon.pipeline.fetch import Fetcher, Page, check_url
from newsmon.pipeline.settings import SourceSettings
from newsmon.pipeline.urls import absolute, canonicalize
from newsmon.storage import articles
from newsmon.storage.articles import NewArticle
from newsmon.storage.engine import Store

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
    notes: list[str] = field(default_factory=list)   # coverage: gaps found, filled, or that cannot be filled
    lost: bool = False      # a gap that cannot be filled: articles missed for good, which a user must hear of

    @property
    def ok(self) -> bool:
        return not self.failed and not self.errors

    @property
    def worth_telling(self) -> bool:
        """Said even with -q: a failure, or articles missed for good."""
        return not self.ok or self.lost

    def line(self) -> str:
        """One line for the terminal. A source with an error failed, whatever its counts: the error comes
        first, then what it still stored."""
        counts = f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged, {self.failed} failed"
        notes = "".join(f"; {note}" for note in self.notes)
        if not self.errors:
            return f"{self.name}: {counts}{notes}"
        more = f" (+{len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        stored = f"; {counts}" if self.new or self.updated or self.unchanged or self.failed else ""
        return f"{self.name}: FAILED: {self.errors[0]}{more}{stored}{notes}"


@dataclass
class RunReport:
    sources: list[SourceReport]
    run_id: int | None = None

    @property
    def exit_code(self) -> int:
        return 0 if all(s.ok for s in self.sources) else 1


@dataclass
class Found:
    """A candidate article, every discovery URL of its source that listed it, and the route that found it
    (feed | listing | gap | backfill): what coverage reports count."""

    candidate: Candidate
    discovery_ids: list[int]
    route: str


class Sink(Protocol):
    """Where the article stage hands finished articles. `flush` stores what is held back (a sink may batch)."""

    def add(self, record: NewArticle, discovery_ids: Sequence[int], link: str) -> None: ...

    def flush(self) -> None: ...


@dataclass
class ArticleStage:
    """fetch → extract → classify for one candidate article, the record handed to a Sink: the same stage
    for whatever discovered the link (a run's feeds and listing pages, a backfill's walk)."""

    store: Store
    fetcher: Fetcher
    extractor: ExtractorPool
    classifier: Classifies | None
    now: Clock
    in_flight: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    def _in_flight(self, source: str) -> asyncio.Semaphore:
        """Pages of one source fetched and not yet extracted: enough to keep every worker busy, few enough
        to bound memory. Per source, so that one source waiting out its host's politeness delay never holds
        up another source on another host."""
        return self.in_flight.setdefault(source, asyncio.Semaphore(self.extractor.workers * 2 + 1))

    async def ingest(self, src: SourceSettings, source_id: int, found: Found, rep: SourceReport, sink: Sink
                     ) -> bool:
        """True if the article failed in a way worth retrying. Every refusal is logged and remembered
        (storage's rejections), never raised."""
        c = found.candidate
        try:
            check_url(c.link, src.allowed_hosts)
            async with self._in_flight(src.name):
                page = await self.fetcher.get(c.link, allowed_hosts=src.allowed_hosts)
                rep.fetched += 1
                extracted = await self.extractor.extract(page.content, page.headers.get("content-type", ""),
                                                         page.url, src.timezone.key)
            record = self._record(src, source_id, c, page, extracted, found.route)
        except (FetchError, ExtractionError) as e:
            rep.failed += 1
            reason = str(e) if isinstance(e, FetchError) else f"{c.link}: {e}"
            log.warning("%s: skipped %s", src.name, reason)
            with self.store.write() as s:
                articles.reject(s, c.url, source_id, reason, e.permanent, self.now())
            return not e.permanent
        sink.add(record, found.discovery_ids, c.link)
        return False

    def _record(self, src: SourceSettings, source_id: int, c: Candidate, page: Page, ex: Extracted, route: str
                ) -> NewArticle:
        url = self._canonical(src, page, ex)
        text, extraction = _text_to_keep(src, c, page, ex)
        title = ex.title or c.title
        published = ex.published or c.published or ex.published_day
        topics = topic_records(self.classifier, title, text) if self.classifier else ()
        return NewArticle(
            source_id=source_id, url=url, title=title, author=ex.author, published=published,
            fetched=self.now(), text=text, summary=c.summary, language=ex.language, extraction=extraction,
            aliases=tuple(dict.fromkeys(u for u in (c.url, canonicalize(page.url)) if u != url)), topics=topics,
            route=route)

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
