"""What a worker process makes of one fetched page: extract → choose the text to keep → classify.

The page goes to a worker once and its article comes back once: the text is classified where it is made,
so neither the page nor the text crosses a process boundary twice, and the main process (fetching with
politeness, storing) keeps no CPU-bound step. The workers are pebble's, so that a pathological page can be
stopped: `WorkerPool` gives each page a time limit and kills the worker that exceeds it, and one bad page
costs one page.

    Job          a fetched page and what choosing its text needs (the feed's title and summary, paywall markers)
    Worked       the article as the worker made it: metadata, title, text, the classifier's matches
    work(job)    the pure function a worker runs, with the classifier its pool was started with
    WorkerPool   the processes (`[extract] workers`), started on first use
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.context
import os
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from newsmon.errors import ExtractionError
from newsmon.pipeline.extract import Extracted, decode_html, extract_article
from newsmon.pipeline.settings import ExtractSettings

if TYPE_CHECKING:
    from newsmon.classifiers import TopicMatch
    from newsmon.pipeline.classify import Classifies

log = logging.getLogger(__name__)

MAX_TASKS = 1000


@dataclass(frozen=True)
class Job:
    content: bytes
    content_type: str
    url: str                              # where the page came from after redirects
    timezone: str                         # the source's, for page dates without an offset
    feed_title: str = ""
    feed_summary: str = ""
    paywall_markers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Worked:
    """`extracted.text` is the text to keep (the feed summary in place of a paywall teaser), `extraction` says
    which (article | feed-summary | failed); `note` is what the main process logs about that choice."""

    extracted: Extracted
    title: str
    extraction: str
    matches: tuple[TopicMatch, ...] = ()
    note: tuple[int, str] | None = None   # (logging level, message)


_classifier: Classifies | None = None


def _start(classifier: Classifies | None) -> None:
    """A worker's initializer: the rules arrive once per worker, not once per page (the shell's TopicRules
    are compiled in the worker, at its first article)."""
    global _classifier
    _classifier = classifier


def work(job: Job) -> Worked:
    ex = extract_article(decode_html(job.content, job.content_type), job.url, job.timezone)
    text, extraction, note = choose_text(job, ex)
    title = ex.title or job.feed_title
    matches = tuple(_classifier.classify(title, text).values()) if _classifier is not None else ()
    return Worked(replace(ex, text=text), title, extraction, matches, note)


def choose_text(job: Job, ex: Extracted) -> tuple[str, str, tuple[int, str] | None]:
    """(text, extraction, note): the extracted text, or the feed summary when the page is a paywall teaser or
    gave less than the summary."""
    summary = job.feed_summary
    paywalled = any(m in ex.text or m.encode() in job.content for m in job.paywall_markers)
    if not (paywalled or not ex.text or len(ex.text) < len(summary)):
        return ex.text, "article", None
    if summary:
        why = "paywalled" if paywalled else "extraction gave less than the feed summary"
        return summary, "feed-summary", (logging.INFO, f"{why}; storing the feed summary")
    if not ex.text:
        return ex.text, "failed", (logging.WARNING, "no article text could be extracted")
    return ex.text, "article", None


def _forkserver() -> multiprocessing.context.ForkServerContext:
    """The forkserver the workers are forked from, with this module and trafilatura imported once for all.

    It runs as `python -c ...`, which puts the working directory first on sys.path (and Python 3.11's
    forkserver does not take the sys.path it is given): started from a folder holding a `newsmon/` (a clone of
    ours) or a `trafilatura.py`, it and every worker would import those instead of the installed packages.
    PYTHONSAFEPATH (Python 3.11+) keeps the working directory off its sys.path; set for its start only."""
    from multiprocessing import forkserver

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["newsmon.pipeline.worker", "trafilatura"])
    before = os.environ.get("PYTHONSAFEPATH")
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        forkserver.ensure_running()
    finally:
        if before is None:
            del os.environ["PYTHONSAFEPATH"]
        else:
            os.environ["PYTHONSAFEPATH"] = before
    return ctx


class WorkerPool:
    """`[extract] workers` processes running `work`, each page limited to `timeout_seconds`. Started on first
    use, so a run with nothing new never pays for it."""

    def __init__(self, settings: ExtractSettings, classifier: Classifies | None = None):
        self.workers = settings.worker_count
        self.timeout = settings.timeout_seconds
        self.max_html_bytes = settings.max_html_bytes
        self.classifier = classifier
        self._pool: Any = None

    def _ensure(self) -> Any:
        if self._pool is None:
            import pebble

            ctx = _forkserver()
            # a worker is replaced after MAX_TASKS pages, so memory that lxml/trafilatura keep cannot grow
            # without bound over a long backfill
            self._pool = pebble.ProcessPool(max_workers=self.workers, max_tasks=MAX_TASKS, context=ctx,
                                            initializer=_start, initargs=(self.classifier,))
        return self._pool

    async def work(self, job: Job) -> Worked:
        if len(job.content) > self.max_html_bytes:
            raise ExtractionError(f"page of {len(job.content):,} bytes is larger than max_html_bytes "
                                  f"({self.max_html_bytes:,})")
        import pebble

        try:
            future = self._ensure().schedule(work, args=(job,), timeout=self.timeout)
        except RuntimeError:  # the pool broke (a worker could not start): start afresh once
            log.warning("extraction pool failed; restarting it")
            self.close()
            future = self._ensure().schedule(work, args=(job,), timeout=self.timeout)
        try:
            return await asyncio.wrap_future(future)
        except FutureTimeout:
            raise ExtractionError(f"extraction took longer than {self.timeout:g} s; abandoned",
                                  permanent=False) from None
        except pebble.ProcessExpired as e:
            raise ExtractionError(f"extraction worker died ({e})", permanent=False) from None
        except asyncio.CancelledError:
            future.cancel()
            raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.stop()
            self._pool.join()
            self._pool = None
