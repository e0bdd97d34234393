"""Full-text search (storage.search) on SQLite (FTS5) and PostgreSQL (tsvector): the query language, filters,
ranking, snippets, paging, and the index kept in step with the articles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import delete, update

from newsmon.errors import QueryError
from newsmon.storage import search as search_module
from newsmon.storage.articles import NewArticle, TopicRecord, store_articles
from newsmon.storage.engine import open_store
from newsmon.storage.models import Article
from newsmon.storage.runs import source_ids
from newsmon.storage.search import MARK, MAX_QUERY_CHARS, UNMARK, parse_query, search, search_records
from tests.conftest import migrate

BAKU = timezone(timedelta(hours=4))
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
TOPIC = "sco_azerbaijan"
FILLER = "Delegates met on Tuesday to review the plans for the coming year. " * 3

# key: (source, title, text, published (Baku), language, tagged with TOPIC)
CORPUS = {
    "sco": ("trend", "Azerbaijan becomes a dialogue partner of the SCO",
            "The Shanghai Cooperation Organization welcomed Azerbaijan as a dialogue partner. " + FILLER,
            datetime(2026, 11, 10, 9, 0, tzinfo=BAKU), "en", True),
    "gas": ("azernews", "Energy exports grow",
            "Azerbaijan exported more gas to Europe. The Shanghai office of the company and the cooperation "
            "council of the region met in Baku. " + FILLER, datetime(2026, 11, 12, 9, 0, tzinfo=BAKU), "en", False),
    "talks": ("newsaz", "Armenia and Azerbaijan hold peace talks",
              "Delegations of Armenia and Azerbaijan met in Almaty to discuss the peace treaty. " + FILLER,
              datetime(2026, 11, 14, 9, 0, tzinfo=BAKU), "en", True),
    "weather": ("trend", "Погода в Баку", "Azerbaijani forecasters expect rain and strong wind in Baku. " + FILLER,
                datetime(2026, 11, 16, 9, 0, tzinfo=BAKU), "ru", False),
    "office": ("azernews", "New office opens", "The ministry opened an office for small businesses. " + FILLER,
               datetime(2026, 11, 18, 9, 0, tzinfo=BAKU), "en", False),
}


@pytest.fixture
def store(db_url: str) -> Any:
    s = open_store(db_url)
    yield s
    s.close()


def new_article(sources: dict[str, int], key: str, source: str, title: str, text: str, published: datetime | None,
                language: str | None = "en", tagged: bool = False) -> NewArticle:
    topics = (TopicRecord(TOPIC, 5.0, {"SCO": 1}, ["..."]),) if tagged else ()
    return NewArticle(source_id=sources[source], url=f"https://{source}.example/{key}.html", title=title, author="",
                      published=published, fetched=NOW, text=text, summary="", language=language,
                      extraction="article", topics=topics)


def put(store: Any, rows: dict[str, tuple[Any, ...]]) -> dict[str, int]:
    """Store articles through the storage API; their ids by key."""
    with store.write() as s:
        sources = source_ids(s, ["trend", "azernews", "newsaz"])
        stored = store_articles(s, [(new_article(sources, key, *row), []) for key, row in rows.items()], NOW)
    return {key: article_id for key, (article_id, _) in zip(rows, stored)}


@pytest.fixture
def corpus(store: Any) -> dict[str, int]:
    return put(store, CORPUS)


def found(store: Any, q: str, **filters: Any) -> set[str]:
    """The keys of CORPUS (or any stored key) that `q` finds."""
    with store.read() as s:
        page = search(s, parse_query(q), limit=100, **filters)
    assert page.total == len(page.hits)
    return {h.url.rsplit("/", 1)[1].removesuffix(".html") for h in page.hits}


# ---- the query language ----

def test_every_word_must_occur(store: Any, corpus: dict[str, int]) -> None:
    assert found(store, "azerbaijan gas") == {"gas"}
    assert found(store, "Azerbaijan") == {"sco", "gas", "talks"}


def test_a_phrase_needs_its_words_side_by_side_where_words_may_be_apart(store: Any, corpus: dict[str, int]) -> None:
    assert found(store, "shanghai cooperation") == {"sco", "gas"}
    assert found(store, '"shanghai cooperation"') == {"sco"}


def test_words_match_in_any_form_and_case(store: Any, corpus: dict[str, int]) -> None:
    assert found(store, "EXPORTS") == {"gas"}
    assert found(store, "exporting") == {"gas"}


def test_a_prefix_finds_the_words_starting_with_it(store: Any, corpus: dict[str, int]) -> None:
    assert found(store, "azerbaijani") == {"weather"}
    assert found(store, "azerbaij*") == {"sco", "gas", "talks", "weather"}
    assert found(store, "off*") == {"gas", "office"}           # a stop word as a prefix still searches


def test_or_takes_either_term_and_binds_tighter_than_and(store: Any, corpus: dict[str, int]) -> None:
    assert found(store, "gas OR armenia") == {"gas", "talks"}
    assert found(store, 'azerbaijan "peace treaty" OR forecasters') == {"talks"}


def test_excluded_words_and_phrases_leave_articles_out(store: Any, corpus: dict[str, int]) -> None:
    assert found(store, "azerbaijan -armenia") == {"sco", "gas"}
    assert found(store, 'azerbaijan -"dialogue partner" -gas') == {"talks"}
    assert found(store, 'azerbaijan -"partner dialogue"') == {"sco", "gas", "talks"}


def test_common_words_and_lowercase_or_are_left_out(store: Any, corpus: dict[str, int]) -> None:
    assert found(store, "the azerbaijan or gas") == found(store, "azerbaijan gas") == {"gas"}
    assert found(store, "Azerbaijan's") == {"sco", "gas", "talks"}


@pytest.mark.parametrize(("query", "message"), [
    ("", "empty query"),
    ("   ", "empty query"),
    ("x" * (MAX_QUERY_CHARS + 1), f"query too long: {MAX_QUERY_CHARS + 1} characters, at most {MAX_QUERY_CHARS}"),
    ('sco "shanghai cooperation', "unbalanced quote at character 5"),
    ("OR sco", "OR at character 1 has no term before it"),
    ("sco OR", "OR at character 5 has no term after it"),
    ("sco OR OR gas", "OR at character 8 follows another OR"),
    ("sco OR -gas", "OR at character 5 joins an excluded term"),
    ("sco - gas", "'-' at character 5 excludes nothing"),
    ("sco -", "'-' at character 5 excludes nothing"),
    ("sco * gas", "'*' at character 5 follows no word"),
    ("-armenia -gas", "only excluded terms"),
    ("sco ?!", "'?!' at character 5 has nothing to search for"),
    ('sco ""', "the phrase at character 5 has nothing to search for"),
    ("a*", "'a*' at character 1 is too short a prefix"),
    ("the of and", "only common words"),
    ('sco "to be or not"', "the phrase at character 5 is made only of common words"),
])
def test_a_malformed_query_says_what_and_where_in_one_line(query: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("query", [
    'NEAR(azerbaijan gas)', "text:azerbaijan", "{title}: gas", "^azerbaijan", "azerbaijan AND NOT gas",
    "gas&!armenia|(peace)", "azerbaijan:*", "'gas'", "gas\\ azerbaijan", '"gas OR x"', "gas:A", "½",
    "gas<->azerbaijan", "azerbaijan)) OR ((gas", "gas' OR '1'='1",
])
def test_query_syntax_of_either_backend_is_searched_as_plain_words(store: Any, corpus: dict[str, int],
                                                                    query: str) -> None:
    with store.read() as s:
        page = search(s, parse_query(query))
    assert page.total == len(page.hits)


def test_parse_keeps_the_clauses() -> None:
    q = parse_query('"Shanghai Cooperation" azerb* gas OR oil -armenia')
    assert [[(t.tokens, t.prefix, t.quoted) for t in g] for g in q.groups] == [
        [(("shanghai", "cooperation"), False, True)], [(("azerb",), True, False)],
        [(("gas",), False, False), (("oil",), False, False)]]
    assert [t.tokens for t in q.excluded] == [("armenia",)]
    assert q.text == '"Shanghai Cooperation" azerb* gas OR oil -armenia'


# ---- filters ----

def test_filters_narrow_by_topic_source_time_and_language(store: Any, corpus: dict[str, int]) -> None:
    assert found(store, "azerbaij*", topic=TOPIC) == {"sco", "talks"}
    assert found(store, "azerbaij*", source="trend") == {"sco", "weather"}
    assert found(store, "azerbaij*", source="nowhere") == set()
    assert found(store, "azerbaij*", lang="ru") == {"weather"}
    since, until = datetime(2026, 11, 12, 9, 0, tzinfo=BAKU), datetime(2026, 11, 16, 9, 0, tzinfo=BAKU)
    assert found(store, "azerbaij*", since=since) == {"gas", "talks", "weather"}
    assert found(store, "azerbaij*", since=since, until=until) == {"gas", "talks"}          # until exclusive
    assert found(store, "azerbaij*", since=since + timedelta(microseconds=1)) == {"talks", "weather"}
    assert found(store, "azerbaij*", until=until + timedelta(microseconds=1)) == {"sco", "gas", "talks", "weather"}
    assert found(store, "azerbaij*", topic=TOPIC, source="newsaz", since=since, lang="en") == {"talks"}


def test_an_article_without_a_date_is_filtered_by_when_it_was_fetched(store: Any) -> None:
    put(store, {"undated": ("trend", "Azerbaijan", "Undated story", None, "en", False)})
    assert found(store, "azerbaijan", since=NOW, until=NOW + timedelta(seconds=1)) == {"undated"}
    assert found(store, "azerbaijan", until=NOW) == set()


# ---- ranking, marks, paging ----

def test_a_match_in_the_title_ranks_first_and_ties_go_newest_first(store: Any) -> None:
    text = "Officials discussed the memorandum at length; the memorandum was signed. " + FILLER
    put(store, {
        "in-text": ("trend", "Ministers meet", text, datetime(2026, 11, 1, tzinfo=BAKU), "en", False),
        "in-title": ("trend", "Memorandum signed", FILLER, datetime(2026, 10, 1, tzinfo=BAKU), "en", False),
        "twin-old": ("azernews", "Ministers meet", text, datetime(2026, 9, 1, tzinfo=BAKU), "en", False),
    })
    with store.read() as s:
        hits = search(s, parse_query("memorandum")).hits
    assert [h.url.rsplit("/", 1)[1] for h in hits] == ["in-title.html", "in-text.html", "twin-old.html"]
    assert hits[0].rank > hits[1].rank == hits[2].rank


def test_hits_mark_the_matched_words_in_title_and_snippet(store: Any, corpus: dict[str, int]) -> None:
    long_text = " ".join(f"lead{i}" for i in range(60)) + " Azerbaijan signed. " + " ".join(
        f"tail{i}" for i in range(60))
    ids = put(store, {"long": ("newsaz", "Long story", long_text, datetime(2026, 11, 19, tzinfo=BAKU), "en", False)})
    with store.read() as s:
        hits = {h.id: h for h in search(s, parse_query('azerbaijan "dialogue partner"')).hits}
        long_hit = search(s, parse_query("azerbaijan signed")).hits[0]
    hit = hits[corpus["sco"]]
    assert hit.title == f"{MARK}Azerbaijan{UNMARK} becomes a {MARK}dialogue partner{UNMARK} of the SCO"
    assert f"{MARK}Azerbaijan{UNMARK}" in hit.snippet and "\n" not in hit.snippet
    assert hit.source == "trend" and hit.topics == [TOPIC] and hit.language == "en"
    assert hit.published is not None and hit.published.isoformat() == "2026-11-10T09:00:00+04:00"
    assert hit.fetched == NOW
    assert long_hit.id == ids["long"]
    assert long_hit.snippet.startswith("…") and long_hit.snippet.endswith("…")
    assert f"{MARK}Azerbaijan signed{UNMARK}" in long_hit.snippet
    assert 20 <= len(long_hit.snippet.split()) <= 32
    assert long_hit.title == "Long story"


def test_total_counts_every_match_and_pages_split_them(store: Any) -> None:
    put(store, {f"n{i}": ("trend", f"Note {i}", f"Caspian note number {i}. " + FILLER,
                          datetime(2026, 11, 1, tzinfo=BAKU) + timedelta(hours=i), "en", False) for i in range(25)})
    with store.read() as s:
        pages = [search(s, parse_query("caspian"), limit=10, offset=o) for o in (0, 10, 20, 30)]
        empty = search(s, parse_query("caspian"), limit=0)
    assert [p.total for p in pages] == [25] * 4 and empty.total == 25 and empty.hits == []
    assert [len(p.hits) for p in pages] == [10, 10, 5, 0]
    assert len({h.id for p in pages for h in p.hits}) == 25
    with store.read() as s, pytest.raises(ValueError):
        search(s, parse_query("caspian"), offset=-1)


def test_a_count_that_stops_early_says_there_are_more_and_still_pages_through_them(
        store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsmon.storage import fulltext

    monkeypatch.setattr(fulltext.Backend, "count_limit", 8)   # PostgreSQL's limit, made small, on each backend
    monkeypatch.setattr(fulltext.PostgresBackend, "count_limit", 8)
    put(store, {f"n{i}": ("trend", f"Note {i}", f"Caspian note number {i}. " + FILLER,
                          datetime(2026, 11, 1, tzinfo=BAKU) + timedelta(hours=i), "en", False) for i in range(12)})
    with store.read() as s:
        first = search(s, parse_query("caspian"), limit=5)
        few = search(s, parse_query("caspian note number 3"), limit=5)
        second = search(s, parse_query("caspian"), limit=5, offset=5)
    assert (first.total, first.exact) == (7, False)       # "more than 7"
    assert (few.total, few.exact) == (1, True)
    assert len(first.hits) == 5 and len(second.hits) == 5
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}


def test_a_query_matching_more_than_the_window_ranks_the_newest_first_and_pages_through_all(
        store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_module, "RANK_WINDOW", 5)
    ids = put(store, {f"n{i}": ("trend", "Caspian" if i == 0 else f"Note {i}", f"Caspian note number {i}. " + FILLER,
                                datetime(2026, 11, 1, tzinfo=BAKU) + timedelta(hours=i), "en", False)
                      for i in range(12)})
    newest = {ids[f"n{i}"] for i in range(7, 12)}
    with store.read() as s:
        pages = [search(s, parse_query("caspian"), limit=4, offset=o).hits for o in (0, 4, 8)]
        records = list(search_records(s, parse_query("caspian")))
        filtered = search(s, parse_query("caspian"), since=datetime(2026, 11, 1, 3, tzinfo=BAKU), limit=20)
    order = [h.id for page in pages for h in page]
    assert len(order) == len(set(order)) == 12
    assert set(order[:5]) == newest                        # the title match n0 is older: after the window
    assert order[5] == ids["n0"]
    assert [r["id"] for r in records] == order
    assert filtered.total == 9 and {h.id for h in filtered.hits[:5]} == newest


def test_search_records_are_export_records_best_first(store: Any, corpus: dict[str, int]) -> None:
    with store.read() as s:
        records = list(search_records(s, parse_query("azerbaij*"), topic=TOPIC))
        ranked = [h.id for h in search(s, parse_query("azerbaij*"), topic=TOPIC).hits]
    assert [r["id"] for r in records] == ranked
    assert set(records[0]) == {"id", "source", "url", "title", "author", "published", "fetched", "text", "language",
                               "extraction", "topics", "matches", "judgements"}
    assert records[0]["judgements"] == {}


# ---- the index follows the articles ----

def test_the_index_follows_inserts_updates_and_deletes(store: Any, corpus: dict[str, int]) -> None:
    ids = put(store, {"late": ("trend", "Caspian summit", "Leaders gather by the sea. " + FILLER,
                               datetime(2026, 11, 19, tzinfo=BAKU), "en", False)})
    assert found(store, "caspian") == {"late"}
    with store.write() as s:
        s.execute(update(Article).where(Article.id == ids["late"]).values(title="Aral summit"))
    assert found(store, "caspian") == set() and found(store, "aral") == {"late"}
    with store.write() as s:
        s.execute(update(Article).where(Article.id == ids["late"]).values(text="Leaders gather by the lake."))
    assert found(store, "lake") == {"late"} and found(store, "sea") == set()
    with store.write() as s:
        s.execute(update(Article).where(Article.id == ids["late"]).values(summary="A summary"))
    assert found(store, "aral lake") == {"late"}
    with store.write() as s:
        s.execute(delete(Article).where(Article.id == ids["late"]))
    assert found(store, "aral") == set()
    assert found(store, "azerbaijan") == {"sco", "gas", "talks"}


def test_migration_0008_indexes_the_articles_stored_before_it_and_goes_back(db_url: str) -> None:
    from alembic import command

    store = open_store(db_url)
    migrate(store, command.downgrade, "0007")      # a database from before search, with articles in it
    ids = put(store, CORPUS)
    store.close()
    store = open_store(db_url)                     # upgraded on opening
    try:
        assert found(store, '"shanghai cooperation"') == {"sco"}
        assert found(store, "azerbaijan -armenia", since=datetime(2026, 11, 11, tzinfo=UTC)) == {"gas"}
        migrate(store, command.downgrade, "0007")
        with store.write() as s:
            s.execute(delete(Article).where(Article.id == ids["gas"]))
        migrate(store, command.upgrade, "head")
        assert found(store, "azerbaijan") == {"sco", "talks"}
    finally:
        store.close()
