"""`newsmon status`: what a user needs to see when wondering whether newsmon is doing its job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.table import Table
from sqlalchemy.orm import Session

from pipeline.config import Config
from storage import queries as q


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
    configured = {s.name for s in cfg.sources}
    health = Table("source", "url", "last success", "failures", "last error", "articles", "only here",
                   title="Discovery URLs", title_justify="left", box=None)
    for source, du, found, only in q.discovery_health(session):
        if source not in configured:
            continue
        failing = du.consecutive_failures > 0
        health.add_row(source, du.url, _when(du.last_success_at, now), str(du.consecutive_failures),
                       (du.last_error or "")[:120] if failing else "", str(found), str(only),
                       style="red" if failing else None)
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
    return [health, "", runs, "", counts]
