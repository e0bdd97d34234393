"""Digests and alerts: what was sent and what waits to be sent (the `digests_sent` and `digest_outbox` tables,
per subscription and channel; `instant_sent`), and the reads a digest or an instant alert is built from.

A message is put in the outbox before the first attempt, so a failed send (or a crash half-way) leaves the
exact message for the next call; a successful send moves it to `digests_sent` in one transaction. An instant
alert's articles are marked in `instant_sent` in the transaction that puts it in the outbox: from then on
the outbox, not the selection, owns them, and no rerun selects them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, case, delete, func, or_, select
from sqlalchemy.orm import Session

from newsmon.storage.judgements import not_relevant
from newsmon.storage.models import (
    Article,
    ArticleTopic,
    DigestOutbox,
    DigestSent,
    InstantSent,
    Run,
    RunSource,
    Source,
)

LEGACY = "digest"     # the [digest] table's subscription name (digests.settings.LEGACY_NAME)
EMAIL = "email"


def sent_for(session: Session, week: str, subscription: str = LEGACY) -> list[DigestSent]:
    """The sends of one period of a subscription (every channel), oldest first."""
    return list(session.execute(select(DigestSent).where(DigestSent.subscription == subscription,
                                                         DigestSent.week == week)
                                .order_by(DigestSent.sent_at, DigestSent.id)).scalars())


def last_sent(session: Session, subscription: str = LEGACY) -> DigestSent | None:
    """The latest message a subscription sent (for `newsmon status`)."""
    return session.execute(select(DigestSent).where(DigestSent.subscription == subscription)
                           .order_by(DigestSent.sent_at.desc(), DigestSent.id.desc()).limit(1)).scalar_one_or_none()


def pending(session: Session, week: str, subscription: str = LEGACY) -> list[DigestOutbox]:
    """The messages of one period of a subscription waiting in the outbox, one per channel."""
    return list(session.execute(select(DigestOutbox).where(DigestOutbox.subscription == subscription,
                                                           DigestOutbox.week == week)
                                .order_by(DigestOutbox.channel)).scalars())


def keep_pending(session: Session, *, week: str, topics: Sequence[str], recipients: Sequence[str],
                 message_id: str, subject: str, articles: int, message: bytes, now: datetime,
                 subscription: str = LEGACY, channel: str = EMAIL) -> None:
    session.merge(DigestOutbox(subscription=subscription, week=week, channel=channel, topics=list(topics),
                               recipients=list(recipients), message_id=message_id, subject=subject,
                               articles=articles, message=message, created_at=now, attempts=0))


def note_failure(session: Session, week: str, error: str, now: datetime, *, subscription: str = LEGACY,
                 channel: str = EMAIL) -> None:
    row = session.get(DigestOutbox, (subscription, week, channel))
    if row is not None:
        row.attempts = (row.attempts or 0) + 1
        row.last_error = error
        row.last_attempt_at = now


def mark_sent(session: Session, *, week: str, topics: Sequence[str], recipients: Sequence[str], message_id: str,
              subject: str, articles: int, now: datetime, subscription: str = LEGACY, channel: str = EMAIL) -> None:
    session.add(DigestSent(subscription=subscription, channel=channel, week=week, topics=list(topics),
                           recipients=list(recipients), message_id=message_id, subject=subject, articles=articles,
                           sent_at=now))
    session.execute(delete(DigestOutbox).where(DigestOutbox.subscription == subscription,
                                               DigestOutbox.week == week, DigestOutbox.channel == channel))


def drop_pending(session: Session, *, subscription: str, week: str, channel: str) -> None:
    """Forget a waiting message whose destination is no longer configured."""
    session.execute(delete(DigestOutbox).where(DigestOutbox.subscription == subscription,
                                               DigestOutbox.week == week, DigestOutbox.channel == channel))


def sent_weeks(session: Session, subscription: str = LEGACY) -> set[str]:
    """Every period of a subscription that was sent (to any channel)."""
    return set(session.scalars(select(DigestSent.week).where(DigestSent.subscription == subscription)))


def pending_weeks(session: Session, subscription: str = LEGACY) -> set[str]:
    """Every period of a subscription with a message waiting in the outbox."""
    return set(session.scalars(select(DigestOutbox.week).where(DigestOutbox.subscription == subscription)))


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
    """The articles tagged with `topic` whose instant is in [start, end), but those judged not relevant to it."""
    rows = session.execute(
        select(Article.id, Source.name, Article.url, Article.title, func.substr(Article.text, 1, text_chars),
               Article.instant, ArticleTopic.score, ArticleTopic.terms, ArticleTopic.snippets, ArticleTopic.words)
        .join(Source, Source.id == Article.source_id)
        .join(ArticleTopic, ArticleTopic.article_id == Article.id)
        .where(ArticleTopic.topic == topic, Article.instant >= start, Article.instant < end,
               ~not_relevant(Article.id, topic))
    )
    return [TaggedRow(aid, src, url, title or "", text or "", when, float(score), dict(terms or {}),
                      list(snippets or ()), dict(words or {}))
            for aid, src, url, title, text, when, score, terms, snippets, words in rows]


def tagged_counts(session: Session, topic: str, spans: Sequence[tuple[datetime, datetime]]
                  ) -> dict[str, list[int]]:
    """source -> the number of articles tagged with `topic` in each [start, end) of `spans`, in one query
    (those judged not relevant to it left out)."""
    columns = [func.sum(case((and_(Article.instant >= a, Article.instant < b), 1), else_=0)) for a, b in spans]
    rows = session.execute(
        select(Source.name, *columns)
        .join(Article, Article.source_id == Source.id)
        .join(ArticleTopic, ArticleTopic.article_id == Article.id)
        .where(ArticleTopic.topic == topic, Article.instant >= spans[0][0], Article.instant < spans[-1][1],
               ~not_relevant(Article.id, topic))
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


def outbox(session: Session, subscription: str | None = None) -> list[DigestOutbox]:
    """The messages waiting to be sent (a send failed, or was cut short) — of one subscription, or all —
    oldest period first."""
    query = select(DigestOutbox).order_by(DigestOutbox.week, DigestOutbox.subscription, DigestOutbox.channel)
    if subscription is not None:
        query = query.where(DigestOutbox.subscription == subscription)
    return list(session.execute(query).scalars())


# ---- instant alerts ----

class InstantRow(NamedTuple):
    article_id: int
    source: str
    url: str
    title: str
    instant: datetime               # published, else fetched (UTC)
    topics: dict[str, float]        # subscribed topic -> score


def instant_candidates(session: Session, subscription: str, topics: Sequence[str], *, min_score: float,
                       since: datetime) -> list[InstantRow]:
    """Articles tagged with one of `topics` at `min_score` or more (and not judged not relevant to it), whose
    instant is `since` or later, that the subscription has not sent yet; oldest first."""
    already = select(InstantSent.article_id).where(InstantSent.subscription == subscription,
                                                   InstantSent.article_id == Article.id)
    rows = session.execute(
        select(Article.id, Source.name, Article.url, Article.title, Article.instant, ArticleTopic.topic,
               ArticleTopic.score)
        .join(Source, Source.id == Article.source_id)
        .join(ArticleTopic, ArticleTopic.article_id == Article.id)
        .where(ArticleTopic.topic.in_(list(topics)), ArticleTopic.score >= min_score, Article.instant >= since,
               ~already.exists(), ~not_relevant(Article.id, ArticleTopic.topic))
        .order_by(Article.instant, Article.id))
    found: dict[int, InstantRow] = {}
    for aid, src, url, title, when, topic, score in rows:
        row = found.setdefault(aid, InstantRow(aid, src, url, title or "", when, {}))
        row.topics[topic] = float(score)
    return list(found.values())


def mark_instant(session: Session, subscription: str, article_ids: Sequence[int], now: datetime) -> None:
    session.add_all(InstantSent(subscription=subscription, article_id=aid, queued_at=now) for aid in article_ids)
