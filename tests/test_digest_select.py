"""What a week's digest holds, read from storage (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from newsmon.digests.select import select_week
from newsmon.digests.week import parse_week
from newsmon.storage.articles import NewArticle, TopicRecord, store_article
from newsmon.storage.engine import open_store
from newsmon.storage.models import Run, RunSource, Source
from newsmon.storage.runs import source_ids
from tests.conftest import DIGEST_TOPIC, DIGEST_W36, seed_digest_weeks

BAKU = ZoneInfo("Asia/Baku")
TOPICS = {DIGEST_TOPIC: "SCO and Azerbaijan"}


@pytest.fixture
def store(db_url: str) -> Any:
    s = open_store(db_url)
    yield s
    s.close()


def test_middle_week_holds_exactly_its_tagged_articles(store: Any) -> None:
    ids = seed_digest_weeks(store)
    with store.read() as s:
        data = select_week(s, parse_week("2025-W36", BAKU), TOPICS, ["trend", "azernews", "newsaz"])
    (topic,) = data.topics
    assert {a.article_id for a in topic.articles} == {ids[k] for k in DIGEST_W36}
    # best score first; dates shown in the digest time zone
    assert [a.article_id for a in topic.articles] == [ids[k] for k in ("A", "F", "B", "C", "E")]
    by_id = {a.article_id: a for a in topic.articles}
    assert by_id[ids["A"]].when.isoformat() == "2025-09-07T23:59:00+04:00"
    assert by_id[ids["F"]].when.isoformat() == "2025-09-07T23:30:00+04:00"
    assert by_id[ids["E"]].when.isoformat() == "2025-09-03T16:00:00+04:00"  # no date: fetched time
    # stored without words (as before migration 0005): the rule terms stand in
    assert by_id[ids["A"]].words == {"SCO": 3, "Azerbaijan": 2} and len(by_id[ids["A"]].snippets) == 1
    assert topic.count == 5 and topic.previous_count == 3
    assert topic.per_source == {"trend": 2, "azernews": 2, "newsaz": 1}
    assert data.article_count == 5


def test_neighbouring_weeks_get_the_boundary_articles(store: Any) -> None:
    ids = seed_digest_weeks(store)
    with store.read() as s:
        before = select_week(s, parse_week("2025-W35", BAKU), TOPICS).topics[0]
        after = select_week(s, parse_week("2025-W37", BAKU), TOPICS).topics[0]
    assert {a.article_id for a in before.articles} == {ids["P1"], ids["P2"], ids["P3"]}
    assert {a.article_id for a in after.articles} == {ids["G"], ids["H"]}
    assert after.previous_count == 5


def test_history_counts_the_last_eight_weeks_per_source(store: Any) -> None:
    seed_digest_weeks(store)
    with store.read() as s:
        topic = select_week(s, parse_week("2025-W37", BAKU), TOPICS, ["trend", "azernews", "newsaz", "apa"]).topics[0]
    assert [w.label for w, _ in topic.history] == [f"2025-W{n}" for n in range(30, 38)]
    assert topic.history[-3][1] == {"trend": 2, "azernews": 1, "newsaz": 0, "apa": 0}   # W35
    assert topic.history[-2][1] == {"trend": 2, "azernews": 2, "newsaz": 1, "apa": 0}   # W36
    assert topic.history[-1][1] == {"trend": 2, "azernews": 0, "newsaz": 0, "apa": 0}   # W37
    assert all(sum(c.values()) == 0 for _, c in topic.history[:5])


def test_failed_and_silent_sources_are_listed(store: Any) -> None:
    seed_digest_weeks(store)
    with store.write() as s:
        trend = s.query(Source).filter_by(name="trend").one()
        for day, errors in ((2, "feed https://trend.example/rss: HTTP 503"), (4, "timed out after 20 s"),
                            (9, "next week's error")):
            run = Run(command="run", started_at=datetime(2025, 9, day, 8, tzinfo=UTC), status="partial")
            s.add(run)
            s.flush()
            s.add(RunSource(run_id=run.id, source_id=trend.id, new=1, updated=0, unchanged=0, failed=1,
                            errors=errors))
    with store.read() as s:
        data = select_week(s, parse_week("2025-W36", BAKU), TOPICS, ["trend", "azernews", "newsaz", "apa"])
    problems = {(p.source, p.kind): p.detail for p in data.problems}
    assert set(problems) == {("trend", "failed"), ("apa", "silent")}
    assert problems[("trend", "failed")] == "errors in 2 runs, 2 items failed; last: timed out after 20 s"


def test_a_week_without_articles_is_empty_not_an_error(store: Any) -> None:
    seed_digest_weeks(store)
    with store.read() as s:
        data = select_week(s, parse_week("2025-W30", BAKU), TOPICS, ["trend"])
    assert data.article_count == 0 and data.topics[0].articles == []
    assert [(p.source, p.kind) for p in data.problems] == [("trend", "silent")]


def test_words_found_are_read_back_and_old_rows_fall_back_on_terms_without_rule_syntax(store: Any) -> None:
    with store.write() as s:
        sid = source_ids(s, ["newsaz"])["newsaz"]
        for n, topic in enumerate((
                TopicRecord(DIGEST_TOPIC, 9.0, {"Azerbaijan*": 3, "SCO": 2}, ["…"],
                            words={"Azerbaijani": 2, "Azerbaijan": 1, "SCO": 2}),
                TopicRecord(DIGEST_TOPIC, 8.0, {"Azerbaijan*": 3, "Шанхайск* организаци*": 1, r"re:\bSCO\+": 1,
                                                "Azerbaijan": 1}, ["…"]))):
            store_article(s, NewArticle(
                source_id=sid, url=f"https://news.az/{n}", title=f"SCO {n}", author="",
                published=datetime(2025, 9, 2, 10, n, tzinfo=UTC), fetched=datetime(2025, 9, 2, 11, tzinfo=UTC),
                text="…", summary="", language="en", extraction="article", topics=(topic,)), None,
                datetime(2025, 9, 2, 11, tzinfo=UTC))
    with store.read() as s:
        data = select_week(s, parse_week("2025-W36", BAKU), TOPICS, {"newsaz": "News.Az"},
                           descriptions={DIGEST_TOPIC: "The Shanghai Cooperation Organisation with Azerbaijan"})
    new, old = data.topics[0].articles
    assert new.words == {"Azerbaijani": 2, "Azerbaijan": 1, "SCO": 2}
    assert old.words == {"Azerbaijan": 4, "Шанхайск организаци": 1}
    assert (data.topics[0].title, data.topics[0].description) == (
        "SCO and Azerbaijan", "The Shanghai Cooperation Organisation with Azerbaijan")
    assert data.source_title("newsaz") == "News.Az" and data.source_title("gone") == "gone"
