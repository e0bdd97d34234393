"""The article records the demo sites serve, and the few facts about the sites that every page shares.

A record is a plain dict, the shape of an entry of the bundled ``articles.json``, so that tests can write one
inline: ``site``, ``title``, ``published`` (ISO 8601 with a UTC offset) and ``paragraphs`` are required;
``id`` (Trend, AzerNews), ``slug`` (News.Az), ``section``, ``author``, ``summary``, ``sco``, ``paywalled`` and
``padding_paragraphs`` are optional. Everything else in the package takes records through `normalize_record`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

__all__ = [
    "BAKU",
    "PAYWALL_TEXT",
    "SAMPLES_PATH",
    "SITES",
    "ServedArticle",
    "article_path",
    "boilerplate_headlines",
    "load_sample_articles",
    "normalize_record",
    "published_at",
    "served_article",
    "slugify",
]

BAKU = timezone(timedelta(hours=4))
SITES = ("trend", "azernews", "newsaz")
SAMPLES_PATH = Path(__file__).with_name("articles.json")
PAYWALL_TEXT = "Get access to all paid news on Trend — just $1"

_DEFAULT_SECTION = {"trend": "azerbaijan/politics", "azernews": "nation", "newsaz": "politics"}

# Headlines that appear only in page chrome (tickers, sidebars, "related" lists). None of them may leak
# into an extraction; a few deliberately mention the SCO so that a leak shows up as a false positive.
_CHROME_HEADLINES = {
    "trend": (
        "Central Bank of Azerbaijan keeps refinancing rate unchanged",
        "Baku Stock Exchange trading volume up 12 percent in October",
        "Kazakhstan raises wheat export quota for December",
        "Georgia and Azerbaijan discuss new border crossing point",
        "Uzbekistan commissions new solar plant in Samarkand region",
        "SCO defence ministers to meet in Bishkek in December",
        "Iran's non-oil exports to neighbours grow in seven months",
        "Turkmenistan opens tender for Caspian port dredging",
    ),
    "azernews": (
        "Baku to host international forum on digital government",
        "Azerbaijani wrestlers bring home four medals from Budapest",
        "Ganja hosts festival of national cuisine",
        "SCO Secretary-General praises Baku's humanitarian initiatives",
        "Winter tourism season opens at Shahdag resort",
        "Azerbaijani film wins award at Asian film festival",
        "Alat free economic zone signs agreements with three investors",
        "Ministry announces new metro line design competition",
        "Sheki khan's palace reopens after restoration",
        "Azerbaijan, Uzbekistan sign agreement on agricultural trade",
    ),
    "newsaz": (
        "Oil prices edge up on supply concerns",
        "Earthquake of magnitude 4.1 hits Caspian Sea",
        "SCO observer status on agenda, expert says",
        "Weather forecast: rain and wind expected in Baku",
        "Mobile operators to expand 5G coverage in regions",
        "Georgian parliament adopts budget for next year",
    ),
}


def load_sample_articles() -> list[dict[str, Any]]:
    """The bundled sample articles, a fresh copy on every call so that a caller may change its records."""
    records: list[dict[str, Any]] = json.loads(SAMPLES_PATH.read_text("utf-8"))
    return records


def boilerplate_headlines(site: str) -> tuple[str, ...]:
    """Headlines shown only in a site's page chrome (ticker, sidebar, related lists): a test asserts that
    none of them reaches an extraction, since they are never article text."""
    return _CHROME_HEADLINES[site]


def published_at(value: Any) -> datetime:
    """The publication time of a record; naive times are refused, as no real site's date is ambiguous."""
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if dt.tzinfo is None:
        raise ValueError(f"published has no UTC offset: {value!r}")
    return dt


def slugify(text: str) -> str:
    """A URL slug for a title, for records that come without one."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "article"


def article_path(record: dict[str, Any]) -> str:
    """The path of a normalized record's canonical page: each site has its own URL scheme."""
    site = record["site"]
    if site == "trend":
        return f"/trend/{record['section']}/{int(record['id'])}.html"
    if site == "azernews":
        return f"/azernews/{record['section']}/{int(record['id'])}.html"
    return f"/newsaz/news/{record['slug']}"


def normalize_record(record: dict[str, Any]) -> dict[str, Any]:
    """A checked copy of a record with the optional keys filled in, so that a test's mistake in a record
    fails here with a message rather than as a broken page."""
    rec = dict(record)
    site = rec.get("site")
    if site not in SITES:
        raise ValueError(f"site must be one of {SITES}, not {site!r}")
    for key in ("title", "published", "paragraphs"):
        if key not in rec:
            raise ValueError(f"article record lacks {key!r}")
    if site in ("trend", "azernews") and not isinstance(rec.get("id"), int):
        raise ValueError(f"a {site} record needs an int 'id'")
    rec.setdefault("section", _DEFAULT_SECTION[site])
    if not rec.get("slug"):
        if site == "newsaz":
            raise ValueError("a newsaz record needs a 'slug'")
        rec["slug"] = slugify(rec["title"])
    if not re.fullmatch(r"[a-z0-9-]+", rec["slug"]):
        raise ValueError(f"slug must match [a-z0-9-]+: {rec['slug']!r}")
    if site != "newsaz" and not re.fullmatch(r"[a-z-]+(/[a-z-]+)*", rec["section"]):
        raise ValueError(f"bad section {rec['section']!r}")
    rec.setdefault("author", "")
    rec.setdefault("summary", (rec["paragraphs"][0] if rec["paragraphs"] else "")[:200])
    rec.setdefault("sco", False)
    published_at(rec["published"])
    return rec


@dataclass
class ServedArticle:
    """A normalized record as a site serves it: parsed time and canonical path computed once, and ``key``
    to order a site's articles newest first (ties broken by id, then slug, so the order is stable)."""

    record: dict[str, Any]
    site: str
    dt: datetime
    path: str
    key: tuple[datetime, int, str]


def served_article(rec: dict[str, Any]) -> ServedArticle:
    """A normalized record ready to serve; the server keeps these rather than records so that sorting and
    routing never parse a date or build a path again."""
    dt = published_at(rec["published"])
    return ServedArticle(rec, rec["site"], dt, article_path(rec), (dt.astimezone(UTC), rec.get("id") or 0, rec["slug"]))
