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
from newsmon.storage import digests as record
from newsmon.storage.engine import Store

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


def run_digest(cfg: Config, store: Store, *, week: Week | None = None, dry_run: bool = False,
               out_dir: Path | None = None, force: bool = False, now: datetime) -> DigestOutcome:
    """Build the digest of `week` (default: the last complete week in the digest time zone) and send it,
    unless it was sent already (`force` sends again) or `dry_run`. `out_dir` gets digest-WEEK.html/.txt/.eml."""
    tz = cfg.digest.timezone
    week = week or last_complete_week(now, tz)
    label = week.label
    with store.read() as s:
        sent = record.sent_for(s, label)
        waiting = record.pending(s, label)
        waiting_copy = None if waiting is None else (bytes(waiting.message), list(waiting.recipients),
                                                    list(waiting.topics), waiting.message_id, waiting.subject,
                                                    waiting.articles)
    send = not dry_run and (force or not sent or waiting_copy is not None)
    if not send and not dry_run and out_dir is None:
        return DigestOutcome(week=week, status="already-sent", subject=sent[-1].subject,
                             message_id=sent[-1].message_id, recipients=tuple(sent[-1].recipients),
                             articles=sent[-1].articles)
    if send and not week.is_over(now):
        raise ConfigError(f"week {label} is not over until {week.end:%a %d %b %H:%M} ({tz}); "
                          "--dry-run or --out show it so far")
    if send and waiting_copy is None and not cfg.digest.recipients:
        raise ConfigError(f"{cfg.path}: digest.recipients: no recipients configured")

    topics = list(cfg.digest.topics or cfg.topics)
    if waiting_copy is not None:
        raw, recipients, topics, message_id, subject, articles = waiting_copy
        message = message_from_bytes(raw, _class=EmailMessage, policy=policy.default)
        log.info("digest %s: using the message kept from an earlier failed send (%s)", label, message_id)
    else:
        recipients = list(cfg.digest.recipients)
        message_id = f"<digest.{label}.{secrets.token_hex(8)}@{cfg.digest.sender.rpartition('@')[2]}>"
        descriptions = {t: _description(cfg, t) for t in topics}
        with store.read() as s:
            data = select_week(s, week, descriptions, [src.name for src in cfg.sources])
        digest = render_digest(data, now=now, title=cfg.digest.title, max_stories=cfg.digest.max_stories)
        message = build_message(digest, sender=cfg.digest.sender, recipients=recipients, message_id=message_id,
                                now=now)
        raw, subject, articles = message.as_bytes(), digest.subject, digest.articles

    files = write_files(message, raw, out_dir, label) if out_dir is not None else ()
    outcome = DigestOutcome(week=week, status="not-sent", subject=subject, message_id=message_id,
                            recipients=tuple(recipients), articles=articles, files=files,
                            retried=waiting_copy is not None)
    if not send:
        return outcome if dry_run else replace(outcome, status="already-sent")

    if waiting_copy is None:
        with store.write() as s:
            record.keep_pending(s, week=label, topics=topics, recipients=recipients, message_id=message_id,
                                subject=subject, articles=articles, message=raw, now=now)
    password = os.environ.get(cfg.smtp.password_env) if cfg.smtp.username else None
    try:
        refused = send_message(raw, smtp=cfg.smtp, sender=cfg.digest.sender, recipients=recipients,
                               password=password)
    except SendError as e:
        with store.write() as s:
            record.note_failure(s, label, str(e), now)
        raise SendError(f"digest {label} not sent: {e} (kept; the next `newsmon digest` sends the same "
                        "message)") from None
    with store.write() as s:
        record.mark_sent(s, week=label, topics=topics, recipients=recipients, message_id=message_id,
                         subject=subject, articles=articles, now=now)
    return replace(outcome, status="sent", refused=refused)


def _description(cfg: Config, topic: str) -> str:
    value = cfg.topics.get(topic, {}).get("description") if isinstance(cfg.topics.get(topic), dict) else None
    return value if isinstance(value, str) and value.strip() else topic


def write_files(message: EmailMessage, raw: bytes, out_dir: Path, label: str) -> tuple[Path, ...]:
    """digest-LABEL.html (charts embedded, opens in a browser), .txt and .eml, each written atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    parts = message_parts(message)
    written = []
    for suffix, data in ((".html", parts.standalone_html().encode("utf-8")), (".txt", parts.text.encode("utf-8")),
                         (".eml", raw)):
        path = out_dir / f"digest-{label}{suffix}"
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        written.append(path)
    return tuple(written)
