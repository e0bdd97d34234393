"""Backfill checkpoints: jobs, their finished discovery pages, and article pages fetched but not stored.

A backfill is resumable because everything it finished is here or in the articles: a page is recorded
only after the articles it listed were stored (or remembered as skipped), each in its own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from newsmon.storage.bulk import chunks, insert_ignore
from newsmon.storage.models import BackfillJob, BackfillPage, BackfillSkip


@dataclass(frozen=True)
class PageState:
    status: str                  # done | empty | loop | missing | failed
    items: int
    newest: datetime | None
    fingerprint: str | None
    attempts: int
    oldest: datetime | None = None   # of the articles it gave, when fetched now (not kept: a gap walk's stop)


def open_job(session: Session, source_id: int, range_key: str, starts_at: datetime, ends_at: datetime,
             now: datetime, *, open_ended: bool) -> tuple[int, str, datetime]:
    """The job of this source and range: (id, previous status or "new", end of range in use).

    An unfinished job (running, stopped, or complete while the command that ran it was not) is continued as
    it was (an open-ended range keeps the end it started with); a finished one starts a new pass: its pages are
    forgotten (articles stored stay stored and are not requested again).
    """
    job = session.execute(select(BackfillJob).where(BackfillJob.source_id == source_id,
                                                    BackfillJob.range_key == range_key)).scalar_one_or_none()
    if job is None:
        job = BackfillJob(source_id=source_id, range_key=range_key, starts_at=starts_at, ends_at=ends_at,
                          status="running", started_at=now)
        session.add(job)
        session.flush()
        return job.id, "new", ends_at
    previous = job.status
    if previous == "finished":
        session.execute(delete(BackfillPage).where(BackfillPage.job_id == job.id))
        job.started_at, job.finished_at = now, None
        if open_ended:
            job.ends_at = ends_at
    job.status = "running"
    return job.id, previous, job.ends_at


def close_job(session: Session, job_id: int, status: str, now: datetime) -> None:
    job = session.get(BackfillJob, job_id)
    assert job is not None
    job.status = status
    job.finished_at = now if status == "finished" else None


def pages(session: Session, job_id: int) -> dict[str, PageState]:
    rows = session.execute(select(BackfillPage).where(BackfillPage.job_id == job_id)).scalars()
    return {p.url: PageState(p.status, p.items, p.newest, p.fingerprint, p.attempts) for p in rows}


def finish_page(session: Session, job_id: int, url: str, kind: str, status: str, now: datetime, *,
                items: int = 0, newest: datetime | None = None, fingerprint: str | None = None,
                error: str | None = None) -> int:
    """Record how a discovery page ended; returns how often it was attempted (failures are retried)."""
    page = session.get(BackfillPage, (job_id, url))
    if page is None:
        page = BackfillPage(job_id=job_id, url=url, kind=kind, attempts=0)
        session.add(page)
    page.status, page.items, page.newest, page.fingerprint = status, items, newest, fingerprint
    page.error, page.finished_at = error, now
    page.attempts = (page.attempts or 0) + 1
    return page.attempts


def remember_skips(session: Session, source_id: int, skips: Sequence[tuple[str, datetime | None]],
                   now: datetime) -> None:
    """Article pages fetched and not stored, with the date they gave (None: no date at all)."""
    latest = dict(skips)
    for part in chunks(latest):
        session.execute(delete(BackfillSkip).where(BackfillSkip.url.in_(part)))
    insert_ignore(session, BackfillSkip, [{"url": u, "source_id": source_id, "published": p, "fetched_at": now}
                                          for u, p in latest.items()])


def skipped(session: Session, urls: Iterable[str]) -> dict[str, datetime | None]:
    """url -> published, for those of `urls` a backfill fetched before and did not store."""
    out: dict[str, datetime | None] = {}
    for part in chunks(urls):
        out.update(session.execute(select(BackfillSkip.url, BackfillSkip.published)
                                   .where(BackfillSkip.url.in_(part))).all())
    return out
