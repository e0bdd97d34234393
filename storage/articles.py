"""Articles: storing them with their URLs, discoveries and topics; refused links; reading them back for
export, status, reclassify and backfill.

Each write is idempotent: running it twice, or after a crash half-way through a run, leaves the same rows
as running it once. Date ranges are on `Article.instant` (published, else fetched), `until` exclusive.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, select, update
from sqlalchemy.orm import Session

from newsmon.storage.bulk import chunks, insert_ignore
from newsmon.storage.judgements import latest_judgements
from newsmon.storage.models import Article, ArticleTopic, ArticleURL, Discovery, Rejection, Source, site_time

MAX_TRANSIENT_ATTEMPTS = 3   # a link that failed this often in passing ways is not requested again


@dataclass(frozen=True)
class TopicRecord:
    """A topic an article carries, with why: what the classifier found, as stored. `terms` are the rule's
    terms as written (what export reports), `words` the same matches as they stand in the text (what the
    digest shows); empty for rows stored before words were kept."""

    topic: str
    score: float
    terms: dict[str, int]
    snippets: Sequence[str]
    words: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class NewArticle:
    source_id: int
    url: str                              # canonical URL
    title: str
    author: str
    published: datetime | None            # aware, in the site's own offset
    fetched: datetime                     # aware
    text: str
    summary: str
    language: str | None
    extraction: str                       # article | feed-summary | failed
    aliases: tuple[str, ...] = ()         # other URLs that lead here (the feed's link, ...)
    topics: tuple[TopicRecord, ...] = field(default_factory=tuple)
    route: str | None = None              # what found it: feed | listing | gap | backfill


@dataclass(frozen=True)
class StoredText:
    """What reclassify reads of every article: what it classifies, no more. Most articles never change, and
    reading each one's date costs a tenth of a pass: `article_details` reads date and source of those that do."""

    id: int
    title: str
    text: str


# ---- writing ----

def known_articles(session: Session, urls: Iterable[str]) -> dict[str, int]:
    """url -> article id, for those of `urls` already stored under any of their spellings."""
    found: dict[str, int] = {}
    for part in chunks(urls):
        found.update(session.execute(select(ArticleURL.url, ArticleURL.article_id)
                                     .where(ArticleURL.url.in_(part))).all())
    return found


def stored_published(session: Session, urls: Iterable[str]) -> dict[str, datetime | None]:
    """url -> published, for those of `urls` already stored under any of their spellings."""
    out: dict[str, datetime | None] = {}
    for part in chunks(urls):
        out.update(session.execute(select(ArticleURL.url, Article.published_at)
                                   .join(Article, Article.id == ArticleURL.article_id)
                                   .where(ArticleURL.url.in_(part))).all())
    return out


def settled_rejections(session: Session, urls: Iterable[str]) -> set[str]:
    """URLs refused before for good (permanent reason, or passing ones tried too often): not to request."""
    out: set[str] = set()
    for part in chunks(urls):
        out.update(session.execute(select(Rejection.url).where(
            Rejection.url.in_(part),
            (Rejection.permanent.is_(True)) | (Rejection.attempts >= MAX_TRANSIENT_ATTEMPTS))).scalars())
    return out


def link_discoveries(session: Session, discovery_url_id: int, article_ids: Iterable[int], now: datetime) -> None:
    insert_ignore(session, Discovery, [{"article_id": a, "discovery_url_id": discovery_url_id, "first_seen_at": now}
                                       for a in set(article_ids)])


def store_article(session: Session, rec: NewArticle, discovery_url_id: int | None, now: datetime
                  ) -> tuple[int, bool]:
    """Insert one article; see store_articles."""
    return store_articles(session, [(rec, [discovery_url_id] if discovery_url_id is not None else [])], now)[0]


def store_articles(session: Session, items: Sequence[tuple[NewArticle, Sequence[int]]], now: datetime
                   ) -> list[tuple[int, bool]]:
    """Insert articles with their URLs, discoveries and topics, a handful of statements per batch.

    Returns (id, True) for each article stored now, (id, False) for one whose URL (any spelling) was
    already stored: then only its new spellings and discoveries are added.
    """
    all_urls = [list(dict.fromkeys((rec.url, *rec.aliases))) for rec, _ in items]
    known = known_articles(session, [u for urls in all_urls for u in urls])
    fresh = _fresh(items, all_urls, known)
    insert_ignore(session, Article, [_article_row(rec, now) for rec in fresh.values()])
    ids = dict(session.execute(select(Article.url, Article.id).where(Article.url.in_(list(fresh)))).all()) \
        if fresh else {}
    results: list[tuple[int, bool]] = []
    created_now: set[int] = set()
    for (rec, _), urls in zip(items, all_urls):
        article_id = next((known[u] for u in urls if u in known), None)
        created = False
        if article_id is None:
            article_id = ids[rec.url]
            created = article_id not in created_now and fresh.get(rec.url) is rec
            if created:
                created_now.add(article_id)
        results.append((article_id, created))
    _link_rows(session, items, all_urls, results, now)
    return results


def _fresh(items: Sequence[tuple[NewArticle, Sequence[int]]], all_urls: list[list[str]], known: dict[str, int]
           ) -> dict[str, NewArticle]:
    """url -> record, for the records none of whose URLs is stored: the first of each URL is inserted."""
    fresh: dict[str, NewArticle] = {}
    for (rec, _), urls in zip(items, all_urls):
        if not any(u in known for u in urls) and rec.url not in fresh:
            fresh[rec.url] = rec
    return fresh


def _link_rows(session: Session, items: Sequence[tuple[NewArticle, Sequence[int]]], all_urls: list[list[str]],
               results: list[tuple[int, bool]], now: datetime) -> None:
    """The topics of the articles stored now, and every URL and discovery of each article of the batch."""
    topic_rows: list[dict[str, Any]] = []
    url_rows: dict[str, dict[str, Any]] = {}
    discovery_rows: dict[tuple[int, int], dict[str, Any]] = {}
    for (rec, discovery_ids), urls, (article_id, created) in zip(items, all_urls, results):
        if created:
            topic_rows += _topic_rows(article_id, rec.topics)
        for u in urls:
            url_rows.setdefault(u, {"url": u, "article_id": article_id})
        for du in discovery_ids:
            discovery_rows[(article_id, du)] = {"article_id": article_id, "discovery_url_id": du,
                                                "first_seen_at": now}
    insert_ignore(session, ArticleTopic, topic_rows)
    insert_ignore(session, ArticleURL, list(url_rows.values()))
    insert_ignore(session, Discovery, list(discovery_rows.values()))
    session.execute(delete(Rejection).where(Rejection.url.in_(list(url_rows))))


def _article_row(rec: NewArticle, now: datetime) -> dict[str, Any]:
    offset = rec.published.utcoffset() if rec.published is not None else None
    return dict(source_id=rec.source_id, url=rec.url, title=rec.title, author=rec.author,
                published_at=rec.published, published_offset=None if offset is None else
                int(offset.total_seconds() // 60), fetched_at=rec.fetched, text=rec.text,
                summary=rec.summary, language=rec.language, extraction=rec.extraction, updated_at=now,
                route=rec.route)


def _topic_rows(article_id: int, topics: Iterable[TopicRecord]) -> list[dict[str, Any]]:
    return [{"article_id": article_id, "topic": t.topic, "score": t.score, "terms": dict(t.terms),
             "snippets": list(t.snippets), "words": dict(t.words) or None} for t in topics]


def replace_topics(session: Session, article_id: int, topics: Iterable[TopicRecord]) -> None:
    replace_topics_of(session, [(article_id, topics)])


def replace_topics_of(session: Session, updates: Sequence[tuple[int, Iterable[TopicRecord]]]) -> None:
    """The topics of many articles replaced in a few statements (a reclassify batch)."""
    for part in chunks([article_id for article_id, _ in updates]):
        session.execute(delete(ArticleTopic).where(ArticleTopic.article_id.in_(part)))
    rows = [row for article_id, topics in updates for row in _topic_rows(article_id, topics)]
    for i in range(0, len(rows), 500):   # well under any backend's limit on bound parameters
        insert_ignore(session, ArticleTopic, rows[i:i + 500])


def update_summary(session: Session, article_id: int, summary: str, now: datetime) -> bool:
    """Refresh the feed summary of a stored article (no request made); True if it changed."""
    result = session.execute(update(Article).where(Article.id == article_id, Article.summary != summary)
                             .values(summary=summary, updated_at=now))
    return bool(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


def reject(session: Session, url: str, source_id: int, reason: str, permanent: bool, now: datetime) -> None:
    existing = session.get(Rejection, url)
    if existing is None:
        insert_ignore(session, Rejection, [{"url": url, "source_id": source_id, "reason": reason,
                                            "permanent": permanent, "attempts": 1, "last_attempt_at": now}])
    else:
        existing.reason = reason
        existing.permanent = existing.permanent or permanent
        existing.attempts += 1
        existing.last_attempt_at = now


# ---- reading: export ----

def article_query(*, topic: str | None = None, since: datetime | None = None, until: datetime | None = None,
                  source: str | None = None) -> Select[Article, str]:
    """Articles with their source name, oldest first."""
    query = select(Article, Source.name).join(Source, Source.id == Article.source_id)
    if topic:
        query = query.where(Article.id.in_(select(ArticleTopic.article_id).where(ArticleTopic.topic == topic)))
    if since is not None:
        query = query.where(Article.instant >= since)
    if until is not None:
        query = query.where(Article.instant < until)
    if source:
        query = query.where(Source.name == source)
    return query.order_by(Article.instant, Article.id)


def export_records(session: Session, **filters: Any) -> Iterator[dict[str, Any]]:
    """Export records in the contract's shape, streamed in batches so memory stays flat."""
    rows = session.execute(article_query(**filters).execution_options(yield_per=500))
    batch: list[tuple[Article, str]] = []
    for article, source in rows:
        batch.append((article, source))
        if len(batch) >= 500:
            yield from _records(session, batch)
            batch = []
    if batch:
        yield from _records(session, batch)


def records_by_id(session: Session, article_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The export records of `article_ids`, in that order (those no longer stored left out)."""
    rows = {a.id: (a, name) for a, name in session.execute(
        select(Article, Source.name).join(Source, Source.id == Article.source_id)
        .where(Article.id.in_(list(article_ids))))}
    return list(_records(session, [rows[i] for i in article_ids if i in rows]))


def _records(session: Session, batch: list[tuple[Article, str]]) -> Iterator[dict[str, Any]]:
    ids = [a.id for a, _ in batch]
    topics = topics_of(session, ids)
    judgements = latest_judgements(session, ids)
    for article, source_name in batch:
        ts = topics.get(article.id, [])
        published = article.published
        yield {
            "id": article.id, "source": source_name, "url": article.url, "title": article.title,
            "author": article.author, "published": published.isoformat() if published else None,
            "fetched": article.fetched_at.isoformat(), "text": article.text, "language": article.language,
            "extraction": article.extraction, "topics": [t.topic for t in ts],
            "matches": {t.topic: {"score": t.score, "terms": list(t.terms), "snippets": list(t.snippets)}
                        for t in ts},
            "judgements": {topic: j.verdict for topic, j in sorted(judgements.get(article.id, {}).items())},
        }


def topics_of(session: Session, article_ids: Sequence[int]) -> dict[int, list[TopicRecord]]:
    """article id -> its topics, by topic name."""
    return _topics(session, ArticleTopic.article_id.in_(article_ids))


def topics_in_range(session: Session, after_id: int, last_id: int) -> dict[int, list[TopicRecord]]:
    """article id -> its topics, by topic name, for the articles with after_id < id <= last_id: those of a
    reclassify batch (and of any article between them that it skips) in one range scan, a third of the time of
    an IN list of a thousand ids."""
    return _topics(session, (ArticleTopic.article_id > after_id) & (ArticleTopic.article_id <= last_id))


def _topics(session: Session, where: ColumnElement[bool]) -> dict[int, list[TopicRecord]]:
    out: dict[int, list[TopicRecord]] = {}
    query = (select(ArticleTopic.article_id, ArticleTopic.topic, ArticleTopic.score, ArticleTopic.terms,
                    ArticleTopic.snippets, ArticleTopic.words).where(where).order_by(ArticleTopic.topic))
    for article_id, topic, score, terms, snippets, words in session.execute(query):
        out.setdefault(article_id, []).append(TopicRecord(topic, score, dict(terms), list(snippets), dict(words or {})))
    return out


# ---- reading: reclassify ----

def count_articles(session: Session, *, since: datetime | None = None) -> int:
    query = select(func.count()).select_from(Article)
    return session.scalar(query.where(Article.instant >= since) if since is not None else query) or 0


def texts_after(session: Session, after_id: int, limit: int, *, since: datetime | None = None) -> list[StoredText]:
    """The next `limit` articles by id after `after_id` (keyset pagination: memory stays flat)."""
    query = (select(Article.id, Article.title, Article.text).where(Article.id > after_id)
             .order_by(Article.id).limit(limit))
    if since is not None:
        query = query.where(Article.instant >= since)
    return [StoredText(*row) for row in session.execute(query)]


def article_details(session: Session, article_ids: Sequence[int]) -> dict[int, tuple[datetime | None, str]]:
    """article id -> (published in the site's own offset, source name): what a reclassify report says of the
    articles that changed."""
    out: dict[int, tuple[datetime | None, str]] = {}
    for part in chunks(article_ids):
        query = (select(Article.id, Article.published_at, Article.published_offset, Source.name)
                 .join(Source, Source.id == Article.source_id).where(Article.id.in_(part)))
        out.update((i, (site_time(at, offset), name)) for i, at, offset, name in session.execute(query))
    return out


# ---- reading: status ----

def article_counts(session: Session) -> list[tuple[str, int, datetime | None]]:
    """(source, articles stored, newest published) per source."""
    query = (select(Source.name, func.count(Article.id), func.max(Article.published_at))
             .outerjoin(Article, Article.source_id == Source.id).group_by(Source.name).order_by(Source.name))
    return list(session.execute(query).all())


def instants_since(session: Session, start: datetime) -> list[datetime]:
    """The instant of every article from `start` on."""
    return list(session.execute(select(Article.instant).where(Article.instant >= start)).scalars())


def tagged_instants_since(session: Session, start: datetime) -> list[tuple[datetime, str]]:
    """(instant, topic) of every tagged article from `start` on, once per topic it carries."""
    return list(session.execute(select(Article.instant, ArticleTopic.topic)
                                .join(ArticleTopic, ArticleTopic.article_id == Article.id)
                                .where(Article.instant >= start)).all())
