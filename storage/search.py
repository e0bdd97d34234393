"""Full-text search over the stored articles (titles and texts): the query language, a page of hits, and
every match as export records.

The query language, the same on SQLite and PostgreSQL:

    shanghai cooperation            both words, anywhere in the title or the text, in any order
    "shanghai cooperation"          these words next to each other, in this order
    azerb*                          a word starting with "azerb" (at least 2 letters before the *)
    sco OR "shanghai cooperation"   either one; OR, in capitals, joins the term before it and the one after it
                                    and binds tighter than the space: `a b OR c d` is a, b or c, and d
    -armenia  -"south caucasus"     must not occur (a query needs at least one term that must)

Words are matched in any form (stemmed: "cooperation" finds "cooperate"), whatever their case; SQLite also
ignores accents. A prefix is stemmed like a word, so `companies*` finds "company" too. A word with punctuation
inside (Azerbaijan's, SCO-Azerbaijan) is searched as the phrase of its parts. Common English words ("the",
"of", "and", and "or" in lowercase: PostgreSQL's English stop list) are left out of a query, as PostgreSQL
would; inside a phrase they only hold their place. A query, or a phrase, made only of them is refused. Only OR
is an operator: AND, NOT and NEAR are words.

`parse_query` raises QueryError, one line saying what is wrong and where (characters count from 1), for an
empty or too long query, an unbalanced quote, an OR with no term on one side (or beside an excluded term), a
lone - or *, a term with no letter or digit, a prefix of one letter, and a query of excluded terms only.

Hits are ranked by relevance — bm25 on SQLite, ts_rank_cd on PostgreSQL, a match in the title weighing ten
times one in the text; `SearchHit.rank` is higher for better, on each backend's own scale — ties newest
first. A query matching more than RANK_WINDOW articles ranks the newest RANK_WINDOW of them (by storage order)
first and then the older ones, each part by relevance: such a query is a word found in nearly every article,
for which relevance says little, and ranking every match would cost more than a page of hits is worth.

Titles and snippets come with MARK and UNMARK around the matched words: a web page escapes the text for
HTML first, then replaces them with <mark> and </mark>.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsmon.storage.articles import records_by_id
from newsmon.storage.fulltext import ELLIPSIS, MARK, UNMARK, Backend, Filters, Part, backend_for
from newsmon.storage.models import Article, ArticleTopic, Source, site_time
from newsmon.storage.query import MAX_QUERY_CHARS, SearchQuery, Term, parse_query

__all__ = ["ELLIPSIS", "MARK", "MAX_QUERY_CHARS", "RANK_WINDOW", "UNMARK", "SearchHit", "SearchPage", "SearchQuery",
           "Term", "parse_query", "search", "search_records", "unmarked"]

RANK_WINDOW = 10_000   # matches ranked together: about 10 ms of bm25 on SQLite
_BATCH = 500


@dataclass(frozen=True)
class SearchHit:
    id: int
    source: str
    url: str
    title: str                      # with MARK/UNMARK around the matched words
    published: datetime | None      # in the site's own offset
    fetched: datetime               # UTC
    language: str | None
    snippet: str                    # ~30 words of the text around the best match, marked, "…" where cut
    rank: float                     # higher is better
    topics: list[str]


@dataclass(frozen=True)
class SearchPage:
    total: int                      # every match with the filters, not only this page's
    hits: list[SearchHit]
    exact: bool = True              # False: there are more matches than `total` (PostgreSQL stops counting)


def unmarked(text: str) -> str:
    """A title or snippet of a hit without its marks (for plain text: a terminal, CSV)."""
    return text.replace(MARK, "").replace(UNMARK, "")


def search(session: Session, query: SearchQuery, *, topic: str | None = None, source: str | None = None,
           since: datetime | None = None, until: datetime | None = None, lang: str | None = None,
           limit: int = 20, offset: int = 0) -> SearchPage:
    """One page of hits, best first. Filters: a topic the article carries, a source name, its instant in
    [since, until) (aware datetimes), its language ("en")."""
    if limit < 0 or offset < 0:
        raise ValueError("limit and offset must not be negative")
    backend = backend_for(session, query)
    filters = Filters(topic, source, since, until, lang)
    total = backend.count(session, filters)
    ranked: list[tuple[int, float]] = []
    if total and limit:
        for part, part_limit, part_offset in _slices(backend, session, filters, total, limit, offset):
            ranked += [(int(i), float(score)) for i, score in
                       backend.ranked(session, filters, part, part_limit, part_offset)]
    exact = backend.count_limit is None or total < backend.count_limit
    return SearchPage(total if exact else total - 1, _hits(session, backend, ranked), exact)


def search_records(session: Session, query: SearchQuery, **filters: Any) -> Iterator[dict[str, Any]]:
    """Every match as an export record (storage.articles' shape), best first, read in batches so memory stays
    flat. Takes the filters of `search`."""
    backend = backend_for(session, query)
    where = Filters(**filters)
    total = backend.count(session, where)
    if not total:
        return
    parts: list[Part] = [None]
    if total > RANK_WINDOW:
        floor = backend.floor(session, where, RANK_WINDOW)
        parts = [(">=", floor), ("<", floor)]
    for part in parts:
        batch: list[int] = []
        for row in backend.ranked(session, where, part, yield_per=_BATCH):
            batch.append(int(row[0]))
            if len(batch) == _BATCH:
                yield from records_by_id(session, batch)
                batch = []
        if batch:
            yield from records_by_id(session, batch)


def _slices(backend: Backend, session: Session, filters: Filters, total: int, limit: int, offset: int
            ) -> list[tuple[Part, int, int]]:
    """(part, limit, offset) to read, in order, for the hits [offset, offset + limit) of the whole ranking."""
    if total <= RANK_WINDOW:
        return [(None, limit, offset)]
    floor = backend.floor(session, filters, RANK_WINDOW)
    end = offset + limit
    out: list[tuple[Part, int, int]] = []
    if offset < RANK_WINDOW:
        out.append(((">=", floor), min(end, RANK_WINDOW) - offset, offset))
    if end > RANK_WINDOW:
        start = max(offset, RANK_WINDOW)
        out.append((("<", floor), end - start, start - RANK_WINDOW))
    return out


def _hits(session: Session, backend: Backend, ranked: Sequence[tuple[int, float]]) -> list[SearchHit]:
    if not ranked:
        return []
    ids = [i for i, _ in ranked]
    articles = {row.id: row for row in session.execute(
        select(Article.id, Source.name, Article.url, Article.published_at, Article.published_offset,
               Article.fetched_at, Article.language).join(Source, Source.id == Article.source_id)
        .where(Article.id.in_(ids)))}
    topics: dict[int, list[str]] = {}
    for aid, topic in session.execute(select(ArticleTopic.article_id, ArticleTopic.topic)
                                      .where(ArticleTopic.article_id.in_(ids)).order_by(ArticleTopic.topic)):
        topics.setdefault(aid, []).append(topic)
    marked = {aid: (_merged(title), _merged(snippet)) for aid, (title, snippet) in backend.marked(session, ids).items()}
    return [SearchHit(id=aid, source=a.name, url=a.url, title=marked.get(aid, ("", ""))[0],
                      published=site_time(a.published_at, a.published_offset), fetched=a.fetched_at,
                      language=a.language, snippet=marked.get(aid, ("", ""))[1], rank=rank,
                      topics=topics.get(aid, []))
            for aid, rank in ranked if (a := articles.get(aid)) is not None]


def _merged(marked: str) -> str:
    """Matched words side by side in one mark, as FTS5 marks a phrase (ts_headline marks each word)."""
    return marked.replace(f"{UNMARK} {MARK}", " ")
