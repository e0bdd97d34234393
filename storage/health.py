"""Source health: how each source and each of its discovery URLs has been doing, from what runs recorded;
and the alerts the admins were sent about it.

    source_health(session, names, now) -> [SourceHealth]   one per source named, in that order

A source's run failed when the source reported an error (a discovery URL that failed, answered HTML or
suddenly listed nothing, or the source's deadline passed); items that failed alone do not fail it. Only
finished `run`s count: an interrupted run says nothing about the sites. `status` shows this, `alerts`
decides from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from newsmon.storage.models import Article, Discovery, DiscoveryURL, Run, RunSource, Source, SourceAlert

WINDOW_DAYS = 7            # "items per day" is the average over this many days
RUN_HISTORY = 1000         # runs looked at when counting consecutive failures
FINISHED = ("ok", "partial", "failed")


@dataclass(frozen=True)
class URLHealth:
    url: str
    kind: str                         # feed | listing | ...
    last_status: int | None           # HTTP status of the last answer
    last_checked: datetime | None
    last_success: datetime | None
    last_error: str | None            # the newest error, even when it has passed since
    last_error_at: datetime | None
    consecutive_failures: int
    last_items: int | None            # articles it listed the last time it was read
    items_per_day: float              # articles it was the first to find, per day over WINDOW_DAYS
    articles: int                     # articles it found, ever
    only_here: int                    # articles no other URL found

    @property
    def ok(self) -> bool:
        return self.consecutive_failures == 0

    def as_json(self) -> dict[str, Any]:
        return {"url": self.url, "kind": self.kind, "ok": self.ok, "last_status": self.last_status,
                "last_checked": _iso(self.last_checked), "last_success": _iso(self.last_success),
                "last_error": self.last_error, "last_error_at": _iso(self.last_error_at),
                "consecutive_failures": self.consecutive_failures, "last_items": self.last_items,
                "items_per_day": round(self.items_per_day, 2), "articles": self.articles,
                "only_here": self.only_here}


@dataclass(frozen=True)
class SourceHealth:
    name: str
    first_run: datetime | None        # the first finished run that included the source
    last_run: datetime | None
    last_success: datetime | None     # the last run the source came through without an error
    failed_runs: int                  # consecutive failed runs, counted back from the newest
    last_error: str | None            # first error of the newest failed run
    last_stored: datetime | None      # when an article of the source was last stored
    articles: int
    items_per_day: float              # articles stored per day over WINDOW_DAYS
    urls: tuple[URLHealth, ...]

    @property
    def ok(self) -> bool:
        return self.failed_runs == 0

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "first_run": _iso(self.first_run), "last_run": _iso(self.last_run),
                "last_success": _iso(self.last_success), "consecutive_failed_runs": self.failed_runs,
                "last_error": self.last_error, "last_stored": _iso(self.last_stored), "articles": self.articles,
                "items_per_day": round(self.items_per_day, 2), "urls": [u.as_json() for u in self.urls]}


def source_health(session: Session, names: Sequence[str], now: datetime) -> list[SourceHealth]:
    """Health of the sources named (a source never run has empty history), in that order."""
    since = now - timedelta(days=WINDOW_DAYS)
    ids = dict(session.execute(select(Source.name, Source.id).where(Source.name.in_(names))).all())
    recent_finds = dict(session.execute(
        select(Discovery.discovery_url_id, func.count()).where(Discovery.first_seen_at >= since)
        .group_by(Discovery.discovery_url_id)).all())
    urls: dict[str, list[URLHealth]] = {}
    for source, du, found, only in discovery_health(session):
        urls.setdefault(source, []).append(URLHealth(
            url=du.url, kind=du.kind, last_status=du.last_status, last_checked=du.last_checked_at,
            last_success=du.last_success_at, last_error=du.last_error, last_error_at=du.last_error_at,
            consecutive_failures=du.consecutive_failures or 0, last_items=du.last_item_count,
            items_per_day=recent_finds.get(du.id, 0) / WINDOW_DAYS, articles=found, only_here=only))
    stored = {sid: (n, newest, recent) for sid, n, newest, recent in session.execute(
        select(Article.source_id, func.count(), func.max(Article.fetched_at),
               func.count().filter(Article.fetched_at >= since))
        .where(Article.source_id.in_(list(ids.values()))).group_by(Article.source_id))}
    out = []
    for name in names:
        sid = ids.get(name)
        n, newest, recent = stored.get(sid, (0, None, 0)) if sid is not None else (0, None, 0)
        out.append(SourceHealth(name=name, **_run_history(session, sid), last_stored=newest, articles=n,
                                items_per_day=recent / WINDOW_DAYS, urls=tuple(urls.get(name, ()))))
    return out


def _run_history(session: Session, source_id: int | None) -> dict[str, Any]:
    """first_run, last_run, last_success, failed_runs and last_error of a source, from its finished runs."""
    if source_id is None:
        return {"first_run": None, "last_run": None, "last_success": None, "failed_runs": 0, "last_error": None}
    runs = [(started, errors) for started, errors in session.execute(
        select(Run.started_at, RunSource.errors).join(RunSource, RunSource.run_id == Run.id)
        .where(RunSource.source_id == source_id, Run.command == "run", Run.status.in_(FINISHED))
        .order_by(Run.id.desc()).limit(RUN_HISTORY))]
    failed = 0
    for _, errors in runs:
        if not errors:
            break
        failed += 1
    last_success = next((started for started, errors in runs if not errors), None)
    if last_success is None and len(runs) == RUN_HISTORY:
        last_success = session.scalar(select(func.max(Run.started_at)).join(RunSource).where(
            RunSource.source_id == source_id, RunSource.errors == "", Run.command == "run",
            Run.status.in_(FINISHED)))
    first_run = session.scalar(select(func.min(Run.started_at)).join(RunSource).where(
        RunSource.source_id == source_id, Run.command == "run", Run.status.in_(FINISHED)))
    return {"first_run": first_run, "last_run": runs[0][0] if runs else None, "last_success": last_success,
            "failed_runs": failed, "last_error": runs[0][1].splitlines()[0] if failed else None}


def discovery_health(session: Session) -> list[tuple[str, DiscoveryURL, int, int]]:
    """(source name, discovery URL row, articles found, articles only it found) per discovery URL."""
    found = (select(Discovery.discovery_url_id, func.count().label("n"))
             .group_by(Discovery.discovery_url_id).subquery())
    sole_article = (select(Discovery.article_id).group_by(Discovery.article_id)
                    .having(func.count() == 1).subquery())
    only = (select(Discovery.discovery_url_id, func.count().label("n"))
            .join(sole_article, sole_article.c.article_id == Discovery.article_id)
            .group_by(Discovery.discovery_url_id).subquery())
    query = (select(Source.name, DiscoveryURL, func.coalesce(found.c.n, 0), func.coalesce(only.c.n, 0))
             .join(Source, Source.id == DiscoveryURL.source_id)
             .outerjoin(found, found.c.discovery_url_id == DiscoveryURL.id)
             .outerjoin(only, only.c.discovery_url_id == DiscoveryURL.id)
             .order_by(Source.name, DiscoveryURL.id))
    return list(session.execute(query).all())


# ---- the alerts sent ----

def open_alerts(session: Session) -> dict[str, SourceAlert]:
    """Source name -> its alert not yet followed by a "recovered" email."""
    return dict(session.execute(
        select(Source.name, SourceAlert).join(Source, Source.id == SourceAlert.source_id)).all())


def set_alert(session: Session, source_id: int, problem: str, detail: str, now: datetime) -> None:
    """Remember that the admins were told about `problem` of a source."""
    session.merge(SourceAlert(source_id=source_id, problem=problem, detail=detail, alerted_at=now))


def clear_alert(session: Session, source_id: int) -> None:
    """Forget the alert of a source: the "recovered" email went out."""
    session.execute(delete(SourceAlert).where(SourceAlert.source_id == source_id))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
