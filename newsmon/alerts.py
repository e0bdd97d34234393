"""Alert emails to the admins (`[alerts] recipients`): one when a source goes wrong, one when it works again.

A source has a problem when its last `failures` runs all failed ("failing") or it has stored nothing for
`silent_days` ("silent"). When a problem is first seen, one email goes out and the `source_alerts` table
remembers it; while the problem lasts nothing more is sent, however many runs or restarts follow; when it
ends, one "recovered" email goes out and the row goes. A send that fails changes nothing, so the next check
tries again. Sources that start or end a problem at the same check share one email.

    check_alerts(cfg, store, now) -> [Notice]          after every `run` (cron and daemon), under the run lock
    decide(states, open_alerts, alerts) -> [Notice]        the pure part
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any

from newsmon.config import AlertsSettings, Config
from newsmon.errors import SendError
from newsmon.storage import coverage, health, runs
from newsmon.storage.engine import Store
from newsmon.storage.health import SourceHealth
from newsmon.storage.models import SourceAlert

if TYPE_CHECKING:
    from email.message import EmailMessage

log = logging.getLogger(__name__)

Sender = Callable[..., dict[str, str]]


@dataclass(frozen=True)
class Problem:
    kind: str        # failing | silent
    detail: str      # one line for people


@dataclass(frozen=True)
class Notice:
    kind: str        # alert | recovered | gap
    source: str
    problem: str     # the problem that started (alert) or ended (recovered)
    detail: str


def problem(h: SourceHealth, alerts: AlertsSettings) -> Problem | None:
    """What is wrong with a source now, if anything: failing runs first, then silence."""
    if h.failed_runs >= alerts.failures:
        return Problem("failing", f"the last {h.failed_runs} runs failed; last error: {h.last_error}")
    since = h.last_stored or h.first_run
    # silent: runs went on for silent_days after the last article (a source not run meanwhile is not silent)
    if since is not None and h.last_run is not None and h.last_run - since >= timedelta(days=alerts.silent_days):
        what = "nothing stored since" if h.last_stored else "nothing stored at all since its first run on"
        return Problem("silent", f"{what} {_when(since)} ({(h.last_run - since).days} days), although it "
                       f"was run until {_when(h.last_run)}")
    return None


def decide(states: Sequence[SourceHealth], open_alerts: Mapping[str, str], alerts: AlertsSettings
           ) -> list[Notice]:
    """The emails due: an alert for a source whose problem is new, "recovered" for one whose problem ended.
    `open_alerts` maps a source to the problem the admins were last told about."""
    out = []
    for h in states:
        found = problem(h, alerts)
        told = open_alerts.get(h.name)
        if found is not None and told is None:
            out.append(Notice("alert", h.name, found.kind, found.detail))
        elif found is None and told is not None:
            stored = f"last article stored {_when(h.last_stored)}" if h.last_stored else "no article stored yet"
            out.append(Notice("recovered", h.name, told,
                              f"the last run went through ({_when(h.last_run)}); {stored}"))
    return out


def check_alerts(cfg: Config, store: Store, now: datetime, *, send: Sender | None = None) -> list[Notice]:
    """Send the alert and recovery emails now due (through `send`, by default digests.mail.send_message);
    returns the notices sent. No recipients: does nothing, and imports nothing of sending (smtplib, email)."""
    if not cfg.alerts.recipients:
        return []
    if send is None:
        from newsmon.digests.mail import send_message

        send = send_message
    with store.read() as s:
        states = health.source_health(s, [src.name for src in cfg.sources], now)
        told = {name: alert.problem for name, alert in health.open_alerts(s).items()}
    notices = decide(states, told, cfg.alerts)
    by_name = {h.name: h for h in states}
    sent: list[Notice] = []
    for kind in ("alert", "recovered"):
        group = [n for n in notices if n.kind == kind]
        if group and _send(cfg, group, build_message(group, [by_name[n.source] for n in group],
                                                     sender=cfg.digest.sender, recipients=cfg.alerts.recipients,
                                                     now=now), send):
            _remember(store, group, now)
            sent += group
    return sent + _gap_alerts(cfg, store, now, send)


def _gap_alerts(cfg: Config, store: Store, now: datetime, send: Sender) -> list[Notice]:
    """One email about the coverage gaps that cannot be filled and were not told yet; each is told once."""
    with store.read() as s:
        rows = coverage.unrecoverable_not_told(s)
    if not rows:
        return []
    notices = [Notice("gap", r.source, "gap", f"{coverage.utc_span(r.gap.starts_at, r.gap.ends_at)} in what its "
                      f"{r.kind} {r.url} listed: {r.gap.detail}") for r in rows]
    if not _send(cfg, notices, gap_message(notices, sender=cfg.digest.sender, recipients=cfg.alerts.recipients,
                                           now=now), send):
        return []
    with store.write() as s:
        coverage.mark_told(s, [r.gap.id for r in rows], now)
    return notices


def _send(cfg: Config, notices: Sequence[Notice], message: EmailMessage, send: Sender) -> bool:
    """One email about `notices` (all of one kind); False if it could not be sent (tried after the next run)."""
    kind = notices[0].kind
    password = os.environ.get(cfg.smtp.password_env) if cfg.smtp.username else None
    try:
        refused = send(message.as_bytes(), smtp=cfg.smtp, sender=cfg.digest.sender,
                       recipients=list(cfg.alerts.recipients), password=password)
    except SendError as e:
        log.error("%s email about %s not sent: %s; trying again after the next run", kind,
                  ", ".join(n.source for n in notices), e)
        return False
    if refused:
        log.warning("%s email: refused by the server for %s", kind, "; ".join(f"{a} ({r})"
                                                                             for a, r in refused.items()))
    for n in notices:
        (log.info if kind == "recovered" else log.warning)("%s: %s email sent to %s: %s", n.source, kind,
                                                           ", ".join(cfg.alerts.recipients), n.detail)
    return True


def _remember(store: Store, notices: Sequence[Notice], now: datetime) -> None:
    """What the admins were told: an alert stays open until its "recovered" email went out."""
    with store.write() as s:
        ids = runs.source_ids(s, [n.source for n in notices])
        for n in notices:
            if n.kind == "alert":
                health.set_alert(s, ids[n.source], n.problem, n.detail, now)
            else:
                health.clear_alert(s, ids[n.source])


def build_message(notices: Sequence[Notice], states: Sequence[SourceHealth], *, sender: str,
                  recipients: Sequence[str], now: datetime) -> EmailMessage:
    """A plain-text email about notices of one kind, with each source's health for context."""
    kind = notices[0].kind
    names = [n.source for n in notices]
    if kind == "alert":
        subject = (f"newsmon: {names[0]} is {'failing' if notices[0].problem == 'failing' else 'silent'}"
                   if len(names) == 1 else f"newsmon: {len(names)} sources need attention: {', '.join(names)}")
    else:
        subject = f"newsmon: {', '.join(names)} recovered"
    lines: list[str] = []
    for n, h in zip(notices, states):
        state = n.problem.upper() if kind == "alert" else f"RECOVERED (was {n.problem})"
        lines += [f"{n.source}: {state}", f"  {n.detail}",
                  f"  last run: {_when(h.last_run)}; last run without errors: {_when(h.last_success)}",
                  f"  last article stored: {_when(h.last_stored)}; {h.items_per_day:.1f} a day over the last week"]
        for u in h.urls:
            status = "ok" if u.ok else f"{u.consecutive_failures} failures in a row"
            lines.append(f"  {u.url}: {status}" + (f" — {u.last_error}" if not u.ok and u.last_error else ""))
        lines.append("")
    if kind == "alert":
        lines += ["`newsmon check --source NAME` shows what each of its URLs answers now; `newsmon status` shows",
                  "the health of every source. You get this email once; another one says when it works again."]
    else:
        lines += ["Nothing more needs doing. `newsmon status` shows the health of every source."]
    return _email(subject, lines, sender=sender, recipients=recipients, now=now)


def gap_message(notices: Sequence[Notice], *, sender: str, recipients: Sequence[str], now: datetime
                ) -> EmailMessage:
    """A plain-text email about coverage gaps newsmon cannot fill: articles it will never see unless told where."""
    names = list(dict.fromkeys(n.source for n in notices))
    subject = (f"newsmon: {names[0]} has a gap it cannot fill" if len(notices) == 1 else
               f"newsmon: {len(notices)} gaps it cannot fill: {', '.join(names)}")
    lines = [f"{n.source}: gap {n.detail}" for n in notices]
    lines += ["", "The articles published in such a gap are not stored: the feed no longer lists them, and the",
              "source has no archive pages or sitemap configured to find them. Add `archives` or `sitemaps` to",
              "the source in config.toml if the site has them, then `newsmon backfill --since DAY --source NAME`",
              "recovers the days. `newsmon status` lists every gap; you get this email once per gap."]
    return _email(subject, lines, sender=sender, recipients=recipients, now=now)


def _email(subject: str, lines: Sequence[str], *, sender: str, recipients: Sequence[str], now: datetime
           ) -> EmailMessage:
    from newsmon.digests.mail import new_message

    message = new_message(subject=subject, sender=sender, recipients=recipients, now=now.astimezone(UTC),
                          message_id=make_msgid("newsmon-alert", domain=sender.rpartition("@")[2] or None))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("\n".join(lines) + "\n")
    return message


def _when(value: datetime | None) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if value is not None else "never"


def as_json(alert: SourceAlert | None) -> dict[str, Any] | None:
    if alert is None:
        return None
    return {"problem": alert.problem, "detail": alert.detail, "alerted_at": alert.alerted_at.isoformat()}
