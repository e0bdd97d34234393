"""Instant alerts: after every run (and after a reclassify) each instant subscription gets the articles newly
tagged with one of its topics at `min_score` or more, batched into one message per channel, once per
(subscription, article).

    send_instant(cfg, store, now=...) -> [InstantOutcome]

Once: an article is marked in `instant_sent` in the very transaction that puts its message in the outbox,
so a rerun, a restart or a reclassify never selects it again; the outbox, not the selection, then owns the
delivery, and a failed one is tried again after the next run. News only: an article published more than
`max_age_days` ago is left to the digests — what a backfill of past weeks stores (published long before it
was stored: as stored is never after now, "published within max_age_days of now" covers that too), and an
old article that a reclassify newly tags. A failed delivery never fails the run that triggered it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from newsmon.commands.deliver import EMAIL, Parcel, forget_removed, keep_in, send
from newsmon.config import Config
from newsmon.digests.settings import SubscriptionSettings
from newsmon.errors import LockedError, SendError
from newsmon.storage import digests as stored
from newsmon.storage.engine import Store
from newsmon.storage.lock import run_lock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InstantOutcome:
    subscription: str
    queued: int                      # articles put into new messages by this call
    delivered: tuple[str, ...]       # each message delivered: "email" or the chat destination as shown
    failed: tuple[str, ...]          # each delivery that failed (its message waits for the next run)

    @property
    def worth_telling(self) -> bool:
        return bool(self.failed)

    def line(self) -> str:
        """One line for the terminal: what was queued, delivered and left waiting."""
        parts = [f"{self.queued} new article{'s' if self.queued != 1 else ''}"]
        if self.delivered:
            parts.append(f"sent {len(self.delivered)} message{'s' if len(self.delivered) != 1 else ''} "
                         f"({', '.join(dict.fromkeys(self.delivered))})")
        if self.failed:
            parts.append(f"{len(self.failed)} waiting for the next run: {'; '.join(self.failed)}")
        return f"instant {self.subscription}: " + ", ".join(parts)


def instant_subscriptions(cfg: Config) -> tuple[SubscriptionSettings, ...]:
    return tuple(s for s in cfg.subscriptions if s.cadence == "instant")


def send_instant(cfg: Config, store: Store, *, now: datetime,
                 only: Sequence[SubscriptionSettings] | None = None) -> list[InstantOutcome]:
    """Queue and send the instant alerts due (of `only`, default every instant subscription) and retry those
    waiting. Never raises SendError: failures are in the outcomes and the log. Skipped (empty list) while
    another newsmon does it; that one sends these articles too."""
    subs = instant_subscriptions(cfg) if only is None else tuple(only)
    if not subs:
        return []
    try:
        with run_lock(store, "instant"):
            outcomes = [_one(cfg, store, sub, now) for sub in subs]
    except LockedError:
        log.info("instant alerts: another newsmon is sending them; it sends these articles too")
        return []
    for outcome in outcomes:
        if outcome.queued or outcome.delivered or outcome.failed:
            (log.warning if outcome.failed else log.info)("%s", outcome.line())
    return outcomes


def _one(cfg: Config, store: Store, sub: SubscriptionSettings, now: datetime) -> InstantOutcome:
    queued = _queue(cfg, store, sub, now)
    with store.read() as s:
        rows = stored.outbox(s, sub.name)
    delivered: list[str] = []
    failed: list[str] = []
    for row in forget_removed(store, sub, rows):
        parcel = Parcel.from_row(row)
        try:
            send(cfg, store, sub, parcel, now)
            delivered.append(parcel.shown)
        except SendError as e:
            failed.append(str(e))
    return InstantOutcome(sub.name, queued, tuple(delivered), tuple(failed))


def _queue(cfg: Config, store: Store, sub: SubscriptionSettings, now: datetime) -> int:
    """Put the articles due into the outbox — one message per channel and batch — and mark them sent, in one
    transaction; returns how many articles."""
    with store.read() as s:
        recent = stored.instant_candidates(s, sub.name, sub.topics, min_score=sub.min_score,
                                           since=now - timedelta(days=sub.max_age_days))
    if not recent:
        return 0
    from newsmon.digests.brief import Alert, AlertArticle, batches  # Jinja2 and css-inline: only when sending

    titles = {src.name: src.title for src in cfg.sources}
    articles = [AlertArticle(article_id=r.article_id, title=r.title, url=r.url, source=titles.get(r.source, r.source),
                             when=r.instant, topics=tuple(cfg.topic_title(t) for t in sub.topics if t in r.topics))
                for r in recent]
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    domain = sub.sender.rpartition("@")[2]
    with store.write() as s:
        for i, batch in enumerate(batches(articles)):
            label = stamp if i == 0 else f"{stamp}+{i}"
            alert = Alert(sub.title, batch, sub.timezone)
            message_id = f"<instant.{sub.name}.{secrets.token_hex(8)}@{domain}>"
            if sub.recipients:
                message = alert.email(sender=sub.sender, recipients=sub.recipients, message_id=message_id, now=now)
                keep_in(s, sub, Parcel(week=label, channel=EMAIL, payload=message.as_bytes(),
                                       recipients=sub.recipients, topics=sub.topics, message_id=message_id,
                                       subject=alert.subject, articles=len(batch)), now)
            title, body = alert.chat()
            for target in sub.notify:
                keep_in(s, sub, Parcel.chat(target, week=label, title=title, body=body, topics=sub.topics,
                                            message_id=message_id, articles=len(batch)), now)
        stored.mark_instant(s, sub.name, [a.article_id for a in articles], now)
    return len(articles)
