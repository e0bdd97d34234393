"""A sample week for demos and the README screenshot: the bundled sample articles (ISO week 2026-W47,
16–22 Nov 2026, Baku time) stored with SCO tags, a reprint by a second outlet, and a few earlier weeks for
the chart.

The tags come from a small fixed term list here, not from the configured classifier rules, so the sample
looks the same whatever config.toml says.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from newsmon.demo.articles import load_sample_articles
from newsmon.storage.articles import NewArticle, TopicRecord, store_article
from newsmon.storage.engine import Store
from newsmon.storage.runs import source_ids

SAMPLE_WEEK = "2026-W47"
TOPIC = "sco_azerbaijan"
_TERMS = {
    "SCO": re.compile(r"\bSCO\b"),
    "Shanghai Cooperation Organization": re.compile(r"Shanghai Cooperation Organi[sz]ation"),
    "Azerbaijan": re.compile(r"\bAzerbaijan\b"),
    "dialogue partner": re.compile(r"\bdialogue partner\b", re.IGNORECASE),
    "observer status": re.compile(r"\bobserver status\b", re.IGNORECASE),
}
_URL = {"trend": "https://en.trend.az/{section}/{id}.html", "azernews": "https://www.azernews.az/{section}/{id}.html",
        "newsaz": "https://news.az/news/{slug}"}


def sample_topics(title: str, text: str) -> tuple[TopicRecord, ...]:
    """SCO–Azerbaijan tags of a sample article: matched terms, a score, up to three snippets."""
    body = f"{title}\n{text}"
    terms = {name: len(rx.findall(body)) for name, rx in _TERMS.items()}
    terms = {k: v for k, v in terms.items() if v}
    if not (terms.get("SCO") or terms.get("Shanghai Cooperation Organization")) or "Azerbaijan" not in terms:
        return ()
    sentences = re.split(r"(?<=[.!?])\s+", text)
    snippets = [s for s in sentences if _TERMS["SCO"].search(s) or _TERMS["Shanghai Cooperation Organization"]
                .search(s)][:3]
    score = round(sum(min(n, 5) for n in terms.values()) + (2.0 if "SCO" in title else 0.0), 1)
    return (TopicRecord(topic=TOPIC, score=score, terms=terms, snippets=snippets),)


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
        reprint_text = "Baku / News.Az — " + text.replace("the sides", "both sides")
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
