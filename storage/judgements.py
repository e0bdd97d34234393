"""Relevance judgements: a person's verdict on whether an article belongs to a topic.

Every judgement is kept; the latest per (article, topic) counts — highest `judged_at`, then highest id, so two
made within the same clock tick still have an order. An article whose latest verdict for a topic is
"not_relevant" stays out of that topic's digests, instant alerts and feed (`not_relevant`); a later "relevant"
brings it back. Precision is measured over the judged articles that carry the topic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session, aliased
from sqlalchemy.sql import ColumnElement

from newsmon.storage.bulk import chunks
from newsmon.storage.models import Article, ArticleTopic, Judgement, Source

RELEVANT, NOT_RELEVANT = "relevant", "not_relevant"
VERDICTS = (RELEVANT, NOT_RELEVANT)
_MAX_CHARS = 100   # topic and who columns: refused here rather than by the database, as PostgreSQL would


@dataclass(frozen=True)
class JudgementRow:
    article_id: int
    topic: str
    verdict: str                # relevant | not_relevant
    note: str
    who: str
    when: datetime              # UTC


@dataclass(frozen=True)
class TopicPrecision:
    relevant: int
    not_relevant: int
    precision: float | None     # relevant / judged; None when none of the topic's articles was judged


@dataclass(frozen=True)
class JudgedArticle:
    article_id: int
    title: str
    source: str
    url: str
    verdict: str
    note: str
    who: str
    when: datetime
    terms: dict[str, int]       # of the topic's article_topics row: why the classifier tagged it ({} if not)
    words: dict[str, int]


def judge(session: Session, *, article_id: int, topic: str, verdict: str, note: str, who: str, now: datetime) -> None:
    """Record a verdict. The caller checks the topic against the configuration and the article with
    `article_exists`; ValueError for a verdict not in VERDICTS, or a topic or name too long to keep."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict {verdict!r}: expected one of {', '.join(VERDICTS)}")
    for name, value in (("topic", topic), ("who", who)):
        if not value or len(value) > _MAX_CHARS:
            raise ValueError(f"{name} must be 1 to {_MAX_CHARS} characters")
    session.add(Judgement(article_id=article_id, topic=topic, verdict=verdict, note=note, who=who, judged_at=now))
    session.flush()


def article_exists(session: Session, article_id: int) -> bool:
    return bool(session.scalar(select(exists().where(Article.id == article_id))))


def is_latest(j: Any) -> ColumnElement[bool]:
    """True for the judgement `j` (an alias of Judgement) that no later one of its article and topic follows."""
    later = aliased(Judgement)
    return ~exists().where(later.article_id == j.article_id, later.topic == j.topic,
                           or_(later.judged_at > j.judged_at, and_(later.judged_at == j.judged_at, later.id > j.id)))


def not_relevant(article_id: QueryableAttribute[int] | ColumnElement[int],
                 topic: QueryableAttribute[str] | ColumnElement[str] | str) -> ColumnElement[bool]:
    """True where the latest verdict on the article for the topic is "not_relevant": for queries to leave out."""
    j = aliased(Judgement)
    return exists().where(j.article_id == article_id, j.topic == topic, j.verdict == NOT_RELEVANT, is_latest(j))


def latest_judgements(session: Session, article_ids: Sequence[int]) -> dict[int, dict[str, JudgementRow]]:
    """article -> topic -> its latest judgement, for the articles that have any."""
    out: dict[int, dict[str, JudgementRow]] = {}
    for part in chunks(article_ids):
        rows = session.execute(select(Judgement).where(Judgement.article_id.in_(part))
                               .order_by(Judgement.judged_at, Judgement.id)).scalars()
        for j in rows:   # oldest first: the latest overwrites
            out.setdefault(j.article_id, {})[j.topic] = JudgementRow(j.article_id, j.topic, j.verdict, j.note or "",
                                                                    j.who, j.judged_at)
    return out


def topic_precision(session: Session, topic: str) -> TopicPrecision:
    """Of the articles tagged with `topic` that someone judged for it, how many are relevant (latest verdicts)."""
    j = aliased(Judgement)
    tagged = select(ArticleTopic.article_id).where(ArticleTopic.topic == topic)
    counts = dict(session.execute(select(j.verdict, func.count()).where(j.topic == topic, j.article_id.in_(tagged),
                                                                        is_latest(j)).group_by(j.verdict)).all())
    relevant, irrelevant = int(counts.get(RELEVANT, 0)), int(counts.get(NOT_RELEVANT, 0))
    judged = relevant + irrelevant
    return TopicPrecision(relevant, irrelevant, relevant / judged if judged else None)


def judged_not_relevant(session: Session, topic: str, limit: int = 50) -> list[JudgedArticle]:
    """The articles whose latest verdict for `topic` is "not_relevant", newest judgement first: the false
    positives to tune the topic's rule with."""
    j = aliased(Judgement)
    rows = session.execute(
        select(j, Article.title, Source.name, Article.url, ArticleTopic.terms, ArticleTopic.words)
        .join(Article, Article.id == j.article_id).join(Source, Source.id == Article.source_id)
        .outerjoin(ArticleTopic, and_(ArticleTopic.article_id == j.article_id, ArticleTopic.topic == topic))
        .where(j.topic == topic, j.verdict == NOT_RELEVANT, is_latest(j))
        .order_by(j.judged_at.desc(), j.id.desc()).limit(limit))
    return [JudgedArticle(row.article_id, title or "", source, url, row.verdict, row.note or "", row.who,
                          row.judged_at, dict(terms or {}), dict(words or {}))
            for row, title, source, url, terms, words in rows]
