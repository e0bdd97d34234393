"""A real local HTTP server imitating Trend, AzerNews and News.Az, with bundled sample articles.

Used by the test-suite (every test runs against 127.0.0.1, no internet), by benchmarks and by
``newsmon demo``. Pure standard library: ``http.server.ThreadingHTTPServer`` in a daemon thread.

One server holds all three sites under a path prefix each (see ``/work/shared/design/sites.md`` for the
real sites these imitate)::

    /trend/feeds/index.rss                  RSS 2.0 (description = summary, pubDate with +0400, guid = link)
    /trend/{section}/{id}.html              article: meta article:published_time, body in div.article-content
    /trend/archive/{YYYY-MM-DD}             dated archive page (Baku days), for backfill
    /azernews/feed.php                      RSS 2.0 with CDATA descriptions, category, dc:creator, guid not a link
    /azernews/sitemap.xml                   urlset with lastmod and news:publication_date
    /azernews/sitemap-index.xml             sitemap index: one child per month (Baku time), newest first,
    /azernews/sitemap-{YYYY}-{MM}.xml[.gz]    with lastmod; the children are gzipped (.gz) or plain urlsets
    /azernews/{section}/{id}.html           article: date only as text "17 November 2026 14:35 (UTC+04:00)"
    /newsaz/news?page={page}                HTML listing, 10 articles a page, newest first (404 past the end)
    /newsaz/rss                             an HTML page with status 200 (News.Az has no feed)
    /newsaz/news/{slug}                     article: JSON-LD NewsArticle with datePublished
    /newsaz/index.php/news/{slug}           the same article; rel=canonical points at /newsaz/news/{slug}

Feeds, listings, archives, the sitemap and article pages carry ``ETag`` and ``Last-Modified`` and answer
``304`` to a matching ``If-None-Match`` (or, without it, ``If-Modified-Since``).
"""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import hashlib
import html
import json
import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape as _xml_escape

__all__ = [
    "BAKU",
    "PAYWALL_TEXT",
    "SITES",
    "RequestRecord",
    "SampleSites",
    "boilerplate_headlines",
    "generated_articles",
    "load_sample_articles",
]

BAKU = timezone(timedelta(hours=4))
SITES = ("trend", "azernews", "newsaz")
SAMPLES_PATH = Path(__file__).with_name("articles.json")
LISTING_PAGE_SIZE = 10
PAYWALL_TEXT = "Get access to all paid news on Trend — just $1"

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_DEFAULT_SECTION = {"trend": "azerbaijan/politics", "azernews": "nation", "newsaz": "politics"}
_SECTIONS = {
    "trend": ("azerbaijan/politics", "business/energy", "business/economy", "azerbaijan/society"),
    "azernews": ("nation", "business", "analysis", "culture"),
    "newsaz": ("politics", "economy", "society", "sports"),
}
_RELATED_COUNT = {"trend": 6, "azernews": 15, "newsaz": 6}

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


def load_sample_articles() -> list[dict]:
    """The bundled sample articles (a fresh copy on every call)."""
    return json.loads(SAMPLES_PATH.read_text("utf-8"))


def boilerplate_headlines(site: str) -> tuple[str, ...]:
    """Headlines shown only in a site's page chrome (ticker, sidebar, related lists); never article text."""
    return _CHROME_HEADLINES[site]


# --------------------------------------------------------------------------------------------- records


class _Headers(dict):
    """A plain dict of request headers with lower-case keys; lookups ignore case."""

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key.lower() if isinstance(key, str) else key)


@dataclass
class RequestRecord:
    """One request the server received. ``time`` is ``time.monotonic()`` at arrival; ``status`` is None
    until an answer starts (and stays None for a ``hang`` override)."""

    method: str
    path: str
    headers: dict[str, str]
    time: float
    status: int | None = None


@dataclass
class _Override:
    status: int | None
    body: bytes | None
    headers: dict[str, str]
    delay: float
    trickle: float | None
    hang: bool
    redirect_to: str | None


@dataclass
class _Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    etag: str | None = None
    last_modified: datetime | None = None


@dataclass
class _Entry:
    record: dict
    site: str
    dt: datetime
    path: str
    key: tuple = field(default=())


def _parse_published(value: Any) -> datetime:
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if dt.tzinfo is None:
        raise ValueError(f"published has no UTC offset: {value!r}")
    return dt


def _canonical_path(record: dict) -> str:
    site = record["site"]
    if site == "trend":
        return f"/trend/{record['section']}/{int(record['id'])}.html"
    if site == "azernews":
        return f"/azernews/{record['section']}/{int(record['id'])}.html"
    return f"/newsaz/news/{record['slug']}"


def _normalize(record: dict) -> dict:
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
        rec["slug"] = _slugify(rec["title"])
    if not re.fullmatch(r"[a-z0-9-]+", rec["slug"]):
        raise ValueError(f"slug must match [a-z0-9-]+: {rec['slug']!r}")
    if site != "newsaz" and not re.fullmatch(r"[a-z-]+(/[a-z-]+)*", rec["section"]):
        raise ValueError(f"bad section {rec['section']!r}")
    rec.setdefault("author", "")
    rec.setdefault("summary", (rec["paragraphs"][0] if rec["paragraphs"] else "")[:200])
    rec.setdefault("sco", False)
    _parse_published(rec["published"])
    return rec


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "article"


# --------------------------------------------------------------------------------------------- dates

_UTC = UTC


def _rfc822(dt: datetime) -> str:
    return email.utils.format_datetime(dt)  # "Tue, 17 Nov 2026 12:27:00 +0400"


def _http_date(dt: datetime) -> str:
    return email.utils.format_datetime(dt.astimezone(_UTC), usegmt=True)


def _day_text(dt: datetime) -> str:
    return f"{dt.day} {_MONTHS[dt.month - 1]} {dt.year}"


def _offset_text(dt: datetime) -> str:
    minutes = int(dt.utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _floor_second(dt: datetime) -> datetime:
    return dt.astimezone(_UTC).replace(microsecond=0)


# --------------------------------------------------------------------------------------------- rendering

_e = html.escape


def _paragraphs_html(paragraphs: list[str]) -> str:
    return "\n".join(f"<p>{_e(p)}</p>" for p in paragraphs)


def _body_paragraphs(record: dict) -> list[str]:
    return list(record["paragraphs"]) + list(record.get("padding_paragraphs") or ())


def _related_items(related: list[tuple[str, str]], *, with_date: str = "") -> str:
    return "\n".join(
        f'<li><a href="{_e(href)}">{_e(title)}</a>{with_date}</li>' for title, href in related
    )


def _render_trend(record: dict, dt: datetime, url: str, base: str, related: list[tuple[str, str]]) -> str:
    title, summary, author = record["title"], record["summary"], record["author"]
    section = record["section"]
    section_label = section.split("/")[-1].capitalize()
    paywalled = bool(record.get("paywalled"))
    if paywalled:
        body = (
            _paragraphs_html(record["paragraphs"][:1])
            + f'\n<div class="paywall-notice"><p>{_e(PAYWALL_TEXT)}</p>'
            + '<a class="btn-subscribe" href="/trend/subscribe">Subscribe</a></div>'
        )
    else:
        body = _paragraphs_html(_body_paragraphs(record))
    ticker = _related_items([(h, "/trend/latest") for h in _CHROME_HEADLINES["trend"][:5]])
    most_read = _related_items([(h, "/trend/latest") for h in _CHROME_HEADLINES["trend"][5:]])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)} - Trend.Az</title>
<meta name="description" content="{_e(summary)}">
<meta name="author" content="{_e(author)}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="Trend.Az">
<meta property="og:title" content="{_e(title)}">
<meta property="og:description" content="{_e(summary)}">
<meta property="og:url" content="{_e(url)}">
<meta property="og:image" content="{base}/trend/media/{record.get('id', 0)}.jpg">
<meta property="article:published_time" content="{dt.isoformat()}">
<meta property="article:section" content="{_e(section_label)}">
<link rel="canonical" href="{_e(url)}">
<link rel="alternate" type="application/rss+xml" title="Trend News Agency" href="{base}/trend/feeds/index.rss">
<link rel="stylesheet" href="/trend/static/css/main.min.css">
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{"pageType": "article",
"articleId": {int(record.get('id', 0))}, "section": "{_e(section)}"}});</script>
</head>
<body class="page-article">
<header class="site-header">
  <div class="top-line">
    <ul class="lang-switch"><li><a href="/trend/az">AZ</a></li><li><a href="/trend/ru">RU</a></li>
      <li class="active"><a href="/trend/">EN</a></li></ul>
    <div class="currency-rates">USD 1.7000 &middot; EUR 1.9743 &middot; RUB 0.0213 &middot; Brent 71.40</div>
    <div class="weather-now">Baku +12&deg;C</div>
  </div>
  <a class="logo" href="/trend/"><img src="/trend/static/img/logo.svg" alt="Trend News Agency"></a>
  <nav class="main-menu"><ul>
    <li><a href="/trend/azerbaijan/">Azerbaijan</a></li><li><a href="/trend/business/">Business</a></li>
    <li><a href="/trend/business/energy/">Oil&amp;Gas</a></li><li><a href="/trend/business/economy/">Economy</a></li>
    <li><a href="/trend/world/">World</a></li><li><a href="/trend/casia/">Central Asia</a></li>
    <li><a href="/trend/iran/">Iran</a></li><li><a href="/trend/other/">Other News</a></li>
    <li><a href="/trend/analytics/">Analytics</a></li></ul></nav>
  <div class="breaking-ticker"><span class="ticker-label">Latest news</span><ul>
{ticker}
  </ul></div>
</header>
<div class="container">
  <div class="breadcrumbs"><a href="/trend/">Home</a> / <a href="/trend/{section.split('/')[0]}/">
    {_e(section.split('/')[0].capitalize())}</a> / <span>{_e(section_label)}</span></div>
  <div class="article-page">
    <h1 class="article-title">{_e(title)}</h1>
    <div class="article-meta"><span class="date">{_day_text(dt)} {dt:%H:%M}</span>
      <span class="category">{_e(section_label)}</span> <span class="author-name">{_e(author)}</span></div>
    <div class="top-img"><img src="/trend/media/{record.get('id', 0)}.jpg" alt="{_e(title)}">
      <span class="img-caption">Photo: Trend</span></div>
    <div class="article-content">
{body}
    </div>
    <div class="whatsapp-channel"><a href="/trend/whatsapp">Stay up-to-date with more news at Trend News
      Agency's WhatsApp channel</a></div>
    <div class="share-buttons"><a href="#">Facebook</a> <a href="#">X</a> <a href="#">Telegram</a>
      <a href="#">WhatsApp</a></div>
  </div>
  <section class="related-news"><h3>Related news</h3><ul>
{_related_items(related)}
  </ul></section>
  <aside class="sidebar"><div class="most-read"><h3>Most read</h3><ul>
{most_read}
  </ul></div></aside>
</div>
<footer class="site-footer">
  <div class="footer-menu"><a href="/trend/about">About us</a> <a href="/trend/contacts">Contacts</a>
    <a href="/trend/advertising">Advertising</a> <a href="/trend/subscribe">Subscription</a>
    <a href="/trend/feeds/index.rss">RSS</a></div>
  <p class="copyright">&copy; 2003-2026 Trend News Agency. All rights reserved. Reprinting of materials is
    allowed only with a hyperlink to Trend. Address: 1 Sharifzadeh street, Baku, Azerbaijan.</p>
</footer>
<script src="/trend/static/js/app.min.js"></script>
</body>
</html>
"""


def _render_azernews(record: dict, dt: datetime, url: str, base: str, related: list[tuple[str, str]]) -> str:
    title, summary, author = record["title"], record["summary"], record["author"]
    section = record["section"]
    latest = _related_items([(h, "/azernews/latest") for h in _CHROME_HEADLINES["azernews"][:5]])
    viewed = _related_items([(h, "/azernews/latest") for h in _CHROME_HEADLINES["azernews"][5:]])
    menu = "".join(
        f'<li><a href="/azernews/{s}/">{s.capitalize()}</a></li>'
        for s in ("nation", "business", "analysis", "region", "culture", "sport", "travel", "world")
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{_e(title)} | AzerNews</title>
<meta name="description" content="{_e(summary)}">
<meta property="og:title" content="{_e(title)}">
<meta property="og:url" content="{_e(url)}">
<meta property="og:type" content="article">
<meta property="og:image" content="{base}/azernews/uploads/{record.get('id', 0)}.jpg">
<link rel="canonical" href="{_e(url)}">
<link rel="alternate" type="application/rss+xml" title="AzerNews" href="{base}/azernews/feed.php">
<script async src="/azernews/js/analytics.js"></script>
<style>.news-item h1{{font-size:28px}} .article-date{{color:#888}}</style>
</head>
<body>
<div class="top-banner"><a href="/azernews/subscribe">Subscribe to AzerNews: full digital access for
  9.99 AZN a month</a></div>
<header id="header">
  <div class="header-info">Baku: +11&deg;C &middot; USD/AZN 1.7000 &middot; EUR/AZN 1.9743 &middot;
    {_day_text(dt)}</div>
  <a class="logo" href="/azernews/"><img src="/azernews/img/logo.png" alt="AzerNews"></a>
  <ul class="menu">{menu}</ul>
  <form class="search-form" action="/azernews/search"><input name="q" placeholder="Search"></form>
</header>
<div class="wrapper">
  <div class="col-main">
    <article class="news-item">
      <div class="news-category"><a href="/azernews/{_e(section)}/">{_e(section.capitalize())}</a></div>
      <h1>{_e(title)}</h1>
      <div class="article-date">{_day_text(dt)} {dt:%H:%M} ({_offset_text(dt)})</div>
      <div class="news-img"><img src="/azernews/uploads/{record.get('id', 0)}.jpg" alt=""></div>
      <div class="article-body">
{_paragraphs_html(_body_paragraphs(record))}
      </div>
      <div class="article-author-line">By {_e(author)}</div>
      <div class="support-us">Here we are to serve you with news right now. It does not cost much, but worth
        your attention. Choose to support open, independent, quality journalism and subscribe on a monthly
        basis.</div>
      <div class="social-follow">Follow us on Twitter @AzerNewsAz</div>
      <div class="related-news"><h4>Related News</h4><ul>
{_related_items(related, with_date=" <span>" + _day_text(dt) + "</span>")}
      </ul></div>
    </article>
  </div>
  <div class="sidebar">
    <div class="block-latest"><h4>Latest</h4><ul>
{latest}
    </ul></div>
    <div class="block-most-viewed"><h4>Most viewed</h4><ul>
{viewed}
    </ul></div>
  </div>
</div>
<footer class="footer">
  <ul class="footer-menu">{menu}</ul>
  <p>AzerNews is the leading English-language newspaper in Azerbaijan, published since 1997.
    &copy; 1997-2026 AzerNews. Use of materials is allowed only with a hyperlink to azernews.az.</p>
  <p>Contact: 28 May street, Baku. Email: info@azernews.az</p>
</footer>
</body>
</html>
"""


def _render_newsaz(record: dict, dt: datetime, url: str, base: str, related: list[tuple[str, str]]) -> str:
    title, summary, author = record["title"], record["summary"], record["author"]
    section = record["section"]
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "headline": title,
        "description": summary,
        "datePublished": dt.isoformat(),
        "dateModified": dt.isoformat(),
        "author": {"@type": "Person", "name": author},
        "publisher": {"@type": "Organization", "name": "News.Az",
                      "logo": {"@type": "ImageObject", "url": f"{base}/newsaz/img/logo.png"}},
        "image": [f"{base}/newsaz/uploads/{record['slug']}.jpg"],
        "articleSection": section,
        "inLanguage": "en",
    }
    ld_json = json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
    trending = _related_items([(h, "/newsaz/news") for h in _CHROME_HEADLINES["newsaz"]])
    menu = "".join(
        f'<li><a href="/newsaz/category/{s}">{s.capitalize()}</a></li>'
        for s in ("politics", "economy", "society", "sports", "world", "analytics", "interview")
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{_e(title)} | News.Az</title>
<meta name="description" content="{_e(summary)}">
<meta property="og:title" content="{_e(title)}">
<meta property="og:url" content="{_e(url)}">
<meta property="og:site_name" content="News.Az">
<link rel="canonical" href="{_e(url)}">
<script type="application/ld+json">{ld_json}</script>
<script>var newsAzConfig = {{"lang": "en", "adsEnabled": true}};</script>
</head>
<body>
<div class="cookie-consent">We use cookies to improve your experience. <button>Accept</button></div>
<header class="header">
  <a class="logo" href="/newsaz/">News.Az</a>
  <nav class="navbar"><ul>{menu}</ul></nav>
  <div class="header-date">{_day_text(dt)}</div>
</header>
<div class="main-wrap">
  <div class="content-area">
    <div class="article-head">
      <a class="article-category" href="/newsaz/category/{_e(section)}">{_e(section.capitalize())}</a>
      <h1>{_e(title)}</h1>
      <div class="article-info"><span class="date-time">{dt.day} {_MONTHS[dt.month - 1][:3]} {dt.year}
        {dt:%H:%M}</span> <span class="font-size-tools">+ &#8634; &minus; 16 px</span></div>
    </div>
    <div class="article-image"><img src="/newsaz/uploads/{record['slug']}.jpg" alt="{_e(title)}"></div>
    <div class="article-text">
{_paragraphs_html(_body_paragraphs(record))}
    </div>
    <div class="source-sign">News.Az</div>
    <div class="share-block">Share: <a href="#">Facebook</a> <a href="#">X</a> <a href="#">Telegram</a></div>
    <div class="read-more-related"><h3>Read also</h3><ul>
{_related_items(related)}
    </ul></div>
  </div>
  <aside class="sidebar"><h3>Trending</h3><ul>
{trending}
  </ul></aside>
</div>
<footer class="site-footer">
  <p>News.Az &mdash; news from Azerbaijan and the world. &copy; 2008-2026 News.Az. All rights reserved.</p>
  <ul><li><a href="/newsaz/about">About</a></li><li><a href="/newsaz/contacts">Contacts</a></li>
    <li><a href="/newsaz/rss">RSS</a></li></ul>
</footer>
</body>
</html>
"""


_RENDERERS = {"trend": _render_trend, "azernews": _render_azernews, "newsaz": _render_newsaz}


def _newsaz_chrome(title: str, inner: str) -> str:
    menu = "".join(
        f'<li><a href="/newsaz/category/{s}">{s.capitalize()}</a></li>'
        for s in ("politics", "economy", "society", "sports", "world", "analytics", "interview")
    )
    trending = _related_items([(h, "/newsaz/news") for h in _CHROME_HEADLINES["newsaz"]])
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{_e(title)}</title></head>
<body>
<header class="header"><a class="logo" href="/newsaz/">News.Az</a>
  <nav class="navbar"><ul>{menu}</ul></nav></header>
<div class="main-wrap">
{inner}
  <aside class="sidebar"><h3>Trending</h3><ul>
{trending}
  </ul></aside>
</div>
<footer class="site-footer"><p>&copy; 2008-2026 News.Az. All rights reserved.</p>
  <ul><li><a href="/newsaz/about">About</a></li><li><a href="/newsaz/rss">RSS</a></li></ul></footer>
</body>
</html>
"""


# --------------------------------------------------------------------------------------------- server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() closes connections itself; never join handler threads
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sites: SampleSites) -> None:
        self.sites = sites
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.sites._track(request, True)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        try:
            super().shutdown_request(request)
        finally:
            self.sites._track(request, False)

    def handle_error(self, request: Any, client_address: Any) -> None:  # silence tracebacks
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SampleSites/1.0"
    timeout = 30  # idle keep-alive connections are closed after this
    disable_nagle_algorithm = True  # headers and body go out in two writes; don't wait 40 ms between them

    def do_GET(self) -> None:
        self.server.sites._handle(self, "GET")

    def do_HEAD(self) -> None:
        self.server.sites._handle(self, "HEAD")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class SampleSites:
    """The three imitation sites on one local server. Use as a context manager or start()/stop()."""

    def __init__(self, articles: list[dict] | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 cache_pages: bool = True) -> None:
        self.host = host
        self.port = port
        self.cache_pages = cache_pages  # False: article pages are rendered per request (big generated archives)
        self._positions: dict[str, int] | None = None
        self._lock = threading.RLock()
        self._entries: dict[str, list[_Entry]] = {s: [] for s in SITES}  # newest first
        self._paths: dict[str, _Entry] = {}
        self._cache: dict[str, _Response] = {}
        self._overrides: dict[str, _Override] = {}
        self._modified: dict[str, datetime] = {}
        self._requests_lock = threading.Lock()
        self.requests: list[RequestRecord] = []
        self._conns: set[Any] = set()
        self._conns_cv = threading.Condition()
        self._stop = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._base_url: str | None = None
        for record in load_sample_articles() if articles is None else articles:
            self._insert(_normalize(record))
        for site in SITES:
            self._entries[site].sort(key=lambda e: e.key, reverse=True)
            newest = self._entries[site][0].dt if self._entries[site] else datetime(2026, 1, 1, tzinfo=_UTC)
            self._modified[site] = _floor_second(newest)

    # ---- lifecycle

    def start(self) -> SampleSites:
        if self._server is not None:
            raise RuntimeError("SampleSites already started")
        self._stop = threading.Event()
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._base_url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="samplesites", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stop.set()  # releases hang/delay/trickle handlers
        server.shutdown()
        server.server_close()
        with self._conns_cv:
            conns = list(self._conns)
        for conn in conns:  # wakes handlers blocked on keep-alive reads
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + 1.5
        with self._conns_cv:
            while self._conns and time.monotonic() < deadline:
                self._conns_cv.wait(0.05)
        if self._thread is not None:
            self._thread.join(1.0)
            self._thread = None

    def __enter__(self) -> SampleSites:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _track(self, conn: Any, add: bool) -> None:
        with self._conns_cv:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)
                self._conns_cv.notify_all()

    # ---- URLs and config

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("SampleSites not started")
        return self._base_url

    @property
    def trend_feed_url(self) -> str:
        return self.base_url + "/trend/feeds/index.rss"

    @property
    def azernews_feed_url(self) -> str:
        return self.base_url + "/azernews/feed.php"

    @property
    def newsaz_listing_url(self) -> str:
        return self.base_url + "/newsaz/news?page={page}"

    @property
    def trend_archive_url(self) -> str:
        return self.base_url + "/trend/archive/{date:%Y-%m-%d}"

    @property
    def azernews_sitemap_url(self) -> str:
        return self.base_url + "/azernews/sitemap.xml"

    @property
    def azernews_sitemap_index_url(self) -> str:
        return self.base_url + "/azernews/sitemap-index.xml"

    def source_config(self) -> list[dict]:
        """The three ``[[sources]]`` tables pointing at this server."""
        hosts = [self.host]
        return [
            {"name": "trend", "feeds": [self.trend_feed_url], "archives": [self.trend_archive_url],
             "article_url_pattern": r"/trend/[a-z-]+/[a-z-]+/\d+\.html$", "allowed_hosts": list(hosts),
             "paywall_markers": ["Get access to all paid news on Trend"]},
            {"name": "azernews", "feeds": [self.azernews_feed_url], "sitemaps": [self.azernews_sitemap_url],
             "article_url_pattern": r"/azernews/[a-z-]+/\d+\.html$", "allowed_hosts": list(hosts)},
            {"name": "newsaz", "listings": [self.newsaz_listing_url],
             "article_url_pattern": r"/newsaz/news/[a-z0-9-]+$", "allowed_hosts": list(hosts)},
        ]

    def article_url(self, record: dict) -> str:
        """The canonical URL of a record on this server."""
        return self.base_url + _canonical_path(_normalize(record))

    # ---- content

    @property
    def articles(self) -> list[dict]:
        """Copies of the records served now: trend, azernews, newsaz, each newest first."""
        with self._lock:
            return [dict(e.record) for s in SITES for e in self._entries[s]]

    def add_article(self, record: dict) -> None:
        """Publish a record: it appears in its site's feed/listing at once. A record with the same URL as
        an existing one replaces it (an edited article)."""
        rec = _normalize(record)
        with self._lock:
            entry = self._insert(rec)
            self._entries[entry.site].sort(key=lambda e: e.key, reverse=True)
            self._modified[entry.site] = max(
                self._modified[entry.site] + timedelta(seconds=1), _floor_second(entry.dt)
            )
            self._cache.clear()
            self._positions = None

    def _insert(self, rec: dict) -> _Entry:
        path = _canonical_path(rec)
        dt = _parse_published(rec["published"])
        entry = _Entry(rec, rec["site"], dt, path, (dt.astimezone(_UTC), rec.get("id") or 0, rec["slug"]))
        old = self._paths.get(path)
        if old is not None:
            self._entries[old.site].remove(old)
        self._entries[entry.site].append(entry)
        self._paths[path] = entry
        if entry.site == "newsaz":
            self._paths[f"/newsaz/index.php/news/{rec['slug']}"] = entry
        return entry

    # ---- observation

    def requests_to(self, prefix: str) -> list[RequestRecord]:
        if self._base_url and prefix.startswith(self._base_url):
            prefix = prefix[len(self._base_url):]
        with self._requests_lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    def clear_requests(self) -> None:
        with self._requests_lock:
            self.requests.clear()

    # ---- faults

    def override(
        self,
        path: str,
        *,
        status: int | None = None,
        body: bytes | None = None,
        headers: dict | None = None,
        delay: float = 0.0,
        trickle: float | None = None,
        hang: bool = False,
        redirect_to: str | None = None,
    ) -> None:
        """Answer ``path`` (exact, with query; a full URL on this server is accepted) with a canned
        behaviour. With neither ``status`` nor ``body``, a path that has a real page keeps its normal answer
        (so ``delay``/``trickle`` apply to the real page); otherwise the answer is ``status`` (default 200)
        with ``body`` (default empty). ``trickle`` sends the body one byte per ``trickle`` seconds, and loops sending
        b" " forever when the body is empty. ``hang`` never answers (until stop()). ``redirect_to`` answers
        302 (or ``status`` if it is a redirect code) with that Location. ``headers`` are added/replaced."""
        if self._base_url and path.startswith(self._base_url):
            path = path[len(self._base_url):]
        with self._lock:
            self._overrides[path] = _Override(status, body, dict(headers or {}), delay, trickle, hang, redirect_to)

    def clear_overrides(self) -> None:
        with self._lock:
            self._overrides.clear()

    # ---- request handling

    def _handle(self, handler: _Handler, method: str) -> None:
        path = handler.path
        rec = RequestRecord(
            method, path, _Headers((k.lower(), v) for k, v in handler.headers.items()), time.monotonic()
        )
        with self._requests_lock:
            self.requests.append(rec)
        with self._lock:
            ov = self._overrides.get(path)
        try:
            if ov is None:
                self._send(handler, rec, self._route(path, handler.headers), head=method == "HEAD")
                return
            if ov.delay and self._stop.wait(ov.delay):
                handler.close_connection = True
                return
            if ov.hang:
                self._stop.wait()
                handler.close_connection = True
                return
            if ov.redirect_to is not None:
                code = ov.status if ov.status in (301, 302, 303, 307, 308) else 302
                resp = _Response(code, [("Location", ov.redirect_to), ("Content-Length", "0")])
            elif ov.status is None and ov.body is None and (resp := self._route(path, handler.headers)).status != 404:
                pass  # the real page, delayed or trickled
            else:
                body = ov.body or b""
                resp = _Response(ov.status or 200, [("Content-Type", "text/html; charset=utf-8")], body)
            if ov.headers:
                names = {k.lower() for k in ov.headers}
                resp.headers = [(k, v) for k, v in resp.headers if k.lower() not in names]
                resp.headers += list(ov.headers.items())
            if ov.trickle is not None:
                self._send_trickle(handler, rec, resp, ov.trickle)
            else:
                self._send(handler, rec, resp, head=method == "HEAD")
        except OSError:  # the client went away
            handler.close_connection = True

    def _send(self, handler: _Handler, rec: RequestRecord, resp: _Response, *, head: bool) -> None:
        rec.status = resp.status
        handler.send_response(resp.status)
        names = set()
        for k, v in resp.headers:
            handler.send_header(k, v)
            names.add(k.lower())
        if "content-length" not in names and resp.status != 304:
            handler.send_header("Content-Length", str(len(resp.body)))
        handler.end_headers()
        if resp.body and not head:
            handler.wfile.write(resp.body)

    def _send_trickle(self, handler: _Handler, rec: RequestRecord, resp: _Response, interval: float) -> None:
        forever = not resp.body
        headers = [(k, v) for k, v in resp.headers if not (forever and k.lower() == "content-length")]
        names = {k.lower() for k, _ in headers}
        if not forever and "content-length" not in names:
            headers.append(("Content-Length", str(len(resp.body))))
        if "connection" not in names:
            headers.append(("Connection", "close"))
        rec.status = resp.status
        handler.send_response(resp.status)
        for k, v in headers:
            handler.send_header(k, v)
        handler.end_headers()
        handler.close_connection = True
        i = 0
        while not self._stop.wait(interval):
            chunk = b" " if forever else resp.body[i : i + 1]
            if not chunk:
                break
            handler.wfile.write(chunk)
            i += 1

    # ---- routing and rendering

    def _route(self, path_qs: str, req_headers: Any) -> _Response:
        parts = urlsplit(path_qs)
        path = parts.path
        with self._lock:
            resp = self._cache.get(path_qs)
            if resp is None:
                resp = self._render(path, parse_qs(parts.query))
                if resp.etag is not None and (self.cache_pages or path not in self._paths):
                    self._cache[path_qs] = resp
        if resp.etag is not None and self._not_modified(req_headers, resp):
            headers = [("ETag", resp.etag)]
            if resp.last_modified is not None:
                headers.append(("Last-Modified", _http_date(resp.last_modified)))
            return _Response(304, headers)
        return resp

    @staticmethod
    def _not_modified(req_headers: Any, resp: _Response) -> bool:
        inm = req_headers.get("If-None-Match")
        if inm is not None:
            tags = [t.strip() for t in inm.split(",")]
            return "*" in tags or any(t.removeprefix("W/") == resp.etag for t in tags)
        ims = req_headers.get("If-Modified-Since")
        if ims and resp.last_modified is not None:
            try:
                since = email.utils.parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=_UTC)
            return resp.last_modified <= since
        return False

    def _render(self, path: str, query: dict[str, list[str]]) -> _Response:
        if path == "/trend/feeds/index.rss":
            return self._ok(self._trend_feed(), "application/rss+xml; charset=utf-8", self._modified["trend"])
        if path == "/azernews/feed.php":
            return self._ok(self._azernews_feed(), "text/xml; charset=utf-8", self._modified["azernews"])
        if path == "/azernews/sitemap.xml":
            return self._ok(self._azernews_sitemap(), "application/xml; charset=utf-8", self._modified["azernews"])
        if path == "/azernews/sitemap-index.xml":
            return self._ok(self._azernews_sitemap_index(), "application/xml; charset=utf-8",
                            self._modified["azernews"])
        m = re.fullmatch(r"/azernews/sitemap-(\d{4})-(\d{2})\.xml(\.gz)?", path)
        if m:
            month = (int(m.group(1)), int(m.group(2)))
            entries = [e for e in self._entries["azernews"] if _month(e.dt) == month]
            if not entries:
                return self._not_found()
            resp = self._ok(self._azernews_sitemap(entries), "application/xml; charset=utf-8", entries[0].dt)
            if m.group(3):
                resp.body = gzip.compress(resp.body, mtime=0)
                resp.headers = [("Content-Type", "application/x-gzip") if k == "Content-Type" else (k, v)
                                for k, v in resp.headers]
            return resp
        if path == "/newsaz/news":
            try:
                page = int(query.get("page", ["1"])[0])
            except ValueError:
                page = 0
            text = self._newsaz_listing(page)
            if text is None:
                return self._not_found()
            return self._ok(text, "text/html; charset=utf-8", self._modified["newsaz"])
        if path in ("/newsaz/rss", "/newsaz/rss/"):
            inner = ('<div class="content-area"><h1>RSS</h1><p>Follow News.Az on social networks and in our '
                     'mobile application to get the latest news.</p><p><a href="/newsaz/news">All news</a></p>'
                     "</div>")
            return self._ok(_newsaz_chrome("RSS | News.Az", inner), "text/html; charset=utf-8", None)
        m = re.fullmatch(r"/trend/archive/(\d{4}-\d{2}-\d{2})", path)
        if m:
            try:
                day = date.fromisoformat(m.group(1))
            except ValueError:
                return self._not_found()
            return self._ok(self._trend_archive(day), "text/html; charset=utf-8", self._modified["trend"])
        if path == "/robots.txt":
            return self._ok("User-agent: *\nDisallow:\n", "text/plain; charset=utf-8", None)
        if path == "/":
            links = "".join(f'<li><a href="{u}">{u}</a></li>' for u in (
                "/trend/feeds/index.rss", "/azernews/feed.php", "/newsaz/news?page=1"))
            return self._ok(f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sample "
                            f"sites</title></head><body><ul>{links}</ul></body></html>",
                            "text/html; charset=utf-8", None)
        entry = self._paths.get(path)
        if entry is None:
            return self._not_found()
        text = self._render_article(entry)
        return self._ok(text, "text/html; charset=utf-8", _floor_second(entry.dt))

    @staticmethod
    def _ok(text: str, content_type: str, modified: datetime | None) -> _Response:
        body = text.encode("utf-8")
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        headers = [("Content-Type", content_type), ("ETag", etag), ("Cache-Control", "max-age=60")]
        if modified is not None:
            headers.append(("Last-Modified", _http_date(modified)))
        return _Response(200, headers, body, etag, modified)

    @staticmethod
    def _not_found() -> _Response:
        body = (b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>404 Not Found</title>'
                b"</head><body><h1>Page not found</h1></body></html>")
        return _Response(404, [("Content-Type", "text/html; charset=utf-8")], body)

    def _related(self, entry: _Entry) -> list[tuple[str, str]]:
        items = self._entries[entry.site]
        want = _RELATED_COUNT[entry.site]
        if self._positions is None:
            self._positions = {e.path: k for site in SITES for k, e in enumerate(self._entries[site])}
        i = self._positions.get(entry.path, 0)
        others = [e for e in items[i + 1 : i + 1 + want] + items[max(0, i - want) : i] if e is not entry]
        out = [(e.record["title"], e.path) for e in others[:want]]
        filler = _CHROME_HEADLINES[entry.site]
        k = 0
        while len(out) < want and k < len(filler):
            out.append((filler[k], f"/{entry.site}/latest"))
            k += 1
        return out

    def _render_article(self, entry: _Entry) -> str:
        url = self.base_url + entry.path
        return _RENDERERS[entry.site](entry.record, entry.dt, url, self.base_url, self._related(entry))

    def _trend_feed(self) -> str:
        base = self.base_url
        items = []
        for e in self._entries["trend"]:
            link = _xml_escape(base + e.path)
            items.append(
                f"<item>\n<title>{_xml_escape(e.record['title'])}</title>\n<link>{link}</link>\n"
                f"<description>{_xml_escape(e.record['summary'])}</description>\n"
                f"<pubDate>{_rfc822(e.dt)}</pubDate>\n<guid isPermaLink=\"true\">{link}</guid>\n</item>"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
            "<title>Trend News Agency - All news</title>\n"
            f"<link>{base}/trend/</link>\n<description>Latest news from Azerbaijan, Central Asia and the "
            "Caucasus</description>\n<language>en</language>\n"
            f"<lastBuildDate>{_rfc822(self._modified['trend'].astimezone(BAKU))}</lastBuildDate>\n"
            f'<atom:link href="{self.trend_feed_url}" rel="self" type="application/rss+xml"/>\n'
            + "\n".join(items)
            + "\n</channel>\n</rss>\n"
        )

    def _azernews_feed(self) -> str:
        base = self.base_url
        items = []
        for e in self._entries["azernews"]:
            r = e.record
            summary = _cdata(f"<p>{_e(r['summary'], quote=False)}</p>")
            items.append(
                f"  <item>\n    <title>{_cdata(r['title'])}</title>\n    <link>{base}{e.path}</link>\n"
                f"    <description>{summary}</description>\n"
                f"    <category>{_xml_escape(r['section'].capitalize())}</category>\n"
                f"    <dc:creator>{_cdata(r['author'])}</dc:creator>\n"
                f"    <pubDate>{_rfc822(e.dt)}</pubDate>\n"
                f'    <guid isPermaLink="false">azernews-{r["id"]}</guid>\n'
                f'    <enclosure url="{base}/azernews/uploads/{r["id"]}.jpg" type="image/jpeg" length="0"/>\n'
                "  </item>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
            f"  <title>AzerNews</title>\n  <link>{base}/azernews/</link>\n"
            "  <description>AzerNews - Azerbaijan's leading English-language news</description>\n"
            "  <language>en-us</language>\n"
            f"  <pubDate>{_rfc822(self._modified['azernews'].astimezone(BAKU))}</pubDate>\n"
            + "\n".join(items)
            + "\n</channel>\n</rss>\n"
        )

    def _azernews_sitemap_index(self) -> str:
        newest: dict[tuple[int, int], datetime] = {}
        for e in self._entries["azernews"]:
            newest.setdefault(_month(e.dt), e.dt)
        children = "\n".join(
            f"<sitemap><loc>{self.base_url}/azernews/sitemap-{y:04d}-{m:02d}.xml.gz</loc>"
            f"<lastmod>{dt.isoformat()}</lastmod></sitemap>" for (y, m), dt in newest.items())
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                + children + "\n</sitemapindex>\n")

    def _azernews_sitemap(self, entries: list[_Entry] | None = None) -> str:
        base = self.base_url
        urls = "\n".join(
            f"<url><loc>{base}{e.path}</loc><lastmod>{e.dt.isoformat()}</lastmod>"
            f"<news:news><news:publication><news:name>AzerNews</news:name><news:language>en</news:language>"
            f"</news:publication><news:publication_date>{e.dt.isoformat()}</news:publication_date>"
            f"<news:title>{_xml_escape(e.record['title'])}</news:title></news:news></url>"
            for e in (self._entries["azernews"] if entries is None else entries)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n' + urls + "\n</urlset>\n"
        )

    def _newsaz_listing(self, page: int) -> str | None:
        entries = self._entries["newsaz"]
        pages = max(1, -(-len(entries) // LISTING_PAGE_SIZE))
        if page < 1 or page > pages:
            return None
        chunk = entries[(page - 1) * LISTING_PAGE_SIZE : page * LISTING_PAGE_SIZE]
        items = []
        for e in chunk:
            r = e.record
            items.append(
                f'<div class="news-item"><a class="news-thumb" href="{e.path}"><img '
                f'src="/newsaz/uploads/{r["slug"]}.jpg" alt=""></a>\n'
                f'  <div class="news-item-body"><a class="news-title" href="{e.path}">{_e(r["title"])}</a>\n'
                f'  <span class="news-date">{e.dt.day} {_MONTHS[e.dt.month - 1][:3]} {e.dt.year}, '
                f"{e.dt:%H:%M}</span>\n  <p>{_e(r['summary'])}</p></div></div>"
            )
        if not items:
            items.append('<p class="empty">No news yet.</p>')
        nav = []
        if page > 1:
            nav.append(f'<li><a href="/newsaz/news?page={page - 1}">&laquo; Previous</a></li>')
        for p in range(max(1, page - 2), min(pages, page + 2) + 1):
            cls = ' class="active"' if p == page else ""
            nav.append(f'<li{cls}><a href="/newsaz/news?page={p}">{p}</a></li>')
        if page < pages:
            nav.append(f'<li><a href="/newsaz/news?page={page + 1}">Next &raquo;</a></li>')
        inner = (
            '<div class="content-area"><h1>All news</h1>\n<div class="news-list">\n'
            + "\n".join(items)
            + '\n</div>\n<ul class="pagination">' + "".join(nav) + "</ul></div>"
        )
        return _newsaz_chrome(f"News - page {page} | News.Az", inner)

    def _trend_archive(self, day: date) -> str:
        rows = []
        for e in self._entries["trend"]:
            local = e.dt.astimezone(BAKU)
            if local.date() == day:
                rows.append(
                    f'<li><span class="time">{local:%H:%M}</span> <a href="{e.path}">{_e(e.record["title"])}'
                    "</a></li>"
                )
        body = "\n".join(rows) or '<li class="empty">No news for this day.</li>'
        prev_day, next_day = day - timedelta(days=1), day + timedelta(days=1)
        return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>News archive {day.isoformat()} - Trend.Az</title></head>
<body>
<nav class="main-menu"><ul><li><a href="/trend/azerbaijan/">Azerbaijan</a></li>
  <li><a href="/trend/business/">Business</a></li><li><a href="/trend/world/">World</a></li></ul></nav>
<div class="container"><h1>News archive: {_day_text(datetime(day.year, day.month, day.day))}</h1>
<ul class="archive-list">
{body}
</ul>
<div class="archive-nav"><a href="/trend/archive/{prev_day.isoformat()}">Previous day</a>
  <a href="/trend/archive/{next_day.isoformat()}">Next day</a></div></div>
</body>
</html>
"""


def _month(dt: datetime) -> tuple[int, int]:
    local = dt.astimezone(BAKU)
    return local.year, local.month


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


# --------------------------------------------------------------------------------------------- generated


_SCO_RE = re.compile(r"\bSCO\b|Shanghai Cooperation Organi[sz]ation")
_AUTHORS = {
    "trend": ("Nargiz Sadigli", "Maryana Ahmadova", "Elchin Mehdiyev", "Laman Zeynalova", "Ilkin Hasanov"),
    "azernews": ("Aydan Rahimova", "Orkhan Jalilov", "Sevda Huseynli", "Farid Mammadli"),
    "newsaz": ("News.Az", "Kamran Guliyev", "Leyla Nabiyeva"),
}


@lru_cache(maxsize=1)
def _pools() -> tuple:
    samples = load_sample_articles()
    sco_pars = [
        p for r in samples if r["sco"] for p in r["paragraphs"] if _SCO_RE.search(p) and "Azerbaijan" in p
    ]
    other_pars = [p for r in samples if not r["sco"] for p in r["paragraphs"]]
    sco_titles = [r["title"] for r in samples if r["sco"]]
    other_titles = [r["title"] for r in samples if not r["sco"]]
    other_summaries = [r["summary"] for r in samples if not r["sco"]]
    sco_summaries = [r["summary"] for r in samples if r["sco"]]
    other_sizes = [len(_e(p).encode("utf-8")) + 8 for p in other_pars]
    return sco_pars, other_pars, sco_titles, other_titles, sco_summaries, other_summaries, other_sizes


@lru_cache(maxsize=8)
def _chrome_size(site: str) -> int:
    """Bytes of a page of ``site`` without paragraphs, with a typical related list."""
    title = "x" * 70
    rec = {"site": site, "section": _SECTIONS[site][0], "id": 1_000_000, "slug": "x" * 60, "title": title,
           "author": "x" * 14, "summary": "x" * 180, "paragraphs": []}
    related = [(title, "/" + site + "/xxxxxxxxxx/1234567.html")] * _RELATED_COUNT[site]
    dt = datetime(2026, 11, 17, 12, 0, tzinfo=BAKU)
    base = "http://127.0.0.1:65535"
    return len(_RENDERERS[site](rec, dt, base + "/" + site + "/x/1.html", base, related).encode("utf-8"))


def generated_articles(n: int, *, start: datetime, seed: int = 0, size_bytes: int = 60_000,
                       span: timedelta = timedelta(days=7)) -> list[dict]:
    """``n`` deterministic records for benchmarks: spread over the three sites and evenly over ``span`` (a
    week unless given) from ``start`` (naive = Baku time), oldest first, about 1 in 10 SCO-positive,
    recombined from the sample paragraphs.
    ``padding_paragraphs`` (rendered after ``paragraphs`` in the article body) bring each page to about
    ``size_bytes`` of HTML."""
    sco_pars, other_pars, sco_titles, other_titles, sco_sums, other_sums, other_sizes = _pools()
    rng = random.Random(seed)
    start = start.replace(tzinfo=BAKU) if start.tzinfo is None else start.astimezone(BAKU)
    step = span / max(n, 1)
    n_other = len(other_pars)
    out = []
    for i in range(n):
        site = SITES[(i + seed) % 3]
        sco = i % 10 == seed % 10
        if sco:
            k = rng.randrange(len(sco_titles))
            title, summary = sco_titles[k], sco_sums[k]
            paragraphs = rng.sample(sco_pars, 3) + rng.sample(other_pars, 2)
            section = _SECTIONS[site][0]
        else:
            k = rng.randrange(len(other_titles))
            title, summary = other_titles[k], other_sums[k]
            paragraphs = rng.sample(other_pars, rng.randint(3, 6))
            section = _SECTIONS[site][rng.randrange(len(_SECTIONS[site]))]
        title = f"{title} ({i + 1})"
        need = size_bytes - _chrome_size(site) - sum(len(p.encode("utf-8")) + 8 for p in paragraphs)
        padding = []
        j = rng.randrange(n_other)
        while need > 0:
            padding.append(other_pars[j])
            need -= other_sizes[j]
            j = (j + 1) % n_other
        out.append({
            "slug": f"{_slugify(title)[:70].rstrip('-')}-g{seed}-{i + 1}",
            "site": site,
            "section": section,
            "id": (5_000_000 if site == "trend" else 300_000 if site == "azernews" else 10_000) + i + 1,
            "title": title,
            "author": _AUTHORS[site][i % len(_AUTHORS[site])],
            "published": (start + step * i).replace(microsecond=0).isoformat(),
            "summary": summary,
            "paragraphs": paragraphs,
            "padding_paragraphs": padding,
            "sco": sco,
        })
    return out
