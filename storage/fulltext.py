"""Full-text search on each backend: a parsed query as an FTS5 MATCH expression (SQLite) or a tsquery
(PostgreSQL), and the SQL that counts, ranks and marks up its matches.

What a person typed never reaches either syntax as typed: the parser reduced every token to letters and
digits, each is quoted here, and the whole goes to the database as a bound parameter. The SQL around it is
put together from the fixed fragments below only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from newsmon.storage.models import UTCDateTime
from newsmon.storage.query import STOPWORDS, SearchQuery, Term

MARK, UNMARK = "\x02", "\x03"   # around matched words in titles and snippets
ELLIPSIS = "…"
SNIPPET_WORDS = 30
PG_COUNT_LIMIT = 10_001          # PostgreSQL counts the matches up to here (see PostgresBackend)
TITLE_WEIGHT = 10.0             # a match in the title weighs this many matches in the text

_INSTANT = "coalesce(a.published_at, a.fetched_at)"
_SECONDS = f"CAST(strftime('%s', {_INSTANT}) AS INTEGER)"   # as ix_articles_search_filters holds it (SQLite)


@dataclass(frozen=True)
class Filters:
    """What narrows a search besides the query; until is exclusive, as everywhere instants are compared."""

    topic: str | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    lang: str | None = None

    @property
    def on_article(self) -> bool:
        """Whether any filter reads the article itself (all but the topic)."""
        return any(v is not None for v in (self.source, self.since, self.until, self.lang))


Part = tuple[str, int] | None    # (">=" | "<", article id): the newest matches, or the older ones; None: all


class Backend:
    """The SQL of one backend: the statements are the same, the fragments differ."""

    id_sql: str                     # the matched article's id
    match_sql: str
    score_sql: str                  # higher is better
    newest_sql = f"{_INSTANT} DESC"
    topic_sql = "a.id IN (SELECT article_id FROM article_topics WHERE topic = :topic)"

    def __init__(self, params: dict[str, Any]):
        self.params = params

    def from_sql(self, filters: Filters | None) -> str:
        """The FROM clause for counting with `filters`; None: for ranking (which orders by the instant)."""
        return "articles AS a"

    def since_until(self, filters: Filters) -> tuple[list[str], dict[str, Any]]:
        sql: list[str] = []
        params: dict[str, Any] = {}
        if filters.since is not None:
            sql.append(f"{_INSTANT} >= :since")
            params["since"] = filters.since
        if filters.until is not None:
            sql.append(f"{_INSTANT} < :until")
            params["until"] = filters.until
        return sql, params

    def _where(self, filters: Filters, part: Part) -> tuple[str, dict[str, Any]]:
        sql, params = self.since_until(filters)
        if filters.topic is not None:
            sql.append(self.topic_sql)
            params["topic"] = filters.topic
        if filters.source is not None:
            sql.append("a.source_id = (SELECT s.id FROM sources AS s WHERE s.name = :source)")
            params["source"] = filters.source
        if filters.lang is not None:
            sql.append("a.language = :lang")
            params["lang"] = filters.lang.lower()
        if part is not None:
            sql.append(f"{self.id_sql} {'>=' if part[0] == '>=' else '<'} :floor")
            params["floor"] = part[1]
        return " AND ".join([self.match_sql, *sql]), {**self.params, **params}

    def _execute(self, session: Session, sql: str, params: dict[str, Any], **options: Any) -> Any:
        # instants bound as the columns store them (naive UTC), not as the driver would render a datetime
        stmt = text(sql).bindparams(*(bindparam(k, type_=UTCDateTime) for k in ("since", "until") if k in params))
        return session.execute(stmt.execution_options(**options) if options else stmt, params)

    count_limit: int | None = None  # count at most this many matches (the count is then a lower bound)

    def count(self, session: Session, filters: Filters) -> int:
        """The matches with `filters`; at most `count_limit` of them."""
        where, params = self._where(filters, None)
        if self.count_limit is None:
            sql = f"SELECT count(*) FROM {self.from_sql(filters)} WHERE {where}"
        else:
            sql = f"SELECT count(*) FROM (SELECT 1 FROM {self.from_sql(filters)} WHERE {where} LIMIT :count_limit) AS m"
            params = {**params, "count_limit": self.count_limit}
        return int(self._execute(session, sql, params).scalar())

    def floor(self, session: Session, filters: Filters, newest: int) -> int:
        """The id of the `newest`-th newest match (by storage order)."""
        where, params = self._where(filters, None)
        sql = (f"SELECT {self.id_sql} FROM {self.from_sql(filters)} WHERE {where} "
               f"ORDER BY {self.id_sql} DESC LIMIT 1 OFFSET :skip")
        return int(self._execute(session, sql, {**params, "skip": newest - 1}).scalar())

    def ranked(self, session: Session, filters: Filters, part: Part, limit: int | None = None, offset: int = 0,
               **options: Any) -> Any:
        """(id, score) of the matches of `part`, best first, ties newest first; all of them when limit is None."""
        where, params = self._where(filters, part)
        sql = (f"SELECT {self.id_sql} AS id, {self.score_sql} AS score FROM {self.from_sql(None)} WHERE {where} "
               f"ORDER BY score DESC, {self.newest_sql}, {self.id_sql} DESC")
        if limit is not None:
            sql += " LIMIT :limit OFFSET :offset"
            params.update(limit=limit, offset=offset)
        return self._execute(session, sql, params, **options)

    def marked(self, session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """id -> (title, snippet), matched words between MARK and UNMARK, "…" where the text was cut."""
        raise NotImplementedError


class SQLiteBackend(Backend):
    """FTS5. The matches are read from `articles_fts` first (CROSS JOIN fixes that order) and the filters
    checked against ix_articles_search_filters (INDEXED BY: it covers them), joined only when a filter or the
    ranking needs it: the article rows themselves, 3 kB of text each, are never read for a match not shown."""

    id_sql = "articles_fts.rowid"
    match_sql = "articles_fts MATCH :match"
    score_sql = f"-bm25(articles_fts, 1.0, {TITLE_WEIGHT})"   # text is column 0, title column 1
    newest_sql = f"{_SECONDS} DESC"
    # `+`: a condition to check on each match, not rowids for FTS5 to look up one by one
    topic_sql = "+articles_fts.rowid IN (SELECT article_id FROM article_topics WHERE topic = :topic)"

    def __init__(self, query: SearchQuery):
        super().__init__({"match": fts5_expression(query)})
        self.prefixed = any(t.prefix for g in query.groups for t in g) or any(t.prefix for t in query.excluded)

    def from_sql(self, filters: Filters | None) -> str:
        if filters is not None and not filters.on_article:
            return "articles_fts"
        return ("articles_fts CROSS JOIN articles AS a INDEXED BY ix_articles_search_filters "
                "ON a.id = articles_fts.rowid")

    def since_until(self, filters: Filters) -> tuple[list[str], dict[str, Any]]:
        """The instant's whole seconds, as the index holds them, decide; only within a second or so of a bound
        (SQLite rounds to the millisecond before it floors) the stored instant itself does. CASE, not OR:
        an OR would be planned as two index searches per match."""
        sql: list[str] = []
        params: dict[str, Any] = {}
        if filters.since is not None:
            sql.append(f"CASE WHEN {_SECONDS} > :since_hi THEN 1 WHEN {_SECONDS} < :since_lo THEN 0 "
                       f"ELSE {_INSTANT} >= :since END")
            params.update(since=filters.since, since_lo=_seconds(filters.since) - 1,
                          since_hi=_seconds(filters.since) + 1)
        if filters.until is not None:
            sql.append(f"CASE WHEN {_SECONDS} < :until_lo THEN 1 WHEN {_SECONDS} > :until_hi THEN 0 "
                       f"ELSE {_INSTANT} < :until END")
            params.update(until=filters.until, until_lo=_seconds(filters.until) - 1,
                          until_hi=_seconds(filters.until) + 1)
        return sql, params

    def marked(self, session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        # FTS5 looks rowids of an IN list up one by one, expanding a prefix again for each: with a prefix,
        # one pass over the range of the page's ids is faster
        where = ("rowid BETWEEN :lo AND :hi AND +rowid IN :ids" if self.prefixed else "rowid IN :ids")
        stmt = text("SELECT rowid, highlight(articles_fts, 1, :mark, :unmark), "
                    "snippet(articles_fts, 0, :mark, :unmark, :cut, :words) "
                    f"FROM articles_fts WHERE articles_fts MATCH :match AND {where}"
                    ).bindparams(bindparam("ids", expanding=True))
        rows = session.execute(stmt, {**self.params, "mark": MARK, "unmark": UNMARK, "cut": ELLIPSIS,
                                      "words": SNIPPET_WORDS, "ids": list(ids), "lo": min(ids), "hi": max(ids)})
        return {aid: (title or "", _one_line(snippet or "")) for aid, title, snippet in rows}


class PostgresBackend(Backend):
    """A tsquery against the generated `search_vector`, ts_rank_cd, and ts_headline for the page's hits.
    Counting every match of a common word means a heap visit per match (a third of a second for 90,000 of
    them), so the count stops at PG_COUNT_LIMIT: "more than 10,000" says all a reader needs."""

    id_sql = "a.id"
    count_limit = PG_COUNT_LIMIT
    _TITLE_OPTIONS = f"StartSel={MARK}, StopSel={UNMARK}, HighlightAll=true"
    _TEXT_OPTIONS = (f"StartSel={MARK}, StopSel={UNMARK}, MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2},"
                     " ShortWord=3, MaxFragments=1")

    def __init__(self, query: SearchQuery):
        self.tsquery, params = tsquery_sql(query)
        super().__init__(params)
        self.match_sql = f"a.search_vector @@ {self.tsquery}"
        # the weights of D, C, B (the text) and A (the title)
        self.score_sql = f"ts_rank_cd('{{0.1, 0.1, {1 / TITLE_WEIGHT}, 1.0}}', a.search_vector, {self.tsquery})"

    def marked(self, session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        stmt = text(f"SELECT a.id, ts_headline('english', a.title, {self.tsquery}, :title_options), "
                    f"ts_headline('english', a.text, {self.tsquery}, :text_options), a.text "
                    "FROM articles AS a WHERE a.id IN :ids").bindparams(bindparam("ids", expanding=True))
        rows = session.execute(stmt, {**self.params, "title_options": self._TITLE_OPTIONS,
                                      "text_options": self._TEXT_OPTIONS, "ids": list(ids)})
        return {row[0]: (row[1] or "", _cut(row[2] or "", row[3] or "")) for row in rows}


def _seconds(instant: datetime) -> int:
    return math.floor(instant.timestamp())


def backend_for(session: Session, query: SearchQuery) -> Backend:
    dialect = session.get_bind().dialect.name
    return SQLiteBackend(query) if dialect == "sqlite" else PostgresBackend(query)


# ---- the query in each backend's syntax ----

def fts5_expression(query: SearchQuery) -> str:
    """`"a" AND ("b c" OR "d" *) NOT ("e")`: every token a double-quoted FTS5 string."""
    positive = " AND ".join(_fts5_group(g) for g in query.groups)
    if not query.excluded:
        return positive
    return f"({positive}) NOT ({' OR '.join(_fts5_term(t) for t in query.excluded)})"


def _fts5_group(group: tuple[Term, ...]) -> str:
    return _fts5_term(group[0]) if len(group) == 1 else "(" + " OR ".join(_fts5_term(t) for t in group) + ")"


def _fts5_term(term: Term) -> str:
    quoted = '"' + " ".join(term.tokens).replace('"', '""') + '"'
    return quoted + " *" if term.prefix else quoted


def tsquery_sql(query: SearchQuery) -> tuple[str, dict[str, Any]]:
    """The query as a tsquery expression over bound to_tsquery() operands, and their parameters.

    One to_tsquery('english', ...) per term, so each can be stemmed; a prefix that is a stop word ("off*"
    for office) goes through 'simple', which keeps it, where 'english' would drop it."""
    params: dict[str, Any] = {}

    def operand(config: str, tokens: Sequence[str], prefix: bool) -> str:
        name = f"tsq{len(params)}"
        quoted = [_tsquery_quote(t) for t in tokens]
        params[name] = " <-> ".join([*quoted[:-1], quoted[-1] + (":*" if prefix else "")])
        return f"to_tsquery('{config}', :{name})"

    def term(t: Term) -> str:
        if not (t.prefix and t.tokens[-1] in STOPWORDS):
            return operand("english", t.tokens, t.prefix)
        last = operand("simple", t.tokens[-1:], True)
        return f"({operand('english', t.tokens[:-1], False)} <-> {last})" if len(t.tokens) > 1 else last

    groups = ["(" + " || ".join(term(t) for t in group) + ")" for group in query.groups]
    excluded = [f"!!{term(t)}" for t in query.excluded]
    return "(" + " && ".join([*groups, *excluded]) + ")", params


def _tsquery_quote(token: str) -> str:
    """A tsquery operand: the parser left letters and digits only; quoting keeps it one operand whatever it is."""
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


# ---- snippets ----

def _one_line(snippet: str) -> str:
    return " ".join(snippet.split())


def _cut(fragment: str, text: str) -> str:
    """A ts_headline fragment with "…" where it does not reach the start or the end of the text."""
    plain = fragment.replace(MARK, "").replace(UNMARK, "")
    at = text.find(plain)
    before = at > 0 and bool(text[:at].strip())
    after = (at < 0 and len(plain) < len(text.strip())) or (at >= 0 and bool(text[at + len(plain):].strip()))
    return _one_line((ELLIPSIS if before else "") + fragment + (ELLIPSIS if after else ""))

