"""Article extraction: HTML in, text and metadata out.

`extract_article` is pure and runs in worker processes (pipeline.worker): trafilatura is CPU-bound, and a
pathological page can make it run for minutes, which only a process can be stopped from doing.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from newsmon.errors import ExtractionError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Extracted:
    title: str = ""
    author: str = ""
    text: str = ""
    published: datetime | None = None      # page metadata with time and offset
    published_day: datetime | None = None  # a date without a time (trafilatura's guess), midnight in the site's zone
    language: str | None = None
    canonical: str | None = None           # rel=canonical or og:url, absolute, not yet checked


def decode_html(content: bytes, content_type: str = "") -> str:
    """Text of an HTML page in its declared charset (header, then <meta>, else UTF-8).

    Undecodable bytes are an error rather than replaced: a page that is not what it says it is gets
    logged and refused, not stored with mojibake.
    """
    charset = None
    declared = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    if declared:
        charset = declared.group(1)
    else:
        meta = re.search(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", content[:4096], re.IGNORECASE)
        if meta:
            charset = meta.group(1).decode("ascii", "replace")
    charset = (charset or "utf-8").lower()
    if content.startswith(b"\xef\xbb\xbf"):
        charset, content = "utf-8", content[3:]
    try:
        return content.decode(charset)
    except LookupError:
        raise ExtractionError(f"unknown charset {charset!r}") from None
    except UnicodeDecodeError as e:
        raise ExtractionError(f"invalid {charset} at byte {e.start}") from None


def extract_article(html: str, url: str, timezone: str = "UTC") -> Extracted:
    """Text and metadata of one article page. Never raises for odd HTML: an empty result says 'nothing'."""
    import lxml.etree  # imported in the worker, so the CLI starts fast
    import lxml.html
    import trafilatura

    tz = ZoneInfo(timezone)
    try:
        tree = lxml.html.document_fromstring(html, base_url=url)
    except (lxml.etree.ParserError, ValueError):
        return Extracted()
    meta = _page_metadata(tree, url, tz)
    # trafilatura's own metadata (htmldate, categories, authors on a copy of the page...) costs half as much
    # as the extraction: asked only for a title or date that the page's head, JSON-LD and byline did not give
    needed = not (meta["title"] and meta["published"])
    doc = trafilatura.bare_extraction(tree, url=url, with_metadata=needed, include_comments=False,
                                      include_tables=False, as_dict=False)
    if doc is None or isinstance(doc, dict):  # (a dict only with as_dict=True)
        return Extracted(**meta)
    day = None
    if doc.date:
        try:
            day = datetime.fromisoformat(doc.date).replace(tzinfo=tz)
        except ValueError:
            day = None
    title = meta.pop("title") or (doc.title or "")
    author = meta.pop("author") or (doc.author or "")
    return Extracted(title=title.strip(), author=author.strip(), text=(doc.text or "").strip(),
                     published_day=day, **meta)


_META_DATES = (
    ("property", "article:published_time"), ("property", "og:published_time"),
    ("itemprop", "datePublished"), ("name", "article:published_time"), ("name", "pubdate"),
    ("name", "publishdate"), ("name", "date"), ("name", "DC.date.issued"), ("name", "dcterms.created"),
)
# AzerNews prints the date as text: "21 July 2025 14:35 (UTC+04:00)"
_TEXT_DATE = re.compile(r"(\d{1,2})\s+([A-Z][a-z]+)\s+(\d{4}),?\s+(\d{1,2}):(\d{2})\s*\(\s*(?:UTC|GMT)\s*"
                        r"([+-])(\d{1,2}):?(\d{2})\s*\)")
_MONTHS = {m: i for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                                       "september", "october", "november", "december"], start=1)}


def _page_metadata(tree: Any, url: str, tz: ZoneInfo) -> dict[str, Any]:
    """What the page says about itself in its <head>, JSON-LD and byline: title, author, date, language,
    canonical."""
    ld = list(_json_ld_articles(tree))
    title = _meta(tree, "property", "og:title")
    author = _meta(tree, "name", "author")
    for obj in ld:
        title = title or _ld_string(obj.get("headline"))
        author = author or _ld_author(obj.get("author"))
    return {"title": title, "author": author or _byline(tree), "published": _published(tree, ld, tz),
            "language": _language(tree), "canonical": _canonical(tree)}


# An element that says it holds the author (AzerNews: <div class="article-author-line">By ...</div>), outside
# the page's comments, navigation and footers, whose "authors" are readers and links
_BYLINE = ("//*[self::a or self::address or self::div or self::p or self::span or self::strong][@rel='author'"
           " or contains(@itemprop, 'author') or contains(@class, 'author') or contains(@class, 'byline')]"
           "[not(ancestor::*[self::footer or self::nav or self::aside or contains(@class, 'comment')"
           " or contains(@id, 'comment')])]")
_BY = re.compile(r"^(?:by|author:?|written by)\s+", re.IGNORECASE)


def _byline(tree: Any) -> str:
    """The first byline's name: short, in words, without its "By"."""
    for node in tree.xpath(_BYLINE):
        name = _BY.sub("", " ".join(node.text_content().split()))
        if 2 < len(name) <= 100 and any(c.isalpha() for c in name):
            return name
    return ""


def _meta(tree: Any, attr: str, value: str) -> str:
    for node in tree.iterfind(f".//meta[@{attr}]"):
        if (node.get(attr) or "").lower() == value.lower() and node.get("content"):
            return str(node.get("content")).strip()
    return ""


def _published(tree: Any, ld: list[dict[str, Any]], tz: ZoneInfo) -> datetime | None:
    """The first date with a time the page gives: meta tags, JSON-LD, <time>, then a date written as text."""
    from newsmon.pipeline.discover import parse_date  # (feedparser comes with it: not needed before a page)

    for attr, value in _META_DATES:
        raw = _meta(tree, attr, value)
        if raw and ("T" in raw or ":" in raw) and (published := parse_date(raw, tz)):
            return published
    for obj in ld:
        given = obj.get("datePublished")
        if isinstance(given, str) and (published := parse_date(given, tz)):
            return published
    for node in tree.iterfind(".//time[@datetime]"):
        if node.get("itemprop") == "datePublished" or node.get("pubdate") is not None:
            return parse_date(node.get("datetime") or "", tz) or _text_date(tree)
    return _text_date(tree)


def _language(tree: Any) -> str | None:
    language = (tree.get("lang") or _meta(tree, "http-equiv", "content-language")
                or _meta(tree, "property", "og:locale"))
    return re.split(r"[-_]", language.strip())[0].lower() if language else None


def _canonical(tree: Any) -> str | None:
    for node in tree.iterfind(".//link[@rel]"):
        if "canonical" in (node.get("rel") or "").lower().split() and node.get("href"):
            return str(node.get("href")).strip()
    return _meta(tree, "property", "og:url") or None


def _json_ld_articles(tree: Any) -> Any:
    for node in tree.iterfind(".//script[@type]"):
        if (node.get("type") or "").lower() != "application/ld+json" or not node.text:
            continue
        try:
            data = json.loads(node.text)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                if "@graph" in item:
                    stack.append(item["@graph"])
                kind = item.get("@type")
                kinds = kind if isinstance(kind, list) else [kind]
                if any(isinstance(k, str) and k.endswith("Article") for k in kinds):
                    yield item


def _ld_string(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _ld_author(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(filter(None, (_ld_author(v) for v in value)))
    if isinstance(value, dict):
        return _ld_string(value.get("name"))
    return _ld_string(value)


def _text_date(tree: Any) -> datetime | None:
    from datetime import timedelta, timezone

    body = tree.find(".//body")
    text = " ".join((body if body is not None else tree).itertext())
    m = _TEXT_DATE.search(text)
    if not m or m.group(2).lower() not in _MONTHS:
        return None
    day, month, year = int(m.group(1)), _MONTHS[m.group(2).lower()], int(m.group(3))
    sign = 1 if m.group(6) == "+" else -1
    offset = timezone(sign * timedelta(hours=int(m.group(7)), minutes=int(m.group(8))))
    try:
        return datetime(year, month, day, int(m.group(4)), int(m.group(5)), tzinfo=offset)
    except ValueError:
        return None
