"""`newsmon digest` as a function: choose the period (a week, or a day for a daily subscription), build (or
take back from the outbox) the message for each channel, write files, send once, record.

    run_digest(cfg, store, subscription=None, week=None, dry_run=False, out_dir=None, force=False, now=...)

Without a subscription it is the `[digest]` table's weekly email, exactly as before subscriptions. A
subscription's channels — its email recipients, each notify URL — are sent and recorded one by one, so a
chat service that is down does not resend the email, and the next call sends only what is still waiting.
The clock is passed in. A send that fails raises SendError after keeping the message in the outbox, so the
next call sends the very same message (same bytes, same Message-ID).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from newsmon.commands.deliver import EMAIL, Parcel, forget_removed, keep, send
from newsmon.config import Config
from newsmon.digests.period import Period, last_complete
from newsmon.digests.render import RenderedDigest, build_message, message_parts, render_digest
from newsmon.digests.select import select_week
from newsmon.digests.settings import SubscriptionSettings
from newsmon.errors import ConfigError, SendError
from newsmon.files import write_bytes
from newsmon.storage import digests as stored
from newsmon.storage.engine import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DigestOutcome:
    week: Period                                 # the week, or the day of a daily subscription
    status: str                                  # "sent" | "already-sent" | "not-sent" (--dry-run)
    subject: str = ""
    message_id: str = ""
    recipients: tuple[str, ...] = ()             # email addresses the message went (or would go) to
    articles: int = 0
    files: tuple[Path, ...] = ()
    refused: dict[str, str] = field(default_factory=dict)   # recipients the server refused, others got it
    retried: bool = False                        # the message came from the outbox (an earlier failed send)
    what: str = "digest"                         # "digest" ([digest]), or "subscription NAME"
    chats: tuple[str, ...] = ()                  # chat destinations it went (or would go) to, as shown

    @property
    def exit_code(self) -> int:
        return 1 if self.refused else 0

    def line(self) -> str:
        """One line for the terminal."""
        what = f"{self.what} {self.week.label}"
        if self.status == "already-sent":
            text = f"{what}: already sent; --force sends it again"
        elif self.status == "sent":
            emailed = len(self.recipients) - len(self.refused)
            places = [f"{emailed} recipient{'s' if emailed != 1 else ''}"] if self.recipients else []
            places += list(self.chats)
            text = (f"{what}: sent to {' and '.join(places)}"
                    f"{' (the message kept from the failed send)' if self.retried else ''} — {self.subject}")
            if self.refused:
                text += "; refused: " + "; ".join(f"{a} ({r})" for a, r in self.refused.items())
        else:
            text = f"{what}: not sent (--dry-run) — {self.subject}"
        if self.files:
            text += f"; wrote {', '.join(str(f) for f in self.files)}"
        return text


def channels(sub: SubscriptionSettings) -> list[str]:
    """A subscription's channels: email (always for [digest], which says when it has no recipients), then each
    notify URL."""
    email = [EMAIL] if sub.recipients or sub.legacy else []
    return email + [t.channel for t in sub.notify]


def run_digest(cfg: Config, store: Store, *, subscription: SubscriptionSettings | None = None,
               week: Period | None = None, dry_run: bool = False, out_dir: Path | None = None, force: bool = False,
               now: datetime) -> DigestOutcome:
    """Build the digest of `week` (default: the last complete week — or day — in the subscription's time zone)
    and send it to each channel that has not had it, unless `dry_run` (`force` sends again). `out_dir` gets
    digest-[NAME-]PERIOD.html/.txt/.eml. Without `subscription`, the [digest] table."""
    sub = subscription or cfg.legacy_subscription
    if sub.cadence == "instant":
        raise ConfigError(f"{sub.label} is instant: it has no digest of a week or a day")
    week = week or last_complete(sub.cadence, now, sub.timezone)
    with store.read() as s:
        sent = stored.sent_for(s, week.label, sub.name)
        rows = stored.pending(s, week.label, sub.name)
    waiting = {row.channel: Parcel.from_row(row) for row in (rows if dry_run else forget_removed(store, sub, rows))}
    for parcel in waiting.values():
        log.info("%s %s: using the message kept from an earlier failed send to %s (%s)", sub.label, week.label,
                 parcel.shown, parcel.message_id)
    sent_to = {row.channel for row in sent}
    due = [] if dry_run else [c for c in channels(sub) if force or c not in sent_to or c in waiting]
    if not due and not dry_run and out_dir is None:
        last = sent[-1]
        return DigestOutcome(week=week, status="already-sent", subject=last.subject, message_id=last.message_id,
                             recipients=tuple(last.recipients), articles=last.articles, what=sub.label)
    if due:
        _check_sendable(sub, week, now, from_outbox=all(c in waiting for c in due), path=cfg.path)
    fresh = _Fresh(cfg, store, sub, week, now)
    email = waiting.get(EMAIL) or (fresh.email() if EMAIL in channels(sub) or out_dir is not None else None)
    files = write_files(_as_message(email.payload), email.payload, out_dir, _file_label(sub, week)) \
        if out_dir is not None and email is not None else ()
    parcels = {c: waiting[c] if c in waiting else _fresh_parcel(fresh, c, email) for c in due}
    first = next(iter(parcels.values()), None) or email or fresh.chat(channels(sub)[0])
    outcome = DigestOutcome(
        week=week, status="not-sent", subject=first.subject, message_id=first.message_id,
        recipients=email.recipients if email is not None and EMAIL in (due or channels(sub)) else (),
        articles=first.articles, files=files, what=sub.label,
        chats=tuple(p.shown for c, p in parcels.items() if c != EMAIL) if due else
        tuple(t.shown for t in sub.notify))
    if not due:
        return outcome if dry_run else replace(outcome, status="already-sent")
    refused, delivered, failures = _send_each(cfg, store, sub, parcels, now)
    if failures:
        command = "newsmon digest" + ("" if sub.legacy else f" --subscription {sub.name}")
        raise SendError(f"{sub.label} {week.label} not sent: {'; '.join(failures)} (kept; the next `{command}` "
                        "sends the same message)")
    return replace(outcome, status="sent", refused=refused, retried=any(p.from_outbox for p in parcels.values()),
                   recipients=parcels[EMAIL].recipients if EMAIL in parcels else (),
                   chats=tuple(parcels[c].shown for c in delivered if c != EMAIL))


def _fresh_parcel(fresh: _Fresh, channel: str, email: Parcel | None) -> Parcel:
    if channel != EMAIL:
        return fresh.chat(channel)
    assert email is not None    # built above whenever the subscription has the channel
    return email


def _send_each(cfg: Config, store: Store, sub: SubscriptionSettings, parcels: dict[str, Parcel], now: datetime
               ) -> tuple[dict[str, str], list[str], list[str]]:
    """Keep each new parcel in the outbox, then send them one by one: (email recipients refused, channels
    delivered, failures as text)."""
    for parcel in parcels.values():
        if not parcel.from_outbox:
            keep(store, sub, parcel, now)
    refused: dict[str, str] = {}
    delivered: list[str] = []
    failures: list[str] = []
    for channel, parcel in parcels.items():
        try:
            refused.update(send(cfg, store, sub, parcel, now))
            delivered.append(channel)
        except SendError as e:
            failures.append(str(e))
    return refused, delivered, failures


class _Fresh:
    """The digest rendered at most once, turned into the parcel each channel needs."""

    def __init__(self, cfg: Config, store: Store, sub: SubscriptionSettings, week: Period, now: datetime) -> None:
        self.cfg, self.store, self.sub, self.week, self.now = cfg, store, sub, week, now
        self._digest: RenderedDigest | None = None
        self.message_id = _message_id(sub, week)

    @property
    def digest(self) -> RenderedDigest:
        if self._digest is None:
            cfg, sub = self.cfg, self.sub
            descriptions = {t: str(cfg.topics.get(t, {}).get("description") or "") for t in sub.topics}
            with self.store.read() as s:
                data = select_week(s, self.week, {t: cfg.topic_title(t) for t in sub.topics},
                                   {src.name: src.title for src in cfg.sources}, descriptions=descriptions,
                                   now=self.now)
            self._digest = render_digest(data, now=self.now, title=sub.title, max_stories=sub.max_stories,
                                         workbench=cfg.serve.public_url)
        return self._digest

    def email(self) -> Parcel:
        digest = self.digest
        message = build_message(digest, sender=self.sub.sender, recipients=self.sub.recipients,
                                message_id=self.message_id, now=self.now)
        return Parcel(week=self.week.label, channel=EMAIL, payload=message.as_bytes(),
                      recipients=tuple(self.sub.recipients), topics=self.sub.topics, message_id=self.message_id,
                      subject=digest.subject, articles=digest.articles)

    def chat(self, channel: str) -> Parcel:
        target = next(t for t in self.sub.notify if t.channel == channel)
        digest = self.digest
        return Parcel.chat(target, week=self.week.label, title=digest.subject, body=digest.chat,
                           topics=self.sub.topics, message_id=self.message_id, articles=digest.articles)


def _message_id(sub: SubscriptionSettings, week: Period) -> str:
    name = "" if sub.legacy else f"{sub.name}."
    return f"<digest.{name}{week.label}.{secrets.token_hex(8)}@{sub.sender.rpartition('@')[2]}>"


def _file_label(sub: SubscriptionSettings, week: Period) -> str:
    return week.label if sub.legacy else f"{sub.name}-{week.label}"


def _as_message(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, _class=EmailMessage, policy=policy.default)


def _check_sendable(sub: SubscriptionSettings, week: Period, now: datetime, *, from_outbox: bool,
                    path: Path) -> None:
    if not week.is_over(now):
        raise ConfigError(f"{week.noun} {week.label} is not over until {week.end:%a %d %b %H:%M} ({sub.timezone}); "
                          "--dry-run or --out show it so far")
    if not from_outbox and sub.legacy and not sub.recipients:
        raise ConfigError(f"{path}: digest.recipients: no recipients configured")


def write_files(message: EmailMessage, raw: bytes, out_dir: Path, label: str) -> tuple[Path, ...]:
    """digest-LABEL.html (charts embedded, opens in a browser), .txt and .eml, each written atomically."""
    parts = message_parts(message)
    return tuple(write_bytes(out_dir / f"digest-{label}{suffix}", data)
                 for suffix, data in ((".html", parts.standalone_html().encode("utf-8")),
                                      (".txt", parts.text.encode("utf-8")), (".eml", raw)))
