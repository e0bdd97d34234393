"""A real local HTTP server imitating Trend, AzerNews and News.Az, with bundled sample articles.

Used by the test-suite (every test runs against 127.0.0.1, no internet), by benchmarks and by
``newsmon demo``. Pure standard library: ``http.server.ThreadingHTTPServer`` in a daemon thread.

The real sites differ in how they let a reader find news, and each imitation keeps that difference: Trend
(trend.az), a news agency, publishes an RSS feed and a dated archive page per day; AzerNews (azernews.az),
an English-language newspaper, publishes a feed with CDATA and HTML in it, a Google News sitemap and a
sitemap index split by month, and prints an article's date only as text; News.Az has no feed at all (its
/rss is an HTML page), only paged HTML listings, and serves each article at a second address whose
rel=canonical points at the first. One server holds all three sites under a path prefix each::

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
``304`` to a matching ``If-None-Match`` (or, without it, ``If-Modified-Since``). The records are in
`newsmon.demo.articles`, the page text in `newsmon.demo.pages`; this module serves them.
"""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import hashlib
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeAlias
from urllib.parse import parse_qs, urlsplit

from newsmon.demo import pages
from newsmon.demo.articles import (
    SITES,
    ServedArticle,
    article_path,
    boilerplate_headlines,
    load_sample_articles,
    normalize_record,
    served_article,
)

__all__ = ["RequestRecord", "SampleSites"]

_Query: TypeAlias = dict[str, list[str]]  # a parsed query string

# --------------------------------------------------------------------------------------------- records


class _Headers(dict[str, str]):
    """A plain dict of request headers with lower-case keys; lookups ignore case, as HTTP's do, so that a
    test can ask for ``If-None-Match`` whatever the client sent."""

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


# --------------------------------------------------------------------------------------------- dates


def _http_date(dt: datetime) -> str:
    return email.utils.format_datetime(dt.astimezone(UTC), usegmt=True)


def _floor_second(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(microsecond=0)


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
        self.sites.track_connection(request, True)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        try:
            super().shutdown_request(request)
        finally:
            self.sites.track_connection(request, False)

    def handle_error(self, request: Any, client_address: Any) -> None:  # silence tracebacks
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SampleSites/1.0"
    timeout = 30  # idle keep-alive connections are closed after this
    disable_nagle_algorithm = True  # headers and body go out in two writes; don't wait 40 ms between them
    server: _Server

    def do_GET(self) -> None:
        self.server.sites.answer(self, "GET")

    def do_HEAD(self) -> None:
        self.server.sites.answer(self, "HEAD")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class SampleSites:
    """The three imitation sites on one local server. Use as a context manager or start()/stop()."""

    def __init__(self, articles: list[dict[str, Any]] | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 cache_pages: bool = True, feed_depth: int | None = None,
                 listing_page_size: int = pages.LISTING_PAGE_SIZE) -> None:
        self.host = host
        self.port = port
        self.cache_pages = cache_pages  # False: article pages are rendered per request (big generated archives)
        self.feed_depth = feed_depth    # the newest items a feed lists (real feeds: ~25); None: all
        self.listing_page_size = listing_page_size
        self._positions: dict[str, int] | None = None
        self._lock = threading.RLock()
        self._entries: dict[str, list[ServedArticle]] = {s: [] for s in SITES}  # newest first
        self._paths: dict[str, ServedArticle] = {}
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
            self._insert(normalize_record(record))
        for site in SITES:
            self._entries[site].sort(key=lambda e: e.key, reverse=True)
            newest = self._entries[site][0].dt if self._entries[site] else datetime(2026, 1, 1, tzinfo=UTC)
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

    def track_connection(self, conn: Any, add: bool) -> None:
        """The server's open connections (its request threads call this), so that stop() can close them."""
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

    def source_config(self) -> list[dict[str, Any]]:
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

    def article_url(self, record: dict[str, Any]) -> str:
        """The canonical URL of a record on this server."""
        return self.base_url + article_path(normalize_record(record))

    # ---- content

    @property
    def articles(self) -> list[dict[str, Any]]:
        """Copies of the records served now: trend, azernews, newsaz, each newest first."""
        with self._lock:
            return [dict(e.record) for s in SITES for e in self._entries[s]]

    def add_article(self, record: dict[str, Any]) -> None:
        """Publish a record: it appears in its site's feed/listing at once. A record with the same URL as
        an existing one replaces it (an edited article)."""
        rec = normalize_record(record)
        with self._lock:
            entry = self._insert(rec)
            self._entries[entry.site].sort(key=lambda e: e.key, reverse=True)
            self._modified[entry.site] = max(
                self._modified[entry.site] + timedelta(seconds=1), _floor_second(entry.dt)
            )
            self._cache.clear()
            self._positions = None

    def _insert(self, rec: dict[str, Any]) -> ServedArticle:
        entry = served_article(rec)
        path = entry.path
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
        headers: dict[str, str] | None = None,
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

    def answer(self, handler: _Handler, method: str) -> None:
        """One request (the handler calls this): recorded, then an override's answer or the page's."""
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
            else:
                self._answer_override(handler, rec, ov, head=method == "HEAD")
        except OSError:  # the client went away
            handler.close_connection = True

    def _answer_override(self, handler: _Handler, rec: RequestRecord, ov: _Override, *, head: bool) -> None:
        """A canned behaviour: the wait comes first, and a stop() during it ends the request unanswered."""
        if ov.delay and self._stop.wait(ov.delay):
            handler.close_connection = True
            return
        if ov.hang:
            self._stop.wait()
            handler.close_connection = True
            return
        resp = self._override_response(rec.path, handler.headers, ov)
        if ov.headers:
            names = {k.lower() for k in ov.headers}
            resp.headers = [(k, v) for k, v in resp.headers if k.lower() not in names]
            resp.headers += list(ov.headers.items())
        if ov.trickle is not None:
            self._send_trickle(handler, rec, resp, ov.trickle)
        else:
            self._send(handler, rec, resp, head=head)

    def _override_response(self, path: str, req_headers: Message, ov: _Override) -> _Response:
        """A redirect; the real page when the override sets neither status nor body and there is one (to be
        delayed or trickled); else the override's status and body."""
        if ov.redirect_to is not None:
            code = ov.status if ov.status in (301, 302, 303, 307, 308) else 302
            return _Response(code, [("Location", ov.redirect_to), ("Content-Length", "0")])
        if ov.status is None and ov.body is None and (resp := self._route(path, req_headers)).status != 404:
            return resp
        body = ov.body or b""
        return _Response(ov.status or 200, [("Content-Type", "text/html; charset=utf-8")], body)

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

    def _route(self, path_qs: str, req_headers: Message) -> _Response:
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
    def _not_modified(req_headers: Message, resp: _Response) -> bool:
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
                since = since.replace(tzinfo=UTC)
            return resp.last_modified <= since
        return False


    def _render(self, path: str, query: _Query) -> _Response:
        """The answer for ``path`` before any conditional GET: a fixed page, a page whose path carries a
        parameter (month, day), or an article page; everything else is a 404."""
        fixed = self._fixed_routes.get(path)
        if fixed is not None:
            return fixed(self, query)
        for pattern, route in self._pattern_routes:
            m = pattern.fullmatch(path)
            if m:
                return route(self, m)
        entry = self._paths.get(path)
        if entry is None:
            return self._not_found()
        return self._ok(self._render_article(entry), "text/html; charset=utf-8", _floor_second(entry.dt))

    # ---- the routes; each runs under self._lock

    def _feed_items(self, site: str) -> list[ServedArticle]:
        return self._entries[site][:self.feed_depth]

    def _trend_feed(self, query: _Query) -> _Response:
        text = pages.trend_feed(self._feed_items("trend"), self.base_url, self._modified["trend"])
        return self._ok(text, "application/rss+xml; charset=utf-8", self._modified["trend"])

    def _azernews_feed(self, query: _Query) -> _Response:
        text = pages.azernews_feed(self._feed_items("azernews"), self.base_url, self._modified["azernews"])
        return self._ok(text, "text/xml; charset=utf-8", self._modified["azernews"])

    def _azernews_sitemap(self, query: _Query) -> _Response:
        text = pages.azernews_sitemap(self._entries["azernews"], self.base_url)
        return self._ok(text, "application/xml; charset=utf-8", self._modified["azernews"])

    def _azernews_sitemap_index(self, query: _Query) -> _Response:
        text = pages.azernews_sitemap_index(self._entries["azernews"], self.base_url)
        return self._ok(text, "application/xml; charset=utf-8", self._modified["azernews"])

    def _newsaz_listing(self, query: _Query) -> _Response:
        try:
            page = int(query.get("page", ["1"])[0])
        except ValueError:
            page = 0
        text = pages.newsaz_listing(self._entries["newsaz"], page, self.listing_page_size)
        if text is None:
            return self._not_found()
        return self._ok(text, "text/html; charset=utf-8", self._modified["newsaz"])

    def _newsaz_rss(self, query: _Query) -> _Response:
        return self._ok(pages.newsaz_rss_page(), "text/html; charset=utf-8", None)

    def _robots_txt(self, query: _Query) -> _Response:
        return self._ok("User-agent: *\nDisallow:\n", "text/plain; charset=utf-8", None)

    def _index(self, query: _Query) -> _Response:
        return self._ok(pages.index_page(), "text/html; charset=utf-8", None)

    def _azernews_month_sitemap(self, m: re.Match[str]) -> _Response:
        """A child of the sitemap index: the urlset of one Baku month, gzipped when the path ends in .gz (the
        index names only those); last modified when the month's newest article appeared."""
        month = (int(m.group(1)), int(m.group(2)))
        entries = [e for e in self._entries["azernews"] if pages.baku_month(e.dt) == month]
        if not entries:
            return self._not_found()
        text = pages.azernews_sitemap(entries, self.base_url)
        resp = self._ok(text, "application/xml; charset=utf-8", entries[0].dt)
        if m.group(3):
            resp.body = gzip.compress(resp.body, mtime=0)
            resp.headers = [("Content-Type", "application/x-gzip") if k == "Content-Type" else (k, v)
                            for k, v in resp.headers]
        return resp

    def _trend_archive(self, m: re.Match[str]) -> _Response:
        try:
            day = date.fromisoformat(m.group(1))
        except ValueError:  # shaped like a date but not one, such as 2026-02-30
            return self._not_found()
        text = pages.trend_archive(self._entries["trend"], day)
        return self._ok(text, "text/html; charset=utf-8", self._modified["trend"])

    _fixed_routes: dict[str, Callable[[SampleSites, _Query], _Response]] = {
        "/trend/feeds/index.rss": _trend_feed,
        "/azernews/feed.php": _azernews_feed,
        "/azernews/sitemap.xml": _azernews_sitemap,
        "/azernews/sitemap-index.xml": _azernews_sitemap_index,
        "/newsaz/news": _newsaz_listing,
        "/newsaz/rss": _newsaz_rss,
        "/newsaz/rss/": _newsaz_rss,
        "/robots.txt": _robots_txt,
        "/": _index,
    }
    # No fixed path and no article path matches one of these, so their order among the routes is free.
    _pattern_routes: tuple[tuple[re.Pattern[str], Callable[[SampleSites, re.Match[str]], _Response]], ...] = (
        (re.compile(r"/azernews/sitemap-(\d{4})-(\d{2})\.xml(\.gz)?"), _azernews_month_sitemap),
        (re.compile(r"/trend/archive/(\d{4}-\d{2}-\d{2})"), _trend_archive),
    )

    # ---- building answers

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

    def _related(self, entry: ServedArticle) -> list[tuple[str, str]]:
        """The related list of an article page: its neighbours in the site's order (older first, then newer),
        topped up with chrome headlines on a site with few articles, so every page has the same shape."""
        items = self._entries[entry.site]
        want = pages.RELATED_COUNT[entry.site]
        if self._positions is None:
            self._positions = {e.path: k for site in SITES for k, e in enumerate(self._entries[site])}
        i = self._positions.get(entry.path, 0)
        others = [e for e in items[i + 1 : i + 1 + want] + items[max(0, i - want) : i] if e is not entry]
        out = [(e.record["title"], e.path) for e in others[:want]]
        filler = boilerplate_headlines(entry.site)
        k = 0
        while len(out) < want and k < len(filler):
            out.append((filler[k], f"/{entry.site}/latest"))
            k += 1
        return out

    def _render_article(self, entry: ServedArticle) -> str:
        url = self.base_url + entry.path
        return pages.article_page(entry.record, entry.dt, url, self.base_url, self._related(entry))
