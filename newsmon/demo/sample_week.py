"""A sample week for demos and the README screenshot: the bundled sample articles (ISO week 2026-W47,
16–22 Nov 2026, Baku time) stored with SCO tags, a reprint by a second outlet, and a few earlier weeks for
the chart.

The tags come from the shipped topic rules (the config.toml packaged with newsmon), not from the user's
config.toml, so the sample looks the same whatever that says, and shows what the real classifier finds:
the words as they stand in the text ("Azerbaijani"), its snippets and its scores.
"""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from newsmon.classifiers import Classifier, compile_topics
from newsmon.demo.articles import load_sample_articles
from newsmon.pipeline.classify import topic_records
from newsmon.storage.articles import NewArticle, TopicRecord, store_article
from newsmon.storage.engine import Store
from newsmon.storage.runs import source_ids

SAMPLE_WEEK = "2026-W47"
TOPIC = "sco_azerbaijan"
_URL = {"trend": "https://en.trend.az/{section}/{id}.html", "azernews": "https://www.azernews.az/{section}/{id}.html",
        "newsaz": "https://news.az/news/{slug}"}


@cache
def _shipped_rules() -> Classifier:
    text = resources.files("newsmon").joinpath("config.toml").read_text(encoding="utf-8")
    return compile_topics(tomllib.loads(text)["topics"])


def sample_topics(title: str, text: str) -> tuple[TopicRecord, ...]:
    """The SCO–Azerbaijan tag of a sample article under the shipped rules, if it gets one."""
    return tuple(t for t in topic_records(_shipped_rules(), title, text) if t.topic == TOPIC)


def _url(rec: dict[str, Any]) -> str:
    return _URL[rec["site"]].format(section=rec.get("section", "news"), id=rec.get("id", 0), slug=rec.get("slug", ""))


def seed_sample(store: Store, now: datetime) -> None:
    """Store the sample week, a reprint, and SCO articles in the five weeks before it."""
    records = load_sample_articles()
    with store.write() as s:
        ids = source_ids(s, ["trend", "azernews", "newsaz"])
        for rec in records:
            text = "\n\n".join(rec["paragraphs"])
            published = datetime.fromisoformat(rec["published"])
            store_article(s, NewArticle(
                source_id=ids[rec["site"]], url=_url(rec), title=rec["title"], author=rec.get("author", ""),
                published=published, fetched=published + timedelta(minutes=20), text=text,
                summary=rec.get("summary", ""), language="en", extraction="article",
                topics=sample_topics(rec["title"], text)), None, now)
        sco = [r for r in records if r.get("sco")]
        original = sco[1] if len(sco) > 1 else sco[0]
        text = "\n\n".join(original["paragraphs"])
        reprint_text = "News.Az — " + text.replace("the sides", "both sides")
        published = datetime.fromisoformat(original["published"]) + timedelta(hours=3)
        store_article(s, NewArticle(
            source_id=ids["newsaz"], url="https://news.az/news/azerbaijan-and-sco-discuss-expanding-cooperation",
            title="Azerbaijan and SCO discuss expanding cooperation", author="News.Az", published=published,
            fetched=published, text=reprint_text, summary="", language="en", extraction="article",
            topics=sample_topics(original["title"], reprint_text)), None, now)
        for weeks_back, per_week in ((1, 3), (2, 5), (3, 2), (4, 4), (5, 1)):
            for i, rec in enumerate((sco * 3)[:per_week]):
                body = "\n\n".join(rec["paragraphs"])
                published = datetime.fromisoformat(rec["published"]) - timedelta(weeks=weeks_back)
                site = ("trend", "azernews", "newsaz")[(i + weeks_back) % 3]
                store_article(s, NewArticle(
                    source_id=ids[site], url=f"{_url(rec)}?sample-week=-{weeks_back}&n={i}", title=rec["title"],
                    author="", published=published, fetched=published, text=body, summary="", language="en",
                    extraction="article", topics=sample_topics(rec["title"], body)), None, now)
