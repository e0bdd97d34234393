"""`newsmon digest` as a function: choose the week, build (or take back from the outbox) the message, write
files, send once, record.

    run_digest(cfg, store, week=None, dry_run=False, out_dir=None, force=False, now=...) -> DigestOutcome

The clock is passed in. A send that fails raises SendError after keeping the message in the outbox, so the
next call sends the very same message (same bytes, same Message-ID).
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from newsmon.config import Config
from newsmon.digests.mail import send_message
from newsmon.digests.render import build_message, message_parts, render_digest
from newsmon.digests.select import select_week
from newsmon.digests.week import Week, last_complete_week
from newsmon.errors import ConfigError, SendError
from newsmon.files import write_bytes
from newsmon.storage import digests as stored
from newsmon.storage.engine import Store
from newsmon.storage.models import DigestOutbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DigestOutcome:
    week: Week
    status: str                                  # "sent" | "already-sent" | "not-sent" (--dry-run)
    subject: str = ""
    message_id: str = ""
    recipients: tuple[str, ...] = ()
    articles: int = 0
    files: tuple[Path, ...] = ()
    refused: dict[str, str] = field(default_factory=dict)   # recipients the server refused, others got it
    retried: bool = False                        # the message came from the outbox (an earlier failed send)

    @property
    def exit_code(self) -> int:
        return 1 if self.refused else 0

    def line(self) -> str:
        """One line for the terminal."""
        what = f"digest {self.week.label}"
        if self.status == "already-sent":
            text = f"{what}: already sent; --force sends it again"
        elif self.status == "sent":
            text = (f"{what}: sent to {len(self.recipients) - len(self.refused)} recipient"
                    f"{'s' if len(self.recipients) - len(self.refused) != 1 else ''}"
                    f"{' (the message kept from the failed send)' if self.retried else ''} — {self.subject}")
            if self.refused:
                text += "; refused: " + "; ".join(f"{a} ({r})" for a, r in self.refused.items())
        else:
            text = f"{what}: not sent (--dry-run) — {self.subject}"
        if self.files:
            text += f"; wrote {', '.join(str(f) for f in self.files)}"
        return text


@dataclass(frozen=True)
class _Built:
    """A digest message ready to send: built now, or taken back from the outbox."""

    raw: bytes
    message: EmailMessage
    recipients: list[str]
    topics: list[str]
    message_id: str
    subject: str
    articles: int
    from_outbox: bool


def run_digest(cfg: Config, store: Store, *, week: Week | None = None, dry_run: bool = False,
               out_dir: Path | None = None, force: bool = False, now: datetime) -> DigestOutcome:
    """Build the digest of `week` (default: the last complete week in the digest time zone) and send it,
    unless it was sent already (`force` sends again) or `dry_run`. `out_dir` gets digest-WEEK.html/.txt/.eml."""
    week = week or last_complete_week(now, cfg.digest.timezone)
    with store.read() as s:
        sent = stored.sent_for(s, week.label)
        waiting = _from_outbox(stored.pending(s, week.label))
    send = not dry_run and (force or not sent or waiting is not None)
    if not send and not dry_run and out_dir is None:
        last = sent[-1]
        return DigestOutcome(week=week, status="already-sent", subject=last.subject, message_id=last.message_id,
                             recipients=tuple(last.recipients), articles=last.articles)
    if send:
        _check_sendable(cfg, week, now, waiting is not None)
    built = waiting or _build(cfg, store, week, now)
    files = write_files(built.message, built.raw, out_dir, week.label) if out_dir is not None else ()
    outcome = DigestOutcome(week=week, status="not-sent", subject=built.subject, message_id=built.message_id,
                            recipients=tuple(built.recipients), articles=built.articles, files=files,
                            retried=built.from_outbox)
    if not send:
        return outcome if dry_run else replace(outcome, status="already-sent")
    return replace(outcome, status="sent", refused=_send_once(cfg, store, week, built, now))


def _from_outbox(row: DigestOutbox | None) -> _Built | None:
    if row is None:
        return None
    raw = bytes(row.message)
    log.info("digest %s: using the message kept from an earlier failed send (%s)", row.week, row.message_id)
    return _Built(raw=raw, message=message_from_bytes(raw, _class=EmailMessage, policy=policy.default),
                  recipients=list(row.recipients), topics=list(row.topics), message_id=row.message_id,
                  subject=row.subject, articles=row.articles, from_outbox=True)


def _check_sendable(cfg: Config, week: Week, now: datetime, from_outbox: bool) -> None:
    if not week.is_over(now):
        raise ConfigError(f"week {week.label} is not over until {week.end:%a %d %b %H:%M} ({cfg.digest.timezone}); "
                          "--dry-run or --out show it so far")
    if not from_outbox and not cfg.digest.recipients:
        raise ConfigError(f"{cfg.path}: digest.recipients: no recipients configured")


def _build(cfg: Config, store: Store, week: Week, now: datetime) -> _Built:
    topics = list(cfg.digest.topics or cfg.topics)
    recipients = list(cfg.digest.recipients)
    message_id = f"<digest.{week.label}.{secrets.token_hex(8)}@{cfg.digest.sender.rpartition('@')[2]}>"
    descriptions = {t: str(cfg.topics.get(t, {}).get("description") or "") for t in topics}
    with store.read() as s:
        data = select_week(s, week, {t: cfg.topic_title(t) for t in topics},
                           {src.name: src.title for src in cfg.sources}, descriptions=descriptions, now=now)
    digest = render_digest(data, now=now, title=cfg.digest.title, max_stories=cfg.digest.max_stories)
    message = build_message(digest, sender=cfg.digest.sender, recipients=recipients, message_id=message_id, now=now)
    return _Built(raw=message.as_bytes(), message=message, recipients=recipients, topics=topics,
                  message_id=message_id, subject=digest.subject, articles=digest.articles, from_outbox=False)


def _send_once(cfg: Config, store: Store, week: Week, built: _Built, now: datetime) -> dict[str, str]:
    """Keep the message in the outbox, send it, record it as sent; returns the recipients refused. A failed
    send leaves it in the outbox (SendError)."""
    if not built.from_outbox:
        with store.write() as s:
            stored.keep_pending(s, week=week.label, topics=built.topics, recipients=built.recipients,
                                message_id=built.message_id, subject=built.subject, articles=built.articles,
                                message=built.raw, now=now)
    password = os.environ.get(cfg.smtp.password_env) if cfg.smtp.username else None
    try:
        refused = send_message(built.raw, smtp=cfg.smtp, sender=cfg.digest.sender, recipients=built.recipients,
                               password=password)
    except SendError as e:
        with store.write() as s:
            stored.note_failure(s, week.label, str(e), now)
        raise SendError(f"digest {week.label} not sent: {e} (kept; the next `newsmon digest` sends the same "
                        "message)") from None
    with store.write() as s:
        stored.mark_sent(s, week=week.label, topics=built.topics, recipients=built.recipients,
                         message_id=built.message_id, subject=built.subject, articles=built.articles, now=now)
    return refused


def write_files(message: EmailMessage, raw: bytes, out_dir: Path, label: str) -> tuple[Path, ...]:
    """digest-LABEL.html (charts embedded, opens in a browser), .txt and .eml, each written atomically."""
    parts = message_parts(message)
    return tuple(write_bytes(out_dir / f"digest-{label}{suffix}", data)
                 for suffix, data in ((".html", parts.standalone_html().encode("utf-8")),
                                      (".txt", parts.text.encode("utf-8")), (".eml", raw)))
