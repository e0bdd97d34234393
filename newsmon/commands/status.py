"""`newsmon status`: what a user needs to see when wondering whether newsmon is doing its job — as rich
tables for people (`render_status`) or one JSON document for scripts (`status_json`)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from rich.table import Table

from newsmon import alerts
from newsmon.config import Config
from newsmon.digests.week import Week, week_of, weeks_ending
from newsmon.storage import articles, health, runs
from newsmon.storage import digests as stored_digests
from newsmon.storage.engine import Session
from newsmon.storage.health import SourceHealth
from newsmon.storage.models import SourceAlert

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
    """The tables and lines `newsmon status` prints, in order."""
    states = health.source_health(session, [src.name for src in cfg.sources], now)
    sent = stored_digests.last_sent(session)
    digest = ("Last digest: none sent yet" if sent is None else
              f"Last digest: {sent.week} sent {_when(sent.sent_at, now)} to {len(sent.recipients)} "
              f"recipient{'s' if len(sent.recipients) != 1 else ''} — {sent.subject}")
    return [_sources_table(states, health.open_alerts(session), now), "", _urls_table(states, now), "",
            _runs_table(session, now), "", _counts_table(session, now), "", _weeks_table(session, cfg, now), "",
            digest]


def _table(title: str, *columns: str) -> Table:
    return Table(*columns, title=title, title_justify="left", box=None)


def _sources_table(states: list[SourceHealth], open_alerts: dict[str, SourceAlert], now: datetime) -> Table:
    table = _table("Sources", "source", "last success", "failed runs", "last error", "last stored", "per day", "alert")
    for h in states:
        alert = open_alerts.get(h.name)
        table.add_row(h.name, _when(h.last_success, now) if h.last_run else "never run", str(h.failed_runs),
                      (h.last_error or "")[:100], _when(h.last_stored, now), f"{h.items_per_day:.1f}",
                      f"{alert.problem}, told {alert.alerted_at:%Y-%m-%d %H:%M}" if alert else "",
                      style="red" if not h.ok or alert else None)
    return table


def _urls_table(states: list[SourceHealth], now: datetime) -> Table:
    table = _table("Discovery URLs", "source", "url", "last success", "per day", "failures", "last error",
                   "articles", "only here")
    for h in states:
        for u in h.urls:
            table.add_row(h.name, u.url, _when(u.last_success, now), f"{u.items_per_day:.1f}",
                          str(u.consecutive_failures), (u.last_error or "")[:120] if not u.ok else "",
                          str(u.articles), str(u.only_here), style="red" if not u.ok else None)
    return table


def _runs_table(session: Session, now: datetime) -> Table:
    table = _table("Recent runs", "run", "started", "status", "per source (new/updated/unchanged/failed)")
    for run, per_source in runs.recent_runs(session):
        detail = "; ".join(f"{name} {rs.new}/{rs.updated}/{rs.unchanged}/{rs.failed}"
                           + (" FAILED: " + rs.errors.splitlines()[0][:100] if rs.errors else "")
                           for name, rs in per_source)
        table.add_row(str(run.id), _when(run.started_at, now), run.status, detail,
                      style="red" if run.status != "ok" else None)
    return table


def _counts_table(session: Session, now: datetime) -> Table:
    table = _table("Stored articles", "source", "articles", "newest published")
    for source, n, newest in articles.article_counts(session):
        table.add_row(source, str(n), _when(newest, now) if newest else "-")
    return table


def _weeks_table(session: Session, cfg: Config, now: datetime) -> Table:
    topics = list(cfg.topics)
    table = _table(f"Per week ({cfg.digest.timezone.key})", "week", *topics, "all articles")
    for week, per_topic, total in week_counts(session, cfg, now):
        table.add_row(f"{week.label} ({week.span})", *(str(per_topic[t]) for t in topics), str(total))
    return table


def week_counts(session: Session, cfg: Config, now: datetime) -> list[tuple[Week, Counter[str], int]]:
    """The last WEEKS_SHOWN weeks (digest time zone, this one last): tagged articles per topic, and all
    articles, by their instant (published, else fetched)."""
    tz = cfg.digest.timezone
    weeks = weeks_ending(week_of(now, tz), WEEKS_SHOWN)
    start = weeks[0].start
    per_topic: dict[str, Counter[str]] = {w.label: Counter() for w in weeks}
    totals: Counter[str] = Counter(week_of(at, tz).label for at in articles.instants_since(session, start))
    for at, topic in articles.tagged_instants_since(session, start):
        label = week_of(at, tz).label
        if label in per_topic:
            per_topic[label][topic] += 1
    return [(w, per_topic[w.label], totals[w.label]) for w in weeks]


def status_json(session: Session, cfg: Config, now: datetime) -> dict[str, Any]:
    """Everything `render_status` shows, for scripts: datetimes are ISO 8601 in UTC, absent ones null."""
    states = health.source_health(session, [src.name for src in cfg.sources], now)
    open_alerts = health.open_alerts(session)
    sent = stored_digests.last_sent(session)
    return {
        "generated_at": now.isoformat(),
        "ok": all(h.ok and h.name not in open_alerts for h in states),
        "sources": [{**h.as_json(), "alert": alerts.as_json(open_alerts.get(h.name))} for h in states],
        "recent_runs": [{"id": run.id, "command": run.command, "started": run.started_at.isoformat(),
                         "finished": run.finished_at.isoformat() if run.finished_at else None,
                         "status": run.status,
                         "sources": {name: {"new": rs.new, "updated": rs.updated, "unchanged": rs.unchanged,
                                            "failed": rs.failed, "errors": rs.errors.splitlines()}
                                     for name, rs in per_source}}
                        for run, per_source in runs.recent_runs(session)],
        "articles": {source: {"count": n, "newest_published": newest.isoformat() if newest else None}
                     for source, n, newest in articles.article_counts(session)},
        "weeks": [{"week": w.label, "topics": dict(per_topic), "articles": total}
                  for w, per_topic, total in week_counts(session, cfg, now)],
        "last_digest": None if sent is None else {
            "week": sent.week, "sent_at": sent.sent_at.isoformat(), "subject": sent.subject,
            "recipients": len(sent.recipients), "articles": sent.articles, "message_id": sent.message_id},
    }
