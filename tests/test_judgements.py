"""Relevance judgements (storage.judgements): the latest verdict counts, precision per topic, and an article
judged not relevant stays out of the topic's digests, instant alerts and feed — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select, update

from newsmon.digests.select import select_week
from newsmon.digests.week import parse_week
from newsmon.storage import archive, digests
from newsmon.storage.articles import TopicRecord, export_records, replace_topics
from newsmon.storage.engine import open_store
from newsmon.storage.judgements import (
    VERDICTS,
    JudgementRow,
    TopicPrecision,
    article_exists,
    judge,
    judged_not_relevant,
    latest_judgements,
    topic_precision,
)
from newsmon.storage.models import Article, Judgement
from tests.conftest import DIGEST_TOPIC, DIGEST_W36, seed_digest_weeks

BAKU = ZoneInfo("Asia/Baku")
T0 = datetime(2025, 9, 20, 10, 0, tzinfo=UTC)
W36 = (datetime(2025, 9, 1, tzinfo=BAKU), datetime(2025, 9, 8, tzinfo=BAKU))


@pytest.fixture
def store(db_url: str) -> Any:
    s = open_store(db_url)
    yield s
    s.close()


@pytest.fixture
def ids(store: Any) -> dict[str, int]:
    return seed_digest_weeks(store)


def verdicts(store: Any, *judgements: tuple[int, str, datetime], topic: str = DIGEST_TOPIC) -> None:
    with store.write() as s:
        for n, (article_id, verdict, when) in enumerate(judgements):
            judge(s, article_id=article_id, topic=topic, verdict=verdict, note=f"note {n}", who="editor", now=when)


def week_ids(store: Any) -> set[int]:
    with store.read() as s:
        data = select_week(s, parse_week("2025-W36", BAKU), {DIGEST_TOPIC: "SCO"})
    return {a.article_id for a in data.topics[0].articles}


def test_a_verdict_must_be_one_of_the_two(store: Any, ids: dict[str, int]) -> None:
    assert VERDICTS == ("relevant", "not_relevant")
    with store.write() as s, pytest.raises(ValueError, match="verdict 'maybe'"):
        judge(s, article_id=ids["A"], topic=DIGEST_TOPIC, verdict="maybe", note="", who="editor", now=T0)
    with store.write() as s, pytest.raises(ValueError, match="who"):
        judge(s, article_id=ids["A"], topic=DIGEST_TOPIC, verdict="relevant", note="", who="x" * 101, now=T0)
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Judgement)) == 0


def test_article_exists_tells_stored_from_unknown_ids(store: Any, ids: dict[str, int]) -> None:
    with store.read() as s:
        assert article_exists(s, ids["A"]) and not article_exists(s, max(ids.values()) + 1)


def test_the_latest_judgement_counts_and_the_history_is_kept(store: Any, ids: dict[str, int]) -> None:
    a, b = ids["A"], ids["B"]
    verdicts(store, (a, "not_relevant", T0 + timedelta(hours=1)), (a, "relevant", T0),   # judged_at decides
             (b, "relevant", T0), (b, "not_relevant", T0))                             # same instant: the later row
    verdicts(store, (a, "relevant", T0), topic="energy")
    with store.read() as s:
        latest = latest_judgements(s, [a, b, ids["C"]])
        assert s.scalar(select(func.count()).select_from(Judgement)) == 5
    assert latest[a][DIGEST_TOPIC] == JudgementRow(a, DIGEST_TOPIC, "not_relevant", "note 0", "editor",
                                                   T0 + timedelta(hours=1))
    assert latest[a]["energy"].verdict == "relevant"
    assert latest[b][DIGEST_TOPIC].verdict == "not_relevant" and latest[b][DIGEST_TOPIC].note == "note 3"
    assert ids["C"] not in latest


def test_precision_counts_the_judged_articles_that_carry_the_topic(store: Any, ids: dict[str, int]) -> None:
    with store.read() as s:
        assert topic_precision(s, DIGEST_TOPIC) == TopicPrecision(0, 0, None)
    verdicts(store, (ids["A"], "relevant", T0), (ids["B"], "not_relevant", T0),
             (ids["C"], "not_relevant", T0), (ids["C"], "relevant", T0 + timedelta(minutes=1)),
             (ids["F"], "relevant", T0), (ids["F"], "not_relevant", T0 + timedelta(minutes=1)),
             (ids["D"], "relevant", T0))                                # D is not tagged: not counted
    verdicts(store, (ids["B"], "relevant", T0 + timedelta(days=1)), topic="energy")
    with store.read() as s:
        assert topic_precision(s, DIGEST_TOPIC) == TopicPrecision(relevant=2, not_relevant=2, precision=0.5)
        assert topic_precision(s, "energy") == TopicPrecision(0, 0, None)   # B does not carry it


def test_the_not_relevant_list_is_newest_judgement_first_with_why_it_was_tagged(store: Any,
                                                                                 ids: dict[str, int]) -> None:
    verdicts(store, (ids["A"], "not_relevant", T0), (ids["B"], "not_relevant", T0 + timedelta(hours=2)),
             (ids["C"], "not_relevant", T0), (ids["C"], "relevant", T0 + timedelta(hours=3)),
             (ids["D"], "not_relevant", T0 + timedelta(hours=1)))        # D is not tagged with the topic
    with store.read() as s:
        listed = judged_not_relevant(s, DIGEST_TOPIC)
        assert [j.article_id for j in judged_not_relevant(s, DIGEST_TOPIC, limit=1)] == [ids["B"]]
    assert [j.article_id for j in listed] == [ids["B"], ids["D"], ids["A"]]
    b, d = listed[0], listed[1]
    assert (b.source, b.url, b.verdict, b.who, b.when) == ("azernews", "https://azernews.example/b.html",
                                                           "not_relevant", "editor", T0 + timedelta(hours=2))
    assert b.terms == {"SCO": 3, "Azerbaijan": 2} and b.words == {} and b.note == "note 1"
    assert d.title == "Weather in Baku" and d.terms == {} and d.words == {}


def test_the_digest_leaves_out_an_article_judged_not_relevant_until_judged_relevant_again(
        store: Any, ids: dict[str, int]) -> None:
    everything = {ids[k] for k in DIGEST_W36}
    assert week_ids(store) == everything
    verdicts(store, (ids["A"], "not_relevant", T0))
    verdicts(store, (ids["B"], "not_relevant", T0), topic="energy")    # another topic's verdict: no effect
    assert week_ids(store) == everything - {ids["A"]}
    with store.read() as s:
        assert sum(c[0] for c in digests.tagged_counts(s, DIGEST_TOPIC, [W36]).values()) == 4
        assert archive.tagged_per_period(s, DIGEST_TOPIC, [W36, (W36[1], W36[1] + timedelta(days=7))]) == [4, 2]
    verdicts(store, (ids["A"], "relevant", T0 + timedelta(minutes=5)))
    assert week_ids(store) == everything
    with store.read() as s:
        assert archive.tagged_per_period(s, DIGEST_TOPIC, [W36]) == [5]
        assert archive.tagged_per_period(s, DIGEST_TOPIC, []) == []


def test_instant_alerts_skip_an_article_for_the_topic_it_was_judged_not_relevant_to(
        store: Any, ids: dict[str, int]) -> None:
    with store.write() as s:
        replace_topics(s, ids["A"], [TopicRecord(DIGEST_TOPIC, 9.0, {"SCO": 1}, ["..."]),
                                     TopicRecord("energy", 9.0, {"gas": 1}, ["..."])])
    verdicts(store, (ids["A"], "not_relevant", T0), (ids["F"], "not_relevant", T0))
    with store.read() as s:
        rows = {r.article_id: r for r in digests.instant_candidates(
            s, "alerts", [DIGEST_TOPIC, "energy"], min_score=8.0, since=W36[0])}
    assert set(rows) == {ids["A"], ids["G"], ids["H"]}
    assert rows[ids["A"]].topics == {"energy": 9.0}


def test_the_feed_lists_the_newest_tagged_articles_but_those_judged_not_relevant(store: Any,
                                                                                ids: dict[str, int]) -> None:
    verdicts(store, (ids["H"], "not_relevant", T0))
    with store.read() as s:
        feed = archive.newest_tagged(s, DIGEST_TOPIC, 3)
    assert [e.article_id for e in feed] == [ids["G"], ids["A"], ids["F"]]
    assert feed[0].source == "trend" and feed[0].score == 8.0 and feed[0].instant == datetime(2025, 9, 7, 20, 0,
                                                                                               tzinfo=UTC)
    assert 0 < len(feed[0].summary) <= archive.SUMMARY_CHARS


def test_an_article_in_full_carries_its_topics_and_latest_judgements(store: Any, ids: dict[str, int]) -> None:
    verdicts(store, (ids["A"], "relevant", T0), (ids["A"], "not_relevant", T0 + timedelta(hours=1)))
    with store.read() as s:
        detail = archive.article_detail(s, ids["A"])
        plain = archive.article_detail(s, ids["D"])
        assert archive.article_detail(s, max(ids.values()) + 1) is None
    assert detail is not None and plain is not None
    assert detail.source == "trend" and detail.url == "https://trend.example/a.html"
    assert detail.published is not None and detail.published.isoformat() == "2025-09-07T23:59:00+04:00"
    assert [t.topic for t in detail.topics] == [DIGEST_TOPIC] and detail.text and detail.extraction == "article"
    assert detail.judgements[DIGEST_TOPIC].verdict == "not_relevant"
    assert plain.topics == [] and plain.judgements == {}


def test_export_records_carry_the_latest_judgement_per_topic(store: Any, ids: dict[str, int]) -> None:
    verdicts(store, (ids["A"], "relevant", T0), (ids["A"], "not_relevant", T0 + timedelta(hours=1)))
    verdicts(store, (ids["A"], "relevant", T0), topic="energy")
    with store.read() as s:
        records = {r["id"]: r for r in export_records(s)}
    assert records[ids["A"]]["judgements"] == {"energy": "relevant", DIGEST_TOPIC: "not_relevant"}   # the contract
    assert records[ids["B"]]["judgements"] == {}


def test_the_archive_begins_with_the_oldest_instant(store: Any) -> None:
    with store.read() as s:
        assert archive.first_instant(s) is None
    ids = seed_digest_weeks(store)
    with store.read() as s:
        assert archive.first_instant(s) == datetime(2025, 8, 26, 5, 0, tzinfo=UTC)      # P1, published
        assert archive.first_instant(s) == s.scalar(select(func.min(Article.instant)))
    with store.write() as s:    # an undated article fetched before any published time
        s.execute(update(Article).where(Article.id == ids["E"]).values(fetched_at=datetime(2025, 8, 1, tzinfo=UTC)))
    with store.read() as s:
        assert archive.first_instant(s) == datetime(2025, 8, 1, tzinfo=UTC)


def test_deleting_an_article_deletes_its_judgements(store: Any, ids: dict[str, int]) -> None:
    verdicts(store, (ids["A"], "relevant", T0), (ids["B"], "relevant", T0))
    with store.write() as s:
        s.execute(delete(Article).where(Article.id == ids["A"]))
    with store.read() as s:
        assert set(s.scalars(select(Judgement.article_id))) == {ids["B"]}
