"""What was sent, and what waits to be sent: the `digests_sent` and `digest_outbox` tables.

A digest is put in the outbox before the first attempt, so a failed send (or a crash half-way) leaves the
exact message for the next call; a successful send moves it to `digests_sent` in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from newsmon.storage.models import DigestOutbox, DigestSent
from sqlalchemy import delete, select
from sqlalchemy.orm import Session


def sent_for(session: Session, week: str) -> list[DigestSent]:
    """The sends of `week`, oldest first."""
    return list(session.execute(select(DigestSent).where(DigestSent.week == week)
                                .order_by(DigestSent.sent_at, DigestSent.id)).scalars())


def last_sent(session: Session) -> DigestSent | None:
    """The latest digest sent (for `newsmon status`)."""
    return session.execute(select(DigestSent).order_by(DigestSent.sent_at.desc(), DigestSent.id.desc())
                           .limit(1)).scalar_one_or_none()


def pending(session: Session, week: str) -> DigestOutbox | None:
    return session.get(DigestOutbox, week)


def keep_pending(session: Session, *, week: str, topics: Sequence[str], recipients: Sequence[str],
                 message_id: str, subject: str, articles: int, message: bytes, now: datetime) -> None:
    session.merge(DigestOutbox(week=week, topics=list(topics), recipients=list(recipients), message_id=message_id,
                               subject=subject, articles=articles, message=message, created_at=now, attempts=0))


def note_failure(session: Session, week: str, error: str, now: datetime) -> None:
    row = session.get(DigestOutbox, week)
    if row is not None:
        row.attempts = (row.attempts or 0) + 1
        row.last_error = error
        row.last_attempt_at = now


def mark_sent(session: Session, *, week: str, topics: Sequence[str], recipients: Sequence[str], message_id: str,
              subject: str, articles: int, now: datetime) -> None:
    session.add(DigestSent(week=week, topics=list(topics), recipients=list(recipients), message_id=message_id,
                           subject=subject, articles=articles, sent_at=now))
    session.execute(delete(DigestOutbox).where(DigestOutbox.week == week))
