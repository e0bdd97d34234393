"""`newsmon reclassify`: the current rules over stored history, and what changed.

A user who edits a rule wants to see its effect on past articles before trusting it, so the same pass
can run as a dry run. Articles are read in id order in batches (keyset pagination), so memory stays flat
however many are stored, and each batch is written in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select

from newsmon.pipeline.classify import Classifier, topic_records
from newsmon.storage import queries as q
from newsmon.storage.engine import Store
from newsmon.storage.models import Article, ArticleTopic, Source

BATCH = 1000


@dataclass(frozen=True)
class Change:
    article_id: int
    title: str
    published: datetime | None
    source: str
    terms: dict[str, int]     # the terms that decided: new ones for a gain, the old ones for a loss


@dataclass
class ReclassifyReport:
    articles: int = 0
    changed: int = 0                              # articles whose stored topics/terms/scores changed
    gained: dict[str, list[Change]] = field(default_factory=dict)
    lost: dict[str, list[Change]] = field(default_factory=dict)


def reclassify(store: Store, classifier: Classifier, *, since: datetime | None = None, dry_run: bool = False,
               progress: Callable[[int, int], None] | None = None) -> ReclassifyReport:
    """Re-run `classifier` over stored articles (published, else fetched, at or after `since`)."""
    report = ReclassifyReport()
    when = func.coalesce(Article.published_at, Article.fetched_at)
    with store.read() as s:
        count_q = select(func.count()).select_from(Article)
        total = s.scalar(count_q.where(when >= since) if since else count_q) or 0
    last_id = 0
    while True:
        with store.read() as s:
            query = (select(Article.id, Article.title, Article.text, Article.published_at, Article.published_offset,
                            Source.name).join(Source, Source.id == Article.source_id)
                     .where(Article.id > last_id).order_by(Article.id).limit(BATCH))
            if since is not None:
                query = query.where(when >= since)
            rows = s.execute(query).all()
            if not rows:
                break
            ids = [r[0] for r in rows]
            old: dict[int, dict[str, Any]] = {}
            for t in s.execute(select(ArticleTopic).where(ArticleTopic.article_id.in_(ids))).scalars():
                old.setdefault(t.article_id, {})[t.topic] = (t.score, dict(t.terms), list(t.snippets))
        updates = []
        for article_id, title, text, published_at, offset, source in rows:
            new = {t.topic: t for t in topic_records(classifier, title, text)}
            before = old.get(article_id, {})
            after = {name: (t.score, dict(t.terms), list(t.snippets)) for name, t in new.items()}
            if before == after:
                continue
            published = (published_at.astimezone(timezone(timedelta(minutes=offset or 0)))
                         if published_at else None)
            for name in after.keys() - before.keys():
                report.gained.setdefault(name, []).append(Change(article_id, title, published, source,
                                                                 after[name][1]))
            for name in before.keys() - after.keys():
                report.lost.setdefault(name, []).append(Change(article_id, title, published, source,
                                                               before[name][1]))
            updates.append((article_id, tuple(new.values())))
        report.articles += len(rows)
        report.changed += len(updates)
        if updates and not dry_run:
            with store.write() as s:
                for article_id, topics in updates:
                    q.replace_topics(s, article_id, topics)
        last_id = ids[-1]
        if progress:
            progress(report.articles, total)
    return report
