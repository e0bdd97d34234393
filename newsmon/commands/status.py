"""`newsmon status`: what a user needs to see when wondering whether newsmon is doing its job — as rich
tables for people (`render_status`) or one JSON document for scripts (`status_json`)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newsmon import alerts
from newsmon.config import Config
from newsmon.digests.week import Week, week_of, weeks_ending
from newsmon.storage import queries as q
from newsmon.storage.digests import last_sent
from newsmon.storage.health import SourceHealth, source_health
from newsmon.storage.models import Article, ArticleTopic

WEEKS_SHOWN = 4


def _when(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "never"
    age = now - value
    if age.total_seconds() < 3600:
        ago = f"{int(age.total_seconds() // 60)} min ago"
    elif age.days < 2:
        ago = f"{int(age.total_seconds() // 3600)} h ago"
    else:
        ago = f"{age.days} days ago"
    return f"{value.strftime('%Y-%m-%d %H:%M')} UTC ({ago})"


def render_status(session: Session, cfg: Config, now: datetime) -> list[Any]:
    health = source_health(session, cfg, now)
    open_alerts = alerts.open_alerts(session)
    sources = Table("source", "last success", "failed runs", "last error", "last stored", "per day", "alert",
                    title="Sources", title_justify="left", box=None)
    for h in health:
        alert = open_alerts.get(h.name)
        sources.add_row(h.name, _when(h.last_success, now) if h.last_run else "never run", str(h.failed_runs),
                        (h.last_error or "")[:100], _when(h.last_stored, now), f"{h.items_per_day:.1f}",
                        f"{alert.problem}, told {alert.alerted_at:%Y-%m-%d %H:%M}" if alert else "",
                        style="red" if not h.ok or alert else None)
    urls = Table("source", "url", "last success", "per day", "failures", "last error", "articles", "only here",
                 title="Discovery URLs", title_justify="left", box=None)
    for h in health:
        for u in h.urls:
            urls.add_row(h.name, u.url, _when(u.last_success, now), f"{u.items_per_day:.1f}",
                         str(u.consecutive_failures), (u.last_error or "")[:120] if not u.ok else "",
                         str(u.articles), str(u.only_here), style="red" if not u.ok else None)
    runs = Table("run", "started", "status", "per source (new/updated/unchanged/failed)", title="Recent runs",
                 title_justify="left", box=None)
    for run, per_source in q.recent_runs(session):
        detail = "; ".join(f"{name} {rs.new}/{rs.updated}/{rs.unchanged}/{rs.failed}"
                           + (" FAILED: " + rs.errors.splitlines()[0][:100] if rs.errors else "")
                           for name, rs in per_source)
        runs.add_row(str(run.id), _when(run.started_at, now), run.status, detail,
                     style="red" if run.status != "ok" else None)
    counts = Table("source", "articles", "newest published", title="Stored articles", title_justify="left", box=None)
    for source, n, newest in q.article_counts(session):
        counts.add_row(source, str(n), _when(newest, now) if newest else "-")
    topics = list(cfg.topics)
    weekly = Table("week", *topics, "all articles", title=f"Per week ({cfg.digest.timezone.key})",
                   title_justify="left", box=None)
    for week, per_topic, total in week_counts(session, cfg, now):
        weekly.add_row(f"{week.label} ({week.span})", *(str(per_topic[t]) for t in topics), str(total))
    sent = last_sent(session)
    digest = ("Last digest: none sent yet" if sent is None else
              f"Last digest: {sent.week} sent {_when(sent.sent_at, now)} to {len(sent.recipients)} "
              f"recipient{'s' if len(sent.recipients) != 1 else ''} — {sent.subject}")
    return [sources, "", urls, "", runs, "", counts, "", weekly, "", digest]


def week_counts(session: Session, cfg: Config, now: datetime) -> list[tuple[Week, Counter[str], int]]:
    """The last WEEKS_SHOWN weeks (digest time zone, this one last): tagged articles per topic, and all
    articles, by published time (fetched when none is known)."""
    tz = cfg.digest.timezone
    weeks = weeks_ending(week_of(now, tz), WEEKS_SHOWN)
    when = func.coalesce(Article.published_at, Article.fetched_at)
    start = weeks[0].start
    per_topic: dict[str, Counter[str]] = {w.label: Counter() for w in weeks}
    totals: Counter[str] = Counter()
    for at, in session.execute(select(when).where(when >= start)).all():
        totals[week_of(at, tz).label] += 1
    for at, topic in session.execute(select(when, ArticleTopic.topic).join(
            ArticleTopic, ArticleTopic.article_id == Article.id).where(when >= start)).all():
        label = week_of(at, tz).label
        if label in per_topic:
            per_topic[label][topic] += 1
    return [(w, per_topic[w.label], totals[w.label]) for w in weeks]


def status_json(session: Session, cfg: Config, now: datetime) -> dict[str, Any]:
    """Everything `render_status` shows, for scripts: datetimes are ISO 8601 in UTC, absent ones null."""
    health: list[SourceHealth] = source_health(session, cfg, now)
    open_alerts = alerts.open_alerts(session)
    sent = last_sent(session)
    return {
        "generated_at": now.isoformat(),
        "ok": all(h.ok and h.name not in open_alerts for h in health),
        "sources": [{**h.as_json(), "alert": alerts.as_json(open_alerts.get(h.name))} for h in health],
        "recent_runs": [{"id": run.id, "command": run.command, "started": run.started_at.isoformat(),
                         "finished": run.finished_at.isoformat() if run.finished_at else None,
                         "status": run.status,
                         "sources": {name: {"new": rs.new, "updated": rs.updated, "unchanged": rs.unchanged,
                                            "failed": rs.failed, "errors": rs.errors.splitlines()}
                                     for name, rs in per_source}}
                        for run, per_source in q.recent_runs(session)],
        "articles": {source: {"count": n, "newest_published": newest.isoformat() if newest else None}
                     for source, n, newest in q.article_counts(session)},
        "weeks": [{"week": w.label, "topics": dict(per_topic), "articles": total}
                  for w, per_topic, total in week_counts(session, cfg, now)],
        "last_digest": None if sent is None else {
            "week": sent.week, "sent_at": sent.sent_at.isoformat(), "subject": sent.subject,
            "recipients": len(sent.recipients), "articles": sent.articles, "message_id": sent.message_id},
    }
