"""Discovery from bytes: feeds, listing pages and sitemaps, including the hostile ones."""

from __future__ import annotations

import gzip
import re
from datetime import timedelta

import pytest

from newsmon.errors import ParseError
from newsmon.pipeline.discover import parse_feed, parse_listing, parse_sitemap
from newsmon.pipeline.urls import canonicalize

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Trend</title>
<item><title>SCO summit</title><link>/azerbaijan/politics/1.html?utm_source=rss#top</link>
<description>&lt;p&gt;Summary &lt;b&gt;one&lt;/b&gt;&lt;/p&gt;</description>
<pubDate>Thu, 04 Jul 2024 12:27:00 +0400</pubDate></item>
<item><title>No link here</title><description>x</description></item>
<item><title>Second</title><link>https://en.trend.az/business/2.html</link></item>
</channel></rss>"""


def test_feed_links_resolve_against_the_response_url_and_keep_the_site_offset() -> None:
    items = parse_feed(RSS, "https://en.trend.az/feeds/index.rss", {"content-type": "application/rss+xml"})
    assert [i.url for i in items] == ["https://en.trend.az/azerbaijan/politics/1.html",
                                      "https://en.trend.az/business/2.html"]
    first = items[0]
    assert first.summary == "Summary one"
    assert first.published.isoformat() == "2024-07-04T12:27:00+04:00"
    assert first.published.utcoffset() == timedelta(hours=4)


def test_feed_entry_without_link_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    parse_feed(RSS, "https://en.trend.az/feeds/index.rss", {})
    assert "has no link; skipped" in caplog.text and "No link here" in caplog.text


def test_feed_declaring_entities_is_refused_before_parsing() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            b"<rss><channel><item><title>&lol2;</title><link>http://x/1</link></item></channel></rss>")
    with pytest.raises(ParseError, match="declares XML entities"):
        parse_feed(bomb, "https://x/feed", {})
    with pytest.raises(ParseError, match="declares XML entities"):
        parse_feed(bomb.decode().encode("utf-16"), "https://x/feed", {})


def test_html_answer_is_not_a_feed() -> None:
    with pytest.raises(ParseError, match="HTML page, not a feed"):
        parse_feed(b"<!DOCTYPE html><html><body>News.Az</body></html>", "https://news.az/rss", {})


def test_garbage_is_not_a_feed() -> None:
    with pytest.raises(ParseError, match="not"):
        parse_feed(b"\x00\x01binary garbage \xff\xfe", "https://x/feed", {})


def test_malformed_feed_with_entries_still_yields_them(caplog: pytest.LogCaptureFixture) -> None:
    broken = RSS.replace(b"</channel></rss>", b"<item><title>unclosed")
    items = parse_feed(broken, "https://en.trend.az/feeds/index.rss", {})
    assert len(items) >= 2
    assert "malformed feed" in caplog.text


def test_listing_page_keeps_only_article_links_once_each() -> None:
    html = b"""<html><head><base href="https://news.az/"></head><body>
      <a href="/news/first-story">First story</a> <a href="news/first-story?utm_campaign=x">First again</a>
      <a href="https://news.az/index.php/news/second-story">Second</a>
      <a href="/news?page=2">Next page</a> <a href="https://evil.invalid/news/x">Elsewhere</a>
      <a href="javascript:void(0)">js</a></body></html>"""
    pattern = re.compile(r"^https?://(www\.)?news\.az/(index\.php/)?news/[a-z0-9-]+$")
    items = parse_listing(html, "https://news.az/news?page=1", {}, pattern)
    assert [i.url for i in items] == ["https://news.az/news/first-story", "https://news.az/news/second-story"]
    assert items[0].title == "First story"


def test_canonical_form_drops_tracking_fragment_default_port_and_index_php() -> None:
    assert canonicalize("HTTPS://News.Az:443/index.php/news/x?utm_source=a&id=3&fbclid=z#c") == \
        "https://news.az/news/x?id=3"
    assert canonicalize("http://127.0.0.1:8080/a") == "http://127.0.0.1:8080/a"


URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
 <url><loc>https://www.azernews.az/nation/1.html</loc><lastmod>2025-07-21T14:35:00+04:00</lastmod></url>
 <url><loc>https://www.azernews.az/nation/2.html</loc>
  <news:news><news:publication_date>2025-07-22T09:00:00+04:00</news:publication_date>
  <news:title>SCO</news:title></news:news></url>
</urlset>"""


def test_sitemap_urlset_plain_and_gzip() -> None:
    for content in (URLSET, gzip.compress(URLSET)):
        sm = parse_sitemap(content, "https://www.azernews.az/sitemap.xml", 1_000_000)
        assert not sm.is_index
        assert [e.url for e in sm.entries] == ["https://www.azernews.az/nation/1.html",
                                               "https://www.azernews.az/nation/2.html"]
        assert sm.entries[0].lastmod.isoformat() == "2025-07-21T14:35:00+04:00"
        assert sm.entries[1].published.isoformat() == "2025-07-22T09:00:00+04:00"
        assert sm.entries[1].title == "SCO"


def test_sitemap_index_lists_child_sitemaps() -> None:
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>/sitemap-1.xml.gz</loc></sitemap></sitemapindex>"""
    sm = parse_sitemap(index, "https://www.azernews.az/sitemap.xml", 1_000_000)
    assert sm.is_index and sm.entries[0].url == "https://www.azernews.az/sitemap-1.xml.gz"


def test_sitemap_gzip_bomb_is_refused_without_inflating_it() -> None:
    bomb = gzip.compress(b"<" + b" " * 50_000_000)
    with pytest.raises(ParseError, match="larger than max_bytes"):
        parse_sitemap(bomb, "https://x/sitemap.xml.gz", 1_000_000)


def test_malformed_sitemap_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="malformed sitemap"):
        parse_sitemap(b"<urlset><url><loc>x</loc>", "https://x/sitemap.xml", 1_000_000)
    with pytest.raises(ParseError, match="declares XML entities"):
        parse_sitemap(b'<!DOCTYPE x [<!ENTITY a "b">]><urlset/>', "https://x/sitemap.xml", 1_000_000)
