"""Discovery: turn a fetched feed, listing page or sitemap into article candidates.

Pure functions over bytes already fetched (feedparser never fetches anything itself), so each shape can
be tested from a string. Documents that declare entities are refused before any parser sees them: an
entity "billion laughs" expands quadratically in memory however small the file. feedparser and lxml (~30 ms
of imports) are imported by the functions that parse, so that a run whose feeds all answer 304 needs neither.
"""

from __future__ import annotations

import calendar
import contextlib
import email.utils
import logging
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from newsmon.errors import ParseError
from newsmon.pipeline.urls import absolute, canonicalize

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Candidate:
    """An article link found by discovery, with what the discovery page said about it."""

    url: str                       # canonical form, the dedupe key
    link: str                      # absolute link as found
    found_by: str                  # the discovery URL
    title: str = ""
    summary: str = ""
    published: datetime | None = None   # aware, in the offset the site gave


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    lastmod: datetime | None = None
    published: datetime | None = None   # news:publication_date
    title: str = ""


@dataclass(frozen=True)
class Sitemap:
    is_index: bool
    entries: tuple[SitemapEntry, ...]   # for an index: the child sitemaps


_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)


def refuse_entities(content: bytes, url: str) -> None:
    """Raise ParseError if the document declares entities (also in UTF-16, where NULs sit between)."""
    head = content if b"\x00" not in content[:4] else content.replace(b"\x00", b"")
    if _ENTITY.search(head):
        raise ParseError(f"{url}: document declares XML entities; refused (entity expansion attack?)")


def looks_like_html(content: bytes) -> bool:
    head = content[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:300]


def parse_feed(content: bytes, url: str, headers: dict[str, str], tz: tzinfo = UTC) -> list[Candidate]:
    """Entries of an RSS/Atom feed. A malformed feed that still has entries yields them (logged)."""
    import feedparser

    refuse_entities(content, url)
    response_headers = {"content-location": url, "content-type": headers.get("content-type", "application/xml")}
    parsed = feedparser.parse(content, response_headers=response_headers, resolve_relative_uris=True,
                              sanitize_html=True)
    entries = parsed.get("entries", [])
    if not entries:
        if looks_like_html(content):
            raise ParseError(f"{url}: answered an HTML page, not a feed")
        if parsed.get("bozo"):
            raise ParseError(f"{url}: not a feed: {parsed.get('bozo_exception')}")
        if not parsed.get("version") and not parsed.get("feed"):
            raise ParseError(f"{url}: not an RSS or Atom feed")
        return []
    if parsed.get("bozo"):
        log.warning("%s: malformed feed, using the %d entries that could be read (%s)", url, len(entries),
                    parsed.get("bozo_exception"))
    items: list[Candidate] = []
    for i, entry in enumerate(entries):
        link = _entry_link(entry)
        title = _text(entry.get("title", ""))
        if not link:
            log.warning("%s: entry %d (%r) has no link; skipped", url, i + 1, title[:80])
            continue
        link = absolute(url, link)
        items.append(Candidate(url=canonicalize(link), link=link, found_by=url, title=title,
                               summary=_text(entry.get("summary", "")), published=_entry_date(entry, tz)))
    return items


def _entry_link(entry: Any) -> str:
    link = entry.get("link") or ""
    if not link:
        for candidate in entry.get("links", []):
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                return str(candidate["href"])
        guid = entry.get("id") or ""
        if entry.get("guidislink") and guid.startswith(("http://", "https://")):
            return str(guid)
    return str(link)


def _entry_date(entry: Any, tz: tzinfo) -> datetime | None:
    """The entry's date with the site's own offset (feedparser's *_parsed fields are UTC and lose it)."""
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if raw:
            parsed = parse_date(raw, tz)
            if parsed is not None:
                return parsed
    for key in ("published_parsed", "updated_parsed"):
        st = entry.get(key)
        if st:
            return datetime.fromtimestamp(calendar.timegm(st), UTC)  # feedparser's struct_time is UTC
    return None


def parse_date(raw: str, tz: tzinfo = UTC) -> datetime | None:
    """RFC 822 or ISO 8601, keeping the offset given; a date without one is taken in `tz`."""
    raw = raw.strip()
    if not raw:
        return None
    when: datetime | None = None
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        try:
            when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when


def _text(html_or_text: str) -> str:
    if "<" not in html_or_text and "&" not in html_or_text:
        return " ".join(html_or_text.split())
    import lxml.etree
    import lxml.html

    try:
        doc = lxml.html.fromstring(f"<div>{html_or_text}</div>")
    except (lxml.etree.ParserError, ValueError):
        return " ".join(html_or_text.split())
    return " ".join(doc.text_content().split())


def parse_listing(content: bytes, url: str, headers: dict[str, str], pattern: re.Pattern[str] | None
                  ) -> list[Candidate]:
    """Article links of an HTML listing page: every link whose absolute URL matches `pattern`."""
    doc = html_document(content, url, headers)
    if doc is None:
        raise ParseError(f"{url}: not an HTML page")
    found: dict[str, Candidate] = {}
    for a in doc.iter("a"):
        href = a.get("href")
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        link = absolute(url, href)
        if pattern is not None and not pattern.search(link):
            continue
        canonical = canonicalize(link)
        title = " ".join(a.text_content().split())
        if canonical not in found or (title and not found[canonical].title):
            found[canonical] = Candidate(url=canonical, link=link, found_by=url, title=title)
    return list(found.values())


def html_document(content: bytes, url: str, headers: dict[str, str]) -> Any:
    """lxml tree of an HTML page, links made absolute (honouring <base href>), or None if empty."""
    import lxml.etree
    import lxml.html

    charset = _charset(headers)
    parser = lxml.html.HTMLParser(encoding=charset) if charset else None
    try:
        doc = lxml.html.document_fromstring(content, parser=parser, base_url=url)
    except (lxml.etree.ParserError, ValueError, LookupError):
        return None
    with contextlib.suppress(ValueError):
        doc.make_links_absolute(url, resolve_base_href=True, handle_failures="discard")
    return doc


def _charset(headers: dict[str, str]) -> str | None:
    m = re.search(r"charset=[\"']?([\w.:-]+)", headers.get("content-type", ""), re.IGNORECASE)
    return m.group(1).lower() if m else None


_SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


def parse_sitemap(content: bytes, url: str, max_bytes: int, tz: tzinfo = UTC) -> Sitemap:
    """A sitemap index or urlset, plain or gzip, including Google News sitemaps."""
    if content[:2] == b"\x1f\x8b":
        content = gunzip_limited(content, max_bytes, url)
    refuse_entities(content, url)
    import lxml.etree

    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                                  recover=False)
    try:
        root = lxml.etree.fromstring(content, parser=parser)
    except lxml.etree.XMLSyntaxError as e:
        raise ParseError(f"{url}: malformed sitemap: {e}") from None
    tag = lxml.etree.QName(root).localname
    if tag not in ("sitemapindex", "urlset"):
        raise ParseError(f"{url}: not a sitemap (root element <{tag}>)")
    entries = []
    for node in root:
        if not isinstance(node.tag, str):
            continue
        loc = _child_text(node, "loc")
        if not loc:
            continue
        published = None
        title = ""
        news = node.find(f"{_NEWS}news")
        if news is not None:
            published = parse_date(news.findtext(f"{_NEWS}publication_date") or "", tz)
            title = (news.findtext(f"{_NEWS}title") or "").strip()
        entries.append(SitemapEntry(url=absolute(url, loc), lastmod=parse_date(_child_text(node, "lastmod"), tz),
                                    published=published, title=title))
    return Sitemap(is_index=tag == "sitemapindex", entries=tuple(entries))


def _child_text(node: Any, name: str) -> str:
    for child in node:
        if isinstance(child.tag, str) and child.tag.rpartition("}")[2] == name:   # "{namespace}name" or "name"
            return (child.text or "").strip()
    return ""


def gunzip_limited(content: bytes, max_bytes: int, url: str) -> bytes:
    """Decompress gzip, refusing output larger than max_bytes without producing it."""
    z = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = z.decompress(content, max_bytes + 1)
    except zlib.error as e:
        raise ParseError(f"{url}: corrupt gzip: {e}") from None
    if len(out) > max_bytes:
        raise ParseError(f"{url}: gzip content is larger than max_bytes ({max_bytes:,})")
    return out
