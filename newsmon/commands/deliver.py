"""Handing one message to one channel of a subscription — by email through [smtp], or to a chat or web hook
through Apprise — with the outbox around it: kept before the first attempt, recorded as sent after, left
waiting (with the failure noted) when it fails. Shared by the digests and the instant alerts.

    keep(store, sub, parcel, now)          into the outbox
    send(cfg, store, sub, parcel, now)     attempt it; SendError if it failed (it stays in the outbox)
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime

from newsmon.config import Config
from newsmon.digests.settings import ChatTarget, SubscriptionSettings
from newsmon.errors import SendError
from newsmon.storage import digests as stored
from newsmon.storage.engine import Session, Store
from newsmon.storage.models import DigestOutbox

log = logging.getLogger(__name__)

EMAIL = stored.EMAIL


@dataclass(frozen=True)
class Parcel:
    """One message for one channel: an email's exact bytes, or a chat message as JSON {title, body}."""

    week: str                     # the period's label (a digest's week or day; an instant alert's time)
    channel: str                  # "email" | ChatTarget.channel
    payload: bytes
    recipients: tuple[str, ...]   # email addresses; for chat, the destination as shown
    topics: tuple[str, ...]
    message_id: str
    subject: str
    articles: int
    from_outbox: bool = False

    @classmethod
    def from_row(cls, row: DigestOutbox) -> Parcel:
        return cls(week=row.week, channel=row.channel, payload=bytes(row.message), recipients=tuple(row.recipients),
                   topics=tuple(row.topics), message_id=row.message_id, subject=row.subject, articles=row.articles,
                   from_outbox=True)

    @classmethod
    def chat(cls, target: ChatTarget, *, week: str, title: str, body: str, topics: tuple[str, ...],
             message_id: str, articles: int) -> Parcel:
        payload = json.dumps({"title": title, "body": body}, ensure_ascii=False).encode("utf-8")
        return cls(week=week, channel=target.channel, payload=payload, recipients=(target.shown,), topics=topics,
                   message_id=message_id, subject=title, articles=articles)

    @property
    def shown(self) -> str:
        """Where it goes, for a line: 'email', or the chat destination as shown."""
        return EMAIL if self.channel == EMAIL else (self.recipients[0] if self.recipients else self.channel)


def chat_target(sub: SubscriptionSettings, channel: str) -> ChatTarget | None:
    """The configured destination of a chat channel; None once it is no longer in config.toml."""
    return next((t for t in sub.notify if t.channel == channel), None)


def keep(store: Store, sub: SubscriptionSettings, parcel: Parcel, now: datetime) -> None:
    with store.write() as s:
        keep_in(s, sub, parcel, now)


def keep_in(session: Session, sub: SubscriptionSettings, parcel: Parcel, now: datetime) -> None:
    """`keep` inside a transaction of the caller's (an instant alert is kept with the marks of its articles)."""
    stored.keep_pending(session, subscription=sub.name, channel=parcel.channel, week=parcel.week,
                        topics=parcel.topics, recipients=parcel.recipients, message_id=parcel.message_id,
                        subject=parcel.subject, articles=parcel.articles, message=parcel.payload, now=now)


def send(cfg: Config, store: Store, sub: SubscriptionSettings, parcel: Parcel, now: datetime) -> dict[str, str]:
    """Deliver a parcel already in the outbox and record it as sent; returns the email recipients the server
    refused while accepting others. SendError when nothing was delivered: the parcel stays in the outbox with
    the failure noted."""
    try:
        refused = _deliver(cfg, sub, parcel)
    except SendError as e:
        with store.write() as s:
            stored.note_failure(s, parcel.week, str(e), now, subscription=sub.name, channel=parcel.channel)
        raise
    with store.write() as s:
        stored.mark_sent(s, subscription=sub.name, channel=parcel.channel, week=parcel.week, topics=parcel.topics,
                         recipients=parcel.recipients, message_id=parcel.message_id, subject=parcel.subject,
                         articles=parcel.articles, now=now)
    return refused


def _deliver(cfg: Config, sub: SubscriptionSettings, parcel: Parcel) -> dict[str, str]:
    if parcel.channel == EMAIL:
        from newsmon.digests.mail import send_message

        password = os.environ.get(cfg.smtp.password_env) if cfg.smtp.username else None
        return send_message(parcel.payload, smtp=cfg.smtp, sender=sub.sender, recipients=list(parcel.recipients),
                            password=password)
    target = chat_target(sub, parcel.channel)
    if target is None:
        raise SendError(f"{parcel.shown}: no longer in {sub.label}'s notify list")
    from newsmon.digests.chat import send_chat

    message = json.loads(parcel.payload)
    send_chat(target, title=message["title"], body=message["body"])
    return {}


def forget_removed(store: Store, sub: SubscriptionSettings, waiting: list[DigestOutbox]) -> list[DigestOutbox]:
    """Drop (with a warning) waiting chat messages whose destination was removed from config.toml — nobody
    can deliver them — and return the others."""
    kept = []
    for row in waiting:
        if row.channel != EMAIL and chat_target(sub, row.channel) is None:
            log.warning("%s %s: dropped the message waiting for %s, which is no longer in its notify list",
                        sub.label, row.week, ", ".join(row.recipients) or row.channel)
            with store.write() as s:
                stored.drop_pending(s, subscription=sub.name, week=row.week, channel=row.channel)
        else:
            kept.append(row)
    return kept
