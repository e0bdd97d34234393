"""Reads and writes the pipeline needs. Each write is idempotent: running it twice, or after a crash
half-way through a run, leaves the same rows as running it once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from newsmon.storage.models import (
    Article,
    ArticleTopic,
    ArticleURL,
    Discovery,
    DiscoveryURL,
    Rejection,
    Run,
    RunSource,
    Source,
)
from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

MAX_TRANSIENT_ATTEMPTS = 3
_CHUNK = 500


@dataclass(frozen=True)
class TopicRecord:
    topic: str
    score: float
    terms: dict[str, int]
    snippets: Sequence[str]


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


def insert_ignore(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on either backend."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    stmt = (postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model)).values(rows)
    session.execute(stmt.on_conflict_do_nothing())


def source_ids(session: Session, names: Iterable[str]) -> dict[str, int]:
    names = list(names)
    insert_ignore(session, Source, [{"name": n} for n in names])
    return dict(session.execute(select(Source.name, Source.id).where(Source.name.in_(names))).all())


def discovery_url(session: Session, source_id: int, url: str, kind: str) -> DiscoveryURL:
    insert_ignore(session, DiscoveryURL, [{"source_id": source_id, "url": url, "kind": kind,
                                          "consecutive_failures": 0}])
    return session.execute(select(DiscoveryURL).where(DiscoveryURL.source_id == source_id,
                                                      DiscoveryURL.url == url)).scalar_one()


def known_articles(session: Session, urls: Iterable[str]) -> dict[str, int]:
    """url -> article id, for those of `urls` already stored under any of their spellings."""
    urls = list(dict.fromkeys(urls))
    found: dict[str, int] = {}
    for i in range(0, len(urls), _CHUNK):
        part = urls[i:i + _CHUNK]
        found.update(session.execute(select(ArticleURL.url, ArticleURL.article_id)
                                     .where(ArticleURL.url.in_(part))).all())
    return found


def settled_rejections(session: Session, urls: Iterable[str]) -> set[str]:
    """URLs refused before for good (permanent reason, or passing ones tried too often): not to request."""
    urls = list(dict.fromkeys(urls))
    out: set[str] = set()
    for i in range(0, len(urls), _CHUNK):
        part = urls[i:i + _CHUNK]
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
    fresh: dict[str, NewArticle] = {}
    for (rec, _), urls in zip(items, all_urls):
        if not any(u in known for u in urls) and rec.url not in fresh:
            fresh[rec.url] = rec
    rows = []
    for rec in fresh.values():
        offset = rec.published.utcoffset() if rec.published is not None else None
        rows.append(dict(source_id=rec.source_id, url=rec.url, title=rec.title, author=rec.author,
                         published_at=rec.published, published_offset=None if offset is None else
                         int(offset.total_seconds() // 60), fetched_at=rec.fetched, text=rec.text,
                         summary=rec.summary, language=rec.language, extraction=rec.extraction, updated_at=now))
    insert_ignore(session, Article, rows)
    ids = dict(session.execute(select(Article.url, Article.id).where(Article.url.in_(list(fresh)))).all()) \
        if fresh else {}
    results: list[tuple[int, bool]] = []
    topic_rows, url_rows, discovery_rows = [], {}, {}
    created_now: set[int] = set()
    for (rec, discovery_ids), urls in zip(items, all_urls):
        article_id = next((known[u] for u in urls if u in known), None)
        if article_id is None:
            article_id = ids[rec.url]
            if article_id not in created_now and fresh.get(rec.url) is rec:
                created_now.add(article_id)
                topic_rows += [{"article_id": article_id, "topic": t.topic, "score": t.score,
                                "terms": dict(t.terms), "snippets": list(t.snippets)} for t in rec.topics]
                results.append((article_id, True))
            else:
                results.append((article_id, False))
        else:
            results.append((article_id, False))
        for u in urls:
            url_rows.setdefault(u, {"url": u, "article_id": article_id})
        for du in discovery_ids:
            discovery_rows[(article_id, du)] = {"article_id": article_id, "discovery_url_id": du,
                                                "first_seen_at": now}
    insert_ignore(session, ArticleTopic, topic_rows)
    insert_ignore(session, ArticleURL, list(url_rows.values()))
    insert_ignore(session, Discovery, list(discovery_rows.values()))
    session.execute(delete(Rejection).where(Rejection.url.in_(list(url_rows))))
    return results


def replace_topics(session: Session, article_id: int, topics: Iterable[TopicRecord]) -> None:
    session.execute(delete(ArticleTopic).where(ArticleTopic.article_id == article_id))
    insert_ignore(session, ArticleTopic, [{"article_id": article_id, "topic": t.topic, "score": t.score,
                                           "terms": dict(t.terms), "snippets": list(t.snippets)} for t in topics])


def update_summary(session: Session, article_id: int, summary: str, now: datetime) -> bool:
    """Refresh the feed summary of a stored article (no request made); True if it changed."""
    result = session.execute(update(Article).where(Article.id == article_id, Article.summary != summary)
                             .values(summary=summary, updated_at=now))
    return bool(result.rowcount)  # type: ignore[attr-defined]


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


def start_run(session: Session, command: str, now: datetime) -> int:
    run = Run(command=command, started_at=now, status="running")
    session.add(run)
    session.flush()
    return run.id


def finish_run(session: Session, run_id: int, status: str, now: datetime) -> None:
    session.execute(update(Run).where(Run.id == run_id).values(status=status, finished_at=now))


def save_run_source(session: Session, run_id: int, source_id: int, *, new: int, updated: int, unchanged: int,
                    failed: int, errors: Sequence[str]) -> None:
    session.merge(RunSource(run_id=run_id, source_id=source_id, new=new, updated=updated, unchanged=unchanged,
                            failed=failed, errors="\n".join(errors)))


def record_discovery_result(session: Session, du_id: int, now: datetime, *, status: int | None,
                            error: str | None, item_count: int | None = None, etag: str | None = None,
                            last_modified: str | None = None, keep_validators: bool = True) -> None:
    du = session.get(DiscoveryURL, du_id)
    assert du is not None
    du.last_checked_at = now
    du.last_status = status
    if error is None:
        du.last_success_at = now
        du.consecutive_failures = 0
        if item_count is not None:
            du.last_item_count = item_count
        if keep_validators:
            if etag is not None or last_modified is not None:
                du.etag, du.last_modified = etag, last_modified
        else:
            du.etag = du.last_modified = None
    else:
        du.last_error = error
        du.last_error_at = now
        du.consecutive_failures = (du.consecutive_failures or 0) + 1


# ---- export ----

def article_query(*, topic: str | None = None, since: datetime | None = None, until: datetime | None = None,
                  source: str | None = None) -> Select[tuple[Article, str]]:
    """Articles with their source name, oldest first; `since`/`until` bound the published time (fetched
    when none is known), `until` exclusive."""
    when = func.coalesce(Article.published_at, Article.fetched_at)
    q = select(Article, Source.name).join(Source, Source.id == Article.source_id)
    if topic:
        q = q.where(Article.id.in_(select(ArticleTopic.article_id).where(ArticleTopic.topic == topic)))
    if since is not None:
        q = q.where(when >= since)
    if until is not None:
        q = q.where(when < until)
    if source:
        q = q.where(Source.name == source)
    return q.order_by(when, Article.id)


def export_records(session: Session, **filters: Any) -> Iterator[dict[str, Any]]:
    """Export records in the contract's shape, streamed in batches so memory stays flat."""
    query = article_query(**filters)
    rows = session.execute(query.execution_options(yield_per=_CHUNK))
    batch: list[tuple[Article, str]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= _CHUNK:
            yield from _records(session, batch)
            batch = []
    if batch:
        yield from _records(session, batch)


def _records(session: Session, batch: list[tuple[Article, str]]) -> Iterator[dict[str, Any]]:
    ids = [a.id for a, _ in batch]
    topics: dict[int, list[ArticleTopic]] = {}
    for t in session.execute(select(ArticleTopic).where(ArticleTopic.article_id.in_(ids))
                             .order_by(ArticleTopic.topic)).scalars():
        topics.setdefault(t.article_id, []).append(t)
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
        }


# ---- status ----

def discovery_health(session: Session) -> list[tuple[str, DiscoveryURL, int, int]]:
    """(source name, discovery URL row, articles found, articles only it found) per discovery URL."""
    found = (select(Discovery.discovery_url_id, func.count().label("n"))
             .group_by(Discovery.discovery_url_id).subquery())
    sole_article = (select(Discovery.article_id).group_by(Discovery.article_id)
                    .having(func.count() == 1).subquery())
    only = (select(Discovery.discovery_url_id, func.count().label("n"))
            .join(sole_article, sole_article.c.article_id == Discovery.article_id)
            .group_by(Discovery.discovery_url_id).subquery())
    q = (select(Source.name, DiscoveryURL, func.coalesce(found.c.n, 0), func.coalesce(only.c.n, 0))
         .join(Source, Source.id == DiscoveryURL.source_id)
         .outerjoin(found, found.c.discovery_url_id == DiscoveryURL.id)
         .outerjoin(only, only.c.discovery_url_id == DiscoveryURL.id)
         .order_by(Source.name, DiscoveryURL.id))
    return [tuple(r) for r in session.execute(q).all()]  # type: ignore[misc]


def recent_runs(session: Session, limit: int = 5) -> list[tuple[Run, list[tuple[str, RunSource]]]]:
    runs = session.execute(select(Run).order_by(Run.id.desc()).limit(limit)).scalars().all()
    out = []
    for run in runs:
        per_source = session.execute(select(Source.name, RunSource).join(Source, Source.id == RunSource.source_id)
                                     .where(RunSource.run_id == run.id).order_by(Source.name)).all()
        out.append((run, list(per_source)))
    return out


def article_counts(session: Session) -> list[tuple[str, int, datetime | None]]:
    """(source, articles stored, newest published) per source."""
    q = (select(Source.name, func.count(Article.id), func.max(Article.published_at))
         .outerjoin(Article, Article.source_id == Source.id).group_by(Source.name).order_by(Source.name))
    return [tuple(r) for r in session.execute(q).all()]  # type: ignore[misc]

