"""What the web pages read of the archive besides search: one article in full, a topic's newest articles for
its feed, a topic's counts per week (or any periods), and when the archive begins."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newsmon.storage.articles import TopicRecord, topics_of
from newsmon.storage.digests import tagged_counts
from newsmon.storage.judgements import JudgementRow, latest_judgements, not_relevant
from newsmon.storage.models import Article, ArticleTopic, Source

SUMMARY_CHARS = 300


@dataclass(frozen=True)
class ArticleDetail:
    id: int
    source: str
    url: str
    title: str
    author: str
    published: datetime | None          # in the site's own offset
    fetched: datetime                   # UTC
    text: str
    language: str | None
    extraction: str                     # article | feed-summary | failed
    topics: list[TopicRecord]
    judgements: dict[str, JudgementRow]  # topic -> the latest judgement


class FeedEntry(NamedTuple):
    article_id: int
    source: str
    url: str
    title: str
    instant: datetime                   # published, else fetched (UTC)
    summary: str                        # the feed's summary, else the start of the text (SUMMARY_CHARS at most)
    score: float


def article_detail(session: Session, article_id: int) -> ArticleDetail | None:
    row = session.execute(select(Article, Source.name).join(Source, Source.id == Article.source_id)
                          .where(Article.id == article_id)).first()
    if row is None:
        return None
    a, source = row
    return ArticleDetail(id=a.id, source=source, url=a.url, title=a.title or "", author=a.author or "",
                         published=a.published, fetched=a.fetched_at, text=a.text or "", language=a.language,
                         extraction=a.extraction, topics=topics_of(session, [a.id]).get(a.id, []),
                         judgements=latest_judgements(session, [a.id]).get(a.id, {}))


def newest_tagged(session: Session, topic: str, limit: int) -> list[FeedEntry]:
    """The newest `limit` articles tagged with `topic` (by instant), but those judged not relevant to it."""
    rows = session.execute(
        select(Article.id, Source.name, Article.url, Article.title, Article.instant, Article.summary,
               func.substr(Article.text, 1, SUMMARY_CHARS), ArticleTopic.score)
        .join(Source, Source.id == Article.source_id)
        .join(ArticleTopic, ArticleTopic.article_id == Article.id)
        .where(ArticleTopic.topic == topic, ~not_relevant(Article.id, topic))
        .order_by(Article.instant.desc(), Article.id.desc()).limit(limit))
    return [FeedEntry(aid, source, url, title or "", when, (summary or text or "")[:SUMMARY_CHARS], float(score))
            for aid, source, url, title, when, summary, text, score in rows]


def tagged_per_period(session: Session, topic: str, spans: Sequence[tuple[datetime, datetime]]) -> list[int]:
    """The number of articles tagged with `topic` (but those judged not relevant) in each [start, end) of
    `spans`, which are in time order (weeks, usually)."""
    if not spans:
        return []
    per_source = tagged_counts(session, topic, spans)
    return [sum(counts[i] for counts in per_source.values()) for i in range(len(spans))]



def first_instant(session: Session) -> datetime | None:
    """The instant of the oldest article (None for an empty archive), from the two indexed times rather than
    a scan: the oldest published time, unless an undated article was fetched before it."""
    published = session.scalar(select(func.min(Article.published_at)))
    undated = select(func.min(Article.fetched_at)).where(Article.published_at.is_(None))
    if published is not None:
        undated = undated.where(Article.fetched_at < published)
    fetched = session.scalar(undated)
    return min((t for t in (published, fetched) if t is not None), default=None)
