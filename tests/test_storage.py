"""The storage layer, on SQLite and on PostgreSQL (`NEWSMON_TEST_POSTGRES_URL`)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, text

import newsmon.storage
from newsmon.errors import LockedError
from newsmon.storage import articles, runs
from newsmon.storage.engine import open_store
from newsmon.storage.lock import run_lock
from newsmon.storage.models import Article, ArticleURL, Discovery
from tests.conftest import migrate

BAKU = timezone(timedelta(hours=4))
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Any:
    s = open_store(db_url)
    yield s
    s.close()


def article(source_id: int, url: str, **kw: Any) -> articles.NewArticle:
    fields = dict(source_id=source_id, url=url, title="SCO and Azerbaijan", author="A. Author",
                  published=datetime(2026, 11, 17, 12, 27, tzinfo=BAKU), fetched=NOW, text="Body text",
                  summary="Summary", language="en", extraction="article")
    fields.update(kw)
    return articles.NewArticle(**fields)


def migration_head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(newsmon.storage.__file__).parent / "migrations"))
    return ScriptDirectory.from_config(cfg).get_current_head()


def test_schema_head_constant_names_the_newest_migration() -> None:
    from newsmon.storage.migrations import SCHEMA_HEAD

    assert migration_head() == SCHEMA_HEAD


def test_topic_words_survive_migration_0005_and_rows_from_before_it_read_back_without(db_url: str) -> None:
    from alembic import command

    store = open_store(db_url)
    old = articles.TopicRecord("sco_azerbaijan", 7.0, {"Azerbaijan*": 2}, ["Azerbaijani ..."])
    with store.write() as s:
        sid = runs.source_ids(s, ["trend"])["trend"]
        old_id = articles.store_article(s, article(sid, "https://en.trend.az/a/1.html", topics=(old,)), None, NOW)[0]
    migrate(store, command.downgrade, "0004")      # a database from before 0005, with a topic row
    store.close()
    store = open_store(db_url)                     # upgraded on opening
    new = articles.TopicRecord("sco_azerbaijan", 7.0, {"Azerbaijan*": 2}, ["Azerbaijani ..."],
                               words={"Azerbaijani": 2})
    with store.write() as s:
        new_id = articles.store_article(s, article(sid, "https://en.trend.az/a/2.html", topics=(new,)), None, NOW)[0]
    with store.read() as s:
        topics = articles.topics_of(s, [old_id, new_id])
    store.close()
    assert topics[old_id] == [old] and topics[old_id][0].words == {}
    assert topics[new_id] == [new]


def test_schema_is_created_by_migrations_and_reopening_is_a_no_op(db_url: str) -> None:
    first = open_store(db_url)
    tables = set(inspect(first.engine).get_table_names())
    assert {"articles", "article_urls", "sources", "discovery_urls", "runs", "run_sources", "rejections",
            "discoveries", "article_topics", "alembic_version"} <= tables
    first.close()
    again = open_store(db_url)
    with again.read() as s:
        assert s.execute(text("SELECT version_num FROM alembic_version")).scalar() == migration_head()
    again.close()


def test_storing_the_same_article_twice_keeps_one_row(store: Any) -> None:
    with store.write() as s:
        sid = runs.source_ids(s, ["trend"])["trend"]
        du = runs.discovery_url(s, sid, "https://en.trend.az/feeds/index.rss", "feed").id
        first = articles.store_article(s, article(sid, "https://en.trend.az/a/1.html",
                                           aliases=("https://en.trend.az/a/1.html?x=1",)), du, NOW)
    with store.write() as s:
        again = articles.store_article(s, article(sid, "https://en.trend.az/a/1.html?x=1"), du, NOW)
    assert first == (first[0], True) and again == (first[0], False)
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 1
        assert s.scalar(select(func.count()).select_from(ArticleURL)) == 2
        assert s.scalar(select(func.count()).select_from(Discovery)) == 1


def test_published_keeps_the_sites_offset(store: Any) -> None:
    with store.write() as s:
        sid = runs.source_ids(s, ["trend"])["trend"]
        articles.store_article(s, article(sid, "https://en.trend.az/a/2.html"), None, NOW)
    with store.read() as s:
        a = s.execute(select(Article)).scalar_one()
        assert a.published.isoformat() == "2026-11-17T12:27:00+04:00"
        assert a.fetched_at == NOW
        (record,) = list(articles.export_records(s))
    assert record["published"] == "2026-11-17T12:27:00+04:00"
    assert record["fetched"] == "2026-11-20T08:00:00+00:00"


def test_a_failed_transaction_leaves_nothing_behind(store: Any) -> None:
    with store.write() as s:
        sid = runs.source_ids(s, ["trend"])["trend"]
    with pytest.raises(RuntimeError), store.write() as s:
        articles.store_article(s, article(sid, "https://en.trend.az/a/3.html"), None, NOW)
        raise RuntimeError("crash half-way")
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 0
        assert articles.known_articles(s, ["https://en.trend.az/a/3.html"]) == {}


def test_permanent_rejections_settle_at_once_and_passing_ones_after_three(store: Any) -> None:
    with store.write() as s:
        sid = runs.source_ids(s, ["trend"])["trend"]
        articles.reject(s, "https://x/404", sid, "HTTP 404", True, NOW)
        articles.reject(s, "https://x/slow", sid, "timeout", False, NOW)
    with store.read() as s:
        assert articles.settled_rejections(s, ["https://x/404", "https://x/slow"]) == {"https://x/404"}
    for _ in range(2):
        with store.write() as s:
            articles.reject(s, "https://x/slow", sid, "timeout", False, NOW)
    with store.read() as s:
        assert articles.settled_rejections(s, ["https://x/slow"]) == {"https://x/slow"}


def test_topics_are_exported_with_terms_and_snippets(store: Any) -> None:
    topic = articles.TopicRecord("sco_azerbaijan", 7.0, {"SCO": 3, "Azerbaijan": 2},
                                 ("... the SCO and Azerbaijan ...",))
    with store.write() as s:
        sid = runs.source_ids(s, ["trend"])["trend"]
        articles.store_article(s, article(sid, "https://en.trend.az/a/4.html", topics=(topic,)), None, NOW)
        articles.store_article(s, article(sid, "https://en.trend.az/a/5.html", title="Other"), None, NOW)
    with store.read() as s:
        records = list(articles.export_records(s, topic="sco_azerbaijan"))
    assert len(records) == 1
    assert records[0]["topics"] == ["sco_azerbaijan"]
    assert records[0]["matches"]["sco_azerbaijan"] == {"score": 7.0, "terms": ["SCO", "Azerbaijan"],
                                                       "snippets": ["... the SCO and Azerbaijan ..."]}


def test_export_filters_by_published_range(store: Any) -> None:
    with store.write() as s:
        sid = runs.source_ids(s, ["trend"])["trend"]
        for day in (16, 17, 18):
            articles.store_article(s, article(sid, f"https://en.trend.az/a/d{day}.html",
                                       published=datetime(2026, 11, day, 0, 30, tzinfo=BAKU)), None, NOW)
    with store.read() as s:
        got = [r["url"] for r in articles.export_records(s, since=datetime(2026, 11, 17, tzinfo=BAKU),
                                                  until=datetime(2026, 11, 18, tzinfo=BAKU))]
    assert got == ["https://en.trend.az/a/d17.html"]


def test_run_lock_is_exclusive_and_released(store: Any) -> None:
    other = open_store(str(store.engine.url.render_as_string(hide_password=False)), migrate=False)
    try:
        with run_lock(store):
            errors: list[Exception] = []

            def try_lock() -> None:
                try:
                    with run_lock(other):
                        pass
                except LockedError as e:
                    errors.append(e)
            t = threading.Thread(target=try_lock)
            t.start()
            t.join()
            assert errors and "another newsmon run is in progress" in str(errors[0])
        with run_lock(other):
            pass
    finally:
        other.close()


def test_concurrent_writers_never_see_database_is_locked(store: Any) -> None:
    with store.write() as s:
        sid = runs.source_ids(s, ["trend"])["trend"]
    failures: list[Exception] = []

    def writer(n: int) -> None:
        try:
            for i in range(25):
                with store.write() as s:
                    articles.store_article(s, article(sid, f"https://en.trend.az/w{n}/{i}.html"), None, NOW)
                with store.read() as s:
                    articles.known_articles(s, [f"https://en.trend.az/w{n}/{i}.html"])
        except Exception as e:  # noqa: BLE001 - collected for the assertion
            failures.append(e)
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 100
