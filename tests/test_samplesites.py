"""The local imitation of Trend, AzerNews and News.Az that the rest of the test-suite runs against."""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import urljoin

import feedparser
import httpx
import pytest
import trafilatura

from newsmon.demo.articles import PAYWALL_TEXT, boilerplate_headlines, load_sample_articles
from newsmon.demo.generated import generated_articles
from newsmon.demo.sites import SampleSites

SAMPLES = load_sample_articles()


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


def _links(page_url: str, html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    parser.close()
    return [urljoin(page_url, h) for h in parser.hrefs]


@pytest.fixture(scope="module")
def sites():
    with SampleSites() as s:
        yield s


@pytest.fixture(scope="module")
def client():
    with httpx.Client(timeout=5) as c:
        yield c


def test_bundled_samples_cover_the_brief():
    assert len(SAMPLES) >= 17
    seeds = [r for r in SAMPLES if r.get("seed")]
    assert len(seeds) == 5
    for site in ("trend", "azernews", "newsaz"):
        assert any(r["site"] == site for r in seeds)
        assert sum(1 for r in SAMPLES if r["site"] == site and not r.get("seed")) >= 4
    assert sum(1 for r in SAMPLES if not r["sco"]) >= 12
    assert [r["site"] for r in SAMPLES if r.get("paywalled")] == ["trend"]
    for r in SAMPLES:
        published = datetime.fromisoformat(r["published"])
        assert published.utcoffset().total_seconds() == 4 * 3600
        assert datetime(2026, 11, 16).date() <= published.date() <= datetime(2026, 11, 22).date()
        if not r["sco"]:
            text = " ".join([r["title"], r["summary"], *r["paragraphs"]])
            assert not re.search(r"\bSCO\b|Shanghai Cooperation", text), r["slug"]


@pytest.mark.parametrize("site,attr", [("trend", "trend_feed_url"), ("azernews", "azernews_feed_url")])
def test_feed_lists_every_article_of_its_site(sites, client, site, attr):
    resp = client.get(getattr(sites, attr))
    assert resp.status_code == 200
    assert "charset=utf-8" in resp.headers["content-type"].lower()
    feed = feedparser.parse(resp.content)
    assert not feed.bozo
    records = [r for r in sites.articles if r["site"] == site]
    assert {e.link for e in feed.entries} == {sites.article_url(r) for r in records}
    by_link = {sites.article_url(r): r for r in records}
    for entry in feed.entries:
        record = by_link[entry.link]
        assert entry.title == record["title"]
        assert record["summary"] in entry.summary
        assert entry.published.endswith("+0400")
        assert datetime(*entry.published_parsed[:6]).date() >= datetime(2026, 11, 16).date()
        if site == "azernews":
            assert entry.author == record["author"]
            assert entry.tags[0].term.lower() == record["section"]


def test_newsaz_listing_paginates_and_links_only_articles(client):
    extra = [r for r in generated_articles(45, start=datetime(2026, 11, 10)) if r["site"] == "newsaz"]
    with SampleSites(SAMPLES + extra) as s:
        newsaz = [r for r in s.articles if r["site"] == "newsaz"]
        pattern = next(c for c in s.source_config() if c["name"] == "newsaz")["article_url_pattern"]
        seen = []
        page = 1
        while True:
            url = s.newsaz_listing_url.format(page=page)
            resp = client.get(url)
            if resp.status_code == 404:
                break
            assert resp.status_code == 200
            found = list(dict.fromkeys(u for u in _links(url, resp.text) if re.search(pattern, u)))
            assert 1 <= len(found) <= 10
            seen += found
            page += 1
        assert page == 4  # 21 articles, 10 a page
        assert seen == [s.article_url(r) for r in newsaz]  # newest first, each exactly once
        rss = client.get(s.base_url + "/newsaz/rss")
        assert rss.status_code == 200 and rss.headers["content-type"].startswith("text/html")
        assert not feedparser.parse(rss.content).entries


def test_newsaz_index_php_alias_and_canonical(sites, client):
    record = next(r for r in SAMPLES if r["site"] == "newsaz" and r.get("seed"))
    canonical = sites.article_url(record)
    alias = client.get(f"{sites.base_url}/newsaz/index.php/news/{record['slug']}")
    assert alias.status_code == 200
    assert f'<link rel="canonical" href="{canonical}">' in alias.text
    assert '"datePublished": "2026-11-17T09:05:00+04:00"' in alias.text


def test_conditional_get_and_add_article(client):
    with SampleSites() as s:
        first = client.get(s.trend_feed_url)
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert client.get(s.trend_feed_url, headers={"If-None-Match": etag}).status_code == 304
        assert client.get(s.trend_feed_url, headers={"If-Modified-Since": modified}).status_code == 304
        listing = client.get(s.newsaz_listing_url.format(page=1))
        assert client.get(s.newsaz_listing_url.format(page=1),
                          headers={"If-None-Match": listing.headers["etag"]}).status_code == 304
        article = client.get(s.article_url(SAMPLES[0]))
        assert client.get(s.article_url(SAMPLES[0]),
                          headers={"If-None-Match": article.headers["etag"]}).status_code == 304

        new = {"site": "trend", "section": "azerbaijan/politics", "id": 4099999, "slug": "fresh",
               "title": "A fresh item", "author": "Trend", "published": "2026-11-22T23:00:00+04:00",
               "summary": "Something new.", "paragraphs": ["BAKU, Azerbaijan. Something new."], "sco": False}
        s.add_article(new)
        again = client.get(s.trend_feed_url, headers={"If-None-Match": etag, "If-Modified-Since": modified})
        assert again.status_code == 200
        assert again.headers["etag"] != etag and again.headers["last-modified"] != modified
        assert client.get(s.trend_feed_url, headers={"If-Modified-Since": modified}).status_code == 200
        entries = feedparser.parse(again.content).entries
        assert entries[0].link == s.article_url(new)
        assert len(entries) == len(feedparser.parse(first.content).entries) + 1
        assert client.get(s.article_url(new)).status_code == 200


def test_paywalled_trend_page_shows_only_a_teaser(sites, client):
    record = next(r for r in SAMPLES if r.get("paywalled"))
    html = client.get(sites.article_url(record)).text
    assert PAYWALL_TEXT in html
    assert record["paragraphs"][0].split(".")[0] in html
    assert record["paragraphs"][1][:60] not in html


def test_requests_are_recorded(sites, client):
    sites.clear_requests()
    client.get(sites.base_url + "/nowhere", headers={"User-Agent": "newsmon-test/1"})
    client.get(sites.trend_feed_url)
    (rec,) = sites.requests_to("/nowhere")
    assert rec.method == "GET" and rec.status == 404
    assert rec.headers["User-Agent"] == "newsmon-test/1" and rec.headers["user-agent"] == "newsmon-test/1"
    assert [r.path for r in sites.requests_to(sites.base_url + "/trend/")] == ["/trend/feeds/index.rss"]


def test_overrides(client):
    with SampleSites() as s:
        feed = "/trend/feeds/index.rss"
        s.override(feed, status=503, headers={"Retry-After": "7"})
        resp = client.get(s.trend_feed_url)
        assert resp.status_code == 503 and resp.headers["retry-after"] == "7" and resp.content == b""
        s.override(feed, redirect_to="/azernews/feed.php")
        resp = client.get(s.trend_feed_url)
        assert resp.status_code == 302 and resp.headers["location"] == "/azernews/feed.php"
        s.override(feed, delay=0.3)  # neither status nor body: the real feed, late
        t0 = time.monotonic()
        resp = client.get(s.trend_feed_url)
        assert time.monotonic() - t0 >= 0.3 and feedparser.parse(resp.content).entries
        s.override("/newsaz/news?page=1", status=429)
        assert client.get(s.newsaz_listing_url.format(page=1)).status_code == 429
        assert client.get(s.newsaz_listing_url.format(page=2)).status_code == 404  # only 6 bundled
        s.clear_overrides()
        assert client.get(s.trend_feed_url).status_code == 200


def test_hang_and_trickle_then_stop_promptly():
    s = SampleSites().start()
    s.override("/hang", hang=True)
    s.override("/trickle", trickle=0.05)  # no page there: 200, b" " forever
    outcome: dict[str, object] = {}

    def hang() -> None:
        try:
            with httpx.Client(timeout=30) as c:
                outcome["hang"] = c.get(s.base_url + "/hang").status_code
        except httpx.HTTPError as exc:
            outcome["hang"] = type(exc).__name__

    thread = threading.Thread(target=hang)
    thread.start()
    with httpx.Client(timeout=5) as c, c.stream("GET", s.base_url + "/trickle") as resp:
        assert resp.status_code == 200
        got = b""
        for chunk in resp.iter_raw():
            got += chunk
            if len(got) >= 3:
                break
        assert got == b"   "
        while not s.requests_to("/hang"):
            time.sleep(0.01)
        t0 = time.monotonic()
        s.stop()
        assert time.monotonic() - t0 < 2
    thread.join(5)
    assert not thread.is_alive()
    assert outcome["hang"] in ("RemoteProtocolError", "ReadError")
    assert s.requests_to("/hang")[0].status is None


def test_trickled_body_arrives_slowly():
    with SampleSites() as s, httpx.Client(timeout=5) as c:
        s.override("/slow", body=b"abcd", trickle=0.1)
        t0 = time.monotonic()
        resp = c.get(s.base_url + "/slow")
        assert resp.content == b"abcd" and time.monotonic() - t0 >= 0.35


def _key_sentences(record: dict) -> list[str]:
    paragraphs = record["paragraphs"]
    picks = [paragraphs[0], paragraphs[len(paragraphs) // 2], paragraphs[-1]]
    return [re.split(r"(?<=[.!?])\s", p)[0] for p in picks]


@pytest.mark.parametrize("record", SAMPLES, ids=lambda r: f"{r['site']}-{r['slug'][:30]}")
def test_trafilatura_extracts_body_not_boilerplate(sites, client, record):
    html = client.get(sites.article_url(record)).text
    text = _norm(trafilatura.extract(html) or "")
    if record.get("paywalled"):
        assert _norm(record["paragraphs"][0]) in text
    else:
        for sentence in _key_sentences(record):
            assert _norm(sentence) in text
        assert all(_norm(p) in text for p in record["paragraphs"])
    chrome = [r["title"] for r in SAMPLES if r["site"] == record["site"] and r is not record]
    chrome += boilerplate_headlines(record["site"])
    assert [h for h in chrome if _norm(h) in text] == []
    if not record["sco"]:
        assert not re.search(r"\bSCO\b", text)


def test_generated_articles_are_deterministic_fast_and_sized():
    t0 = time.monotonic()
    records = generated_articles(2000, start=datetime(2026, 11, 16), seed=3)
    assert time.monotonic() - t0 < 2
    assert records == generated_articles(2000, start=datetime(2026, 11, 16), seed=3)
    assert 180 <= sum(r["sco"] for r in records) <= 220
    assert {r["site"] for r in records} == {"trend", "azernews", "newsaz"}
    assert len({(r["site"], r["slug"]) for r in records}) == 2000
    sample = records[:3]
    with SampleSites(sample) as s, httpx.Client(timeout=5) as c:
        for r in sample:
            size = len(c.get(s.article_url(r)).content)
            assert 50_000 <= size <= 70_000
