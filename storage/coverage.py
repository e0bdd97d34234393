"""Coverage: the gaps `run` found in what a feed or listing page listed, and how many articles each source
stored per day by which route — what tells a quiet week from a broken feed.

    newest_from(session, discovery_url_id)            the newest article a discovery URL found: a gap starts there
    open_gap / finish_gap / gaps_to_fill               a gap's life: open, then closed or unrecoverable
    gaps_between(session, start, end)                  for the digest and status
    stored_by_day(session, since)                      (source, instant, route) of every article since
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, func, or_, select

from newsmon.storage.engine import Session
from newsmon.storage.models import Article, CoverageGap, Discovery, DiscoveryURL, Run, RunSource, Source

OPEN, CLOSED, UNRECOVERABLE = "open", "closed", "unrecoverable"


class GapRow(NamedTuple):
    gap: CoverageGap
    source: str
    url: str
    kind: str


def utc_span(start: datetime, end: datetime) -> str:
    """'2026-11-26 03:00–2026-11-29 10:00 UTC': how a gap's window is written in the log, the run's summary and
    status."""
    return f"{start.astimezone(UTC):%Y-%m-%d %H:%M}–{end.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def newest_from(session: Session, discovery_url_id: int) -> datetime | None:
    """The instant of the newest article the discovery URL ever listed; None before its first article."""
    return session.scalar(select(func.max(Article.instant)).join(Discovery, Discovery.article_id == Article.id)
                          .where(Discovery.discovery_url_id == discovery_url_id))


def open_gap(session: Session, source_id: int, discovery_url_id: int, starts_at: datetime, ends_at: datetime,
             route: str, now: datetime) -> CoverageGap:
    gap = CoverageGap(source_id=source_id, discovery_url_id=discovery_url_id, starts_at=starts_at, ends_at=ends_at,
                      found_at=now, status=OPEN, route=route, recovered=0)
    session.add(gap)
    session.flush()
    return gap


def gaps_to_fill(session: Session, source_id: int) -> list[CoverageGap]:
    """The source's open gaps, oldest first: a fill cut short by a deadline goes on in the next run."""
    return list(session.execute(select(CoverageGap).where(CoverageGap.source_id == source_id,
                                                          CoverageGap.status == OPEN)
                                .order_by(CoverageGap.id)).scalars())


def finish_gap(session: Session, gap_id: int, status: str, now: datetime, *, recovered: int,
               detail: str | None = None) -> None:
    """Add what a fill recovered; `status` closed or unrecoverable ends the gap, open keeps it for the next run."""
    gap = session.get(CoverageGap, gap_id)
    assert gap is not None
    gap.recovered += recovered
    gap.status = status
    gap.detail = detail
    gap.closed_at = now if status != OPEN else None


def gaps_between(session: Session, start: datetime, end: datetime) -> list[GapRow]:
    """Gaps whose window overlaps [start, end), oldest first."""
    return _gap_rows(session, (CoverageGap.starts_at < end) & (CoverageGap.ends_at > start))


def gaps_for_status(session: Session, closed_since: datetime) -> list[GapRow]:
    """Open and unrecoverable gaps, and those closed since `closed_since`, oldest first."""
    return _gap_rows(session, or_(CoverageGap.status != CLOSED, CoverageGap.closed_at >= closed_since))


def unrecoverable_not_told(session: Session) -> list[GapRow]:
    """Gaps that cannot be filled and that the admins were not told about yet."""
    return _gap_rows(session, (CoverageGap.status == UNRECOVERABLE) & CoverageGap.alerted_at.is_(None))


def _gap_rows(session: Session, where: ColumnElement[bool]) -> list[GapRow]:
    rows = session.execute(
        select(CoverageGap, Source.name, DiscoveryURL.url, DiscoveryURL.kind)
        .join(Source, Source.id == CoverageGap.source_id)
        .join(DiscoveryURL, DiscoveryURL.id == CoverageGap.discovery_url_id)
        .where(where).order_by(CoverageGap.starts_at, CoverageGap.id)).all()
    return [GapRow(gap, source, url, kind) for gap, source, url, kind in rows]


def mark_told(session: Session, gap_ids: Sequence[int], now: datetime) -> None:
    for gap_id in gap_ids:
        gap = session.get(CoverageGap, gap_id)
        if gap is not None:
            gap.alerted_at = now


def stored_between(session: Session, since: datetime, until: datetime) -> list[tuple[str, datetime, str]]:
    """(source, instant, route) of every article whose instant is in [since, until)."""
    return [(source, when, route or "feed") for source, when, route in session.execute(
        select(Source.name, Article.instant, Article.route).join(Source, Source.id == Article.source_id)
        .where(Article.instant >= since, Article.instant < until)).all()]


def runs_since(session: Session, since: datetime) -> list[tuple[str, datetime, bool]]:
    """(source, started, had errors) of every finished `run` since `since`."""
    return [(source, started, bool(errors)) for source, started, errors in session.execute(
        select(Source.name, Run.started_at, RunSource.errors).join(RunSource, RunSource.source_id == Source.id)
        .join(Run, Run.id == RunSource.run_id)
        .where(Run.started_at >= since, Run.command == "run", Run.status.in_(("ok", "partial", "failed")))).all()]


def set_gap_end(session: Session, gap_id: int, ends_at: datetime) -> None:
    """A gap found in a listing ends at its oldest article, known once the articles are stored."""
    gap = session.get(CoverageGap, gap_id)
    if gap is not None and gap.starts_at < ends_at < gap.ends_at:
        gap.ends_at = ends_at
