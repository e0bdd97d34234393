"""`newsmon status`: what a user needs to see when wondering whether newsmon is doing its job — as lines for
people (`status_lines`) or one JSON document for scripts (`status_json`).

The lines are written for a terminal of any width down to 80 columns: one source after the other, each fact
on a line of its own, wrapped with a hanging indent; URLs are never shortened or broken.
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from newsmon import alerts
from newsmon.config import Config
from newsmon.digests.coverage import SourceCoverage, source_coverage
from newsmon.digests.settings import SubscriptionSettings
from newsmon.digests.week import Week, week_of, weeks_ending
from newsmon.storage import articles, coverage, health, runs
from newsmon.storage import digests as stored_digests
from newsmon.storage.engine import Session
from newsmon.storage.health import SourceHealth, URLHealth
from newsmon.storage.models import DigestOutbox, DigestSent, SourceAlert

WEEKS_SHOWN = 4
COVERAGE_DAYS = 7        # days shown per source in the coverage section
GAPS_CLOSED_DAYS = 14    # closed gaps stay listed this long
INDENT = "  "


@dataclass(frozen=True)
class Line:
    """One line to print (already wrapped); `bad` ones are shown in red on a terminal."""

    text: str
    bad: bool = False


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


def status_lines(session: Session, cfg: Config, now: datetime, *, width: int = 80) -> list[Line]:
    """Everything `newsmon status` prints, wrapped to `width` columns."""
    states = health.source_health(session, [src.name for src in cfg.sources], now)
    titles = {src.name: src.title for src in cfg.sources}
    open_alerts = health.open_alerts(session)
    sections = [("Sources", [line for h in states
                             for line in _source(h, titles.get(h.name, h.name), open_alerts.get(h.name), now)]),
                (f"Coverage (the last {COVERAGE_DAYS} days, {cfg.digest.timezone.key})",
                 list(_coverage(session, cfg, now))),
                ("Recent runs", list(_runs(session, now))),
                ("Stored articles", list(_counts(session, now))),
                (f"Per week ({cfg.digest.timezone.key})", list(_weeks(session, cfg, now))),
                ("Digest", list(_digest(session, now)))]
    if cfg.subscriptions:
        sections.append(("Subscriptions", [line for sub in subscription_states(session, cfg, now)
                                           for line in _subscription(sub, now)]))
    out: list[Line] = []
    for title, lines in sections:
        body = [wrapped for line in lines or [Line(f"{INDENT}none yet")] for wrapped in _wrap(line, width)]
        out += [Line(title), *body, Line("")]
    return out[:-1]


# A moment is one unit when lines are folded: "2026-11-29 20:10 UTC (5 min ago)" is never split.
_MOMENT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC(?: \(\d+ (?:min|h|days) ago\))?")
_GLUE = "\x00"


def _wrap(line: Line, width: int) -> list[Line]:
    """`line` folded at spaces within `width`, continued under its first word after the indent; a word
    longer than the width (a URL) stays whole on a line of its own."""
    text = _MOMENT.sub(lambda m: m.group(0).replace(" ", _GLUE), line.text)
    indent = text[:len(text) - len(text.lstrip())]
    head = text.lstrip().split(" ", 1)[0]
    hang = indent + " " * min(len(head) + 1, 12)
    parts = textwrap.wrap(text.lstrip(), width=max(width, 40), initial_indent=indent, subsequent_indent=hang,
                          break_long_words=False, break_on_hyphens=False) or [indent]
    return [Line(p.replace(_GLUE, " "), line.bad) for p in parts]


def _source(h: SourceHealth, title: str, alert: SourceAlert | None, now: datetime) -> Iterator[Line]:
    state = ("never run" if h.last_run is None else "ok" if h.ok
             else f"FAILING: {h.failed_runs} run{'s' if h.failed_runs != 1 else ''} in a row")
    yield Line(f"{INDENT}{h.name} ({title}): {state}", bad=not h.ok or alert is not None)
    if h.last_run is not None:
        yield Line(f"{INDENT * 2}last success {_when(h.last_success, now)}")
    if h.last_error:
        yield Line(f"{INDENT * 2}last error: {h.last_error}", bad=True)
    if h.articles:
        yield Line(f"{INDENT * 2}stored {h.articles:,} articles, {h.items_per_day:.1f} a day this week")
        yield Line(f"{INDENT * 2}last stored {_when(h.last_stored, now)}")
    else:
        yield Line(f"{INDENT * 2}nothing stored yet")
    if alert is not None:
        yield Line(f"{INDENT * 2}alert: {alert.problem}, the admins were told {_when(alert.alerted_at, now)}",
                   bad=True)
    for u in h.urls:
        yield from _url(u, now)


def _url(u: URLHealth, now: datetime) -> Iterator[Line]:
    yield Line(f"{INDENT * 2}{u.kind} {u.url}", bad=not u.ok)
    listed = f"listed {u.last_items}" if u.last_items is not None else "listed -"
    found = f"found {u.articles:,}, {u.only_here:,} only here"
    if u.ok:
        yield Line(f"{INDENT * 3}ok, last read {_when(u.last_success, now)}")
        yield Line(f"{INDENT * 3}{listed} · {u.items_per_day:.1f} a day · {found}")
        return
    yield Line(f"{INDENT * 3}failing: {u.consecutive_failures} in a row; last success {_when(u.last_success, now)}",
               bad=True)
    yield Line(f"{INDENT * 3}last error: {_without_url(u.last_error or '', u.url)}", bad=True)


def _without_url(error: str, url: str) -> str:
    """An error as stored starts with the URL it is about; under that URL it need not say it again."""
    return error.removeprefix(f"{url}: ") or error


def coverage_of(session: Session, cfg: Config, now: datetime) -> list[SourceCoverage]:
    """Each source's coverage of the last COVERAGE_DAYS days (today included), in the digest time zone."""
    tz = cfg.digest.timezone
    start = datetime.combine(now.astimezone(tz).date() - timedelta(days=COVERAGE_DAYS - 1), time(), tz)
    return source_coverage(session, {src.name: src.title for src in cfg.sources}, start, now, tz, now)


def _coverage(session: Session, cfg: Config, now: datetime) -> Iterator[Line]:
    for c in coverage_of(session, cfg, now):
        yield Line(f"{INDENT}{c.name} ({c.title}): {c.line()}", bad=not c.complete)
        days = " · ".join(f"{day:%a} {sum(routes.values())}" + (f" ({_routes(routes)})" if len(routes) > 1 else "")
                          for day, routes in c.days)
        yield Line(f"{INDENT * 2}{days}")
    for row in coverage.gaps_for_status(session, now - timedelta(days=GAPS_CLOSED_DAYS)):
        gap = row.gap
        state = {"closed": f"filled, {gap.recovered} articles recovered",
                 "unrecoverable": f"not recoverable: {gap.detail}"}.get(gap.status, f"being filled from its "
                                                                       f"{gap.route}, {gap.recovered} so far")
        yield Line(f"{INDENT}gap in {row.source}'s {row.kind} {row.url}", bad=gap.status != "closed")
        yield Line(f"{INDENT * 2}{coverage.utc_span(gap.starts_at, gap.ends_at)}: {state}", bad=gap.status != "closed")


def _routes(routes: Counter[str]) -> str:
    return ", ".join(f"{route} {n}" for route, n in routes.most_common())


def _runs(session: Session, now: datetime) -> Iterator[Line]:
    for run, per_source in runs.recent_runs(session):
        yield Line(f"{INDENT}#{run.id} {run.command} {_when(run.started_at, now)}: {run.status}",
                   bad=run.status != "ok")
        for name, rs in per_source:
            text = f"{name} {rs.new} new, {rs.updated} updated, {rs.unchanged} unchanged, {rs.failed} failed"
            if rs.errors:
                text = f"{name} FAILED: {rs.errors.splitlines()[0]}"
            yield Line(f"{INDENT * 2}{text}", bad=bool(rs.errors))


def _counts(session: Session, now: datetime) -> Iterator[Line]:
    for source, n, newest in articles.article_counts(session):
        yield Line(f"{INDENT}{source}: {n:,} articles, the newest published {_when(newest, now)}")


def _weeks(session: Session, cfg: Config, now: datetime) -> Iterator[Line]:
    for week, per_topic, total in week_counts(session, cfg, now):
        topics = "; ".join(f"{cfg.topic_title(t)} {per_topic[t]}" for t in cfg.topics)
        yield Line(f"{INDENT}{week.label} ({week.span}): {total:,} articles" + (f"; {topics}" if topics else ""))


def _digest(session: Session, now: datetime) -> Iterator[Line]:
    """The [digest] table's weekly email."""
    sent = stored_digests.last_sent(session)
    if sent is None:
        yield Line(f"{INDENT}last sent: none yet")
    else:
        yield Line(f"{INDENT}last sent: {sent.week}, {_when(sent.sent_at, now)}, to {len(sent.recipients)} "
                   f"recipient{'s' if len(sent.recipients) != 1 else ''}: {sent.subject}")
    for row in stored_digests.outbox(session, stored_digests.LEGACY):
        yield Line(f"{INDENT}waiting in the outbox: {row.week} ({row.subject}); " + _attempts(row, now), bad=True)


def _attempts(row: DigestOutbox, now: datetime, again: str = "the next `newsmon digest` (or the daemon)") -> str:
    if not row.attempts:
        return f"not tried yet (kept {_when(row.created_at, now)})"
    return (f"{row.attempts} failed attempt{'s' if row.attempts != 1 else ''}, the last "
            f"{_when(row.last_attempt_at, now)}: {row.last_error}; {again} sends it again")


@dataclass(frozen=True)
class SubscriptionState:
    """What `status` says of one [[subscriptions]] entry."""

    sub: SubscriptionSettings
    last: DigestSent | None
    next_send: datetime | None       # scheduled: the next send time; instant: None (after each run)
    due: list[str]                   # periods due now and not sent (the daemon or the next command sends them)
    waiting: list[DigestOutbox]

    def as_json(self) -> dict[str, Any]:
        sub, last = self.sub, self.last
        return {
            "name": sub.name, "cadence": sub.cadence, "topics": list(sub.topics), "send_at": sub.send_at or None,
            "timezone": sub.timezone.key, "recipients": len(sub.recipients), "notify": [t.shown for t in sub.notify],
            "last_sent": None if last is None else {
                "period": last.week, "channel": _channel(last.channel, last.recipients),
                "sent_at": last.sent_at.isoformat(), "subject": last.subject, "articles": last.articles},
            "next_send": self.next_send.isoformat() if self.next_send else None, "due": self.due,
            "waiting": [_outbox_json(row) for row in self.waiting]}


def subscription_states(session: Session, cfg: Config, now: datetime) -> list[SubscriptionState]:
    from newsmon.schedule import DigestSchedule  # APScheduler: only when there is a schedule to show

    watching = runs.first_run_started(session)
    states = []
    for sub in cfg.subscriptions:
        next_send, due = None, []
        if sub.cadence != "instant":
            schedule = DigestSchedule.of(sub)
            next_send = schedule.next_send_time(now)
            due = [p.label for p in schedule.due(now, sent=stored_digests.sent_weeks(session, sub.name),
                                                 watching_since=watching)]
        states.append(SubscriptionState(sub, stored_digests.last_sent(session, sub.name), next_send, due,
                                        stored_digests.outbox(session, sub.name)))
    return states


def _channel(channel: str, recipients: list[str]) -> str:
    return "email" if channel == stored_digests.EMAIL else (recipients[0] if recipients else channel)


def _subscription(state: SubscriptionState, now: datetime) -> Iterator[Line]:
    sub = state.sub
    how = (f"{sub.cadence} at {sub.send_at} {sub.timezone.key}" if sub.cadence != "instant"
           else f"instant, after each run (min_score {sub.min_score:g})")
    to = ([f"{len(sub.recipients)} email recipient{'s' if len(sub.recipients) != 1 else ''}"] if sub.recipients
          else []) + [t.shown for t in sub.notify]
    yield Line(f"{INDENT}{sub.name}: {', '.join(sub.topics)}; {how}; to {', '.join(to)}")
    last = state.last
    yield Line(f"{INDENT * 2}last sent: " + ("none yet" if last is None else
               f"{last.week} to {_channel(last.channel, last.recipients)}, {_when(last.sent_at, now)}: {last.subject}"))
    if state.due:
        yield Line(f"{INDENT * 2}due now: {', '.join(state.due)} (the daemon, or `newsmon digest --subscription "
                   f"{sub.name}`, sends it)")
    elif state.next_send is not None:
        yield Line(f"{INDENT * 2}next send: {state.next_send.astimezone(sub.timezone):%a %Y-%m-%d %H:%M %Z}")
    again = "the next run" if sub.cadence == "instant" else f"the next `newsmon digest --subscription {sub.name}`"
    for row in state.waiting:
        yield Line(f"{INDENT * 2}waiting: {row.week} to {_channel(row.channel, row.recipients)} ({row.subject}); "
                   + _attempts(row, now, again), bad=True)


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
    """Everything `status_lines` shows, for scripts: datetimes are ISO 8601 in UTC, absent ones null."""
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
        "coverage": [c.as_json() for c in coverage_of(session, cfg, now)],
        "gaps": [{"source": row.source, "url": row.url, "found_in": row.kind, "start": row.gap.starts_at.isoformat(),
                  "end": row.gap.ends_at.isoformat(), "found_at": row.gap.found_at.isoformat(),
                  "status": row.gap.status, "route": row.gap.route, "recovered": row.gap.recovered,
                  "detail": row.gap.detail,
                  "closed_at": row.gap.closed_at.isoformat() if row.gap.closed_at else None}
                 for row in coverage.gaps_for_status(session, now - timedelta(days=GAPS_CLOSED_DAYS))],
        "outbox": [_outbox_json(row) for row in stored_digests.outbox(session)],
        "subscriptions": [state.as_json() for state in subscription_states(session, cfg, now)],
    }


def _outbox_json(row: DigestOutbox) -> dict[str, Any]:
    return {"subscription": row.subscription, "week": row.week, "channel": _channel(row.channel, row.recipients),
            "subject": row.subject, "recipients": len(row.recipients), "kept_at": row.created_at.isoformat(),
            "attempts": row.attempts, "last_error": row.last_error,
            "last_attempt_at": row.last_attempt_at.isoformat() if row.last_attempt_at else None}
