"""Digests: what was sent and what waits to be sent (the `digests_sent` and `digest_outbox` tables), and
the reads a digest is built from.

A digest is put in the outbox before the first attempt, so a failed send (or a crash half-way) leaves the
exact message for the next call; a successful send moves it to `digests_sent` in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, case, delete, func, or_, select
from sqlalchemy.orm import Session

from newsmon.storage.models import Article, ArticleTopic, DigestOutbox, DigestSent, Run, RunSource, Source


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


def sent_weeks(session: Session) -> set[str]:
    """Every week whose digest was sent."""
    return set(session.scalars(select(DigestSent.week)))


def pending_weeks(session: Session) -> set[str]:
    """Every week whose digest waits in the outbox."""
    return set(session.scalars(select(DigestOutbox.week)))


# ---- what goes into a digest ----

class TaggedRow(NamedTuple):
    article_id: int
    source: str
    url: str
    title: str
    text: str                       # the first `text_chars` characters
    instant: datetime               # published, else fetched (UTC)
    score: float
    terms: dict[str, int]           # rule term -> count
    snippets: list[str]
    words: dict[str, int]           # word found in the text -> count; empty in rows stored before 0005


def tagged_between(session: Session, topic: str, start: datetime, end: datetime, *, text_chars: int
                   ) -> list[TaggedRow]:
    """The articles tagged with `topic` whose instant is in [start, end)."""
    rows = session.execute(
        select(Article.id, Source.name, Article.url, Article.title, func.substr(Article.text, 1, text_chars),
               Article.instant, ArticleTopic.score, ArticleTopic.terms, ArticleTopic.snippets, ArticleTopic.words)
        .join(Source, Source.id == Article.source_id)
        .join(ArticleTopic, ArticleTopic.article_id == Article.id)
        .where(ArticleTopic.topic == topic, Article.instant >= start, Article.instant < end)
    )
    return [TaggedRow(aid, src, url, title or "", text or "", when, float(score), dict(terms or {}),
                      list(snippets or ()), dict(words or {}))
            for aid, src, url, title, text, when, score, terms, snippets, words in rows]


def tagged_counts(session: Session, topic: str, spans: Sequence[tuple[datetime, datetime]]
                  ) -> dict[str, list[int]]:
    """source -> the number of articles tagged with `topic` in each [start, end) of `spans`, in one query."""
    columns = [func.sum(case((and_(Article.instant >= a, Article.instant < b), 1), else_=0)) for a, b in spans]
    rows = session.execute(
        select(Source.name, *columns)
        .join(Article, Article.source_id == Source.id)
        .join(ArticleTopic, ArticleTopic.article_id == Article.id)
        .where(ArticleTopic.topic == topic, Article.instant >= spans[0][0], Article.instant < spans[-1][1])
        .group_by(Source.name)
    ).all()
    return {row[0]: [int(c or 0) for c in row[1:]] for row in rows}


def stored_per_source(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """source -> articles (tagged or not) whose instant is in [start, end)."""
    return dict(session.execute(
        select(Source.name, func.count(Article.id)).join(Article, Article.source_id == Source.id)
        .where(Article.instant >= start, Article.instant < end).group_by(Source.name)).all())


def run_failures(session: Session, start: datetime, end: datetime) -> list[tuple[str, int, int, str]]:
    """(source, run id, failed items, errors) of each source's runs started in [start, end) that had errors,
    oldest first."""
    return list(session.execute(
        select(Source.name, RunSource.run_id, RunSource.failed, RunSource.errors)
        .join(RunSource, RunSource.source_id == Source.id).join(Run, Run.id == RunSource.run_id)
        .where(Run.started_at >= start, Run.started_at < end, or_(RunSource.failed > 0, RunSource.errors != ""))
        .order_by(Run.started_at, Run.id)).all())


def source_names(session: Session) -> list[str]:
    """Every source ever stored, by name."""
    return list(session.execute(select(Source.name).order_by(Source.name)).scalars())


def outbox(session: Session) -> list[DigestOutbox]:
    """The digests waiting to be sent (a send failed, or was cut short), oldest week first."""
    return list(session.execute(select(DigestOutbox).order_by(DigestOutbox.week)).scalars())
