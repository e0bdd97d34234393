"""The only module that talks HTTP.

A `Fetcher` is polite and defensive by construction, because feeds are written by strangers: it sends
requests only over http(s) and only to allowed hosts (redirects included), spaces requests to one host
name, retries what may pass (connection errors, 5xx, 429/503 with Retry-After), and cuts off any answer
that is too large (after decompression) or too slow (one deadline for the whole request), reading no
more than it must.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import socket
import ssl
import sys
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from newsmon.errors import FetchError, RefusedURL, RequestBudgetSpent
from newsmon.pipeline.settings import FetchSettings
from newsmon.pipeline.urls import absolute, host_of

UNUSED_BY_HTTPX = ("httpx._main", "trio")   # hidden from httpx and httpcore as they are imported


def _import_httpx_lean() -> None:
    """httpx and httpcore without what they import, when it is installed, for what newsmon never does: httpx's
    command-line client (rich, pygments: ~45 ms of every start-up) and httpcore's trio support (~70 ms; trio
    comes with selenium, a test dependency). A module set to None in sys.modules is an ImportError, which both
    handle; the names are given back afterwards, so that anything else may still import those modules."""
    hidden = [name for name in UNUSED_BY_HTTPX if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import httpcore  # noqa: F401 - httpx imports it only when the first client is made
        import httpx  # noqa: F401
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]


_import_httpx_lean()

import httpx  # noqa: E402

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Page:
    """A fetched answer. `url` is where it came from after redirects; headers have lower-case names."""

    url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def check_url(url: str, allowed_hosts: Collection[str]) -> None:
    """Raise RefusedURL unless `url` is http(s) on an allowed host: the defence against feeds that point
    at internal services or local files. Checked before any connection is made."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in ("http", "https"):
        raise RefusedURL(f"refused {url!r}: only http and https are fetched", url=url)
    host = host_of(url)
    if not host:
        raise RefusedURL(f"refused {url!r}: no host name", url=url)
    if host not in allowed_hosts:
        raise RefusedURL(f"refused {url}: host {host!r} is not in allowed_hosts", url=url)


class Fetcher:
    """HTTP GET with the limits of `[fetch]`. Use as `async with Fetcher(cfg) as f: await f.get(...)`.

    `max_requests` is a budget: past it, every request raises RequestBudgetSpent before anything is sent
    (retries, redirects and robots.txt count). A host may ask for more time between requests than
    `per_host_delay_seconds` (robots.txt's Crawl-delay): `slow_down` takes that. `sleep` and `clock` are
    parameters so tests and the scheduler can run it on their own time.
    """

    def __init__(self, cfg: FetchSettings, *, max_requests: int | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic):
        self.cfg = cfg
        self.max_requests = max_requests
        self._sleep = sleep
        self._clock = clock
        self._hosts: dict[str, tuple[asyncio.Lock, list[float]]] = {}
        self._delays: dict[str, float] = {}
        self._client: httpx.AsyncClient | None = None
        self.requests = 0

    def slow_down(self, host: str, seconds: float) -> None:
        """Space requests to `host` by at least `seconds` from now on (never less than per_host_delay)."""
        self._delays[host] = max(self._delays.get(host, 0.0), seconds)

    def delay_for(self, host: str) -> float:
        return max(self.cfg.per_host_delay_seconds, self._delays.get(host, 0.0))

    async def __aenter__(self) -> Fetcher:
        timeout = httpx.Timeout(self.cfg.timeout_seconds,
                                connect=min(self.cfg.connect_timeout_seconds, self.cfg.timeout_seconds))
        self._client = httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, trust_env=False,
            headers={"User-Agent": self.cfg.user_agent, "Accept-Encoding": "gzip, deflate"})
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def get(self, url: str, *, allowed_hosts: Collection[str], etag: str | None = None,
                  last_modified: str | None = None, max_bytes: int | None = None) -> Page:
        """GET `url`, following up to five redirects within `allowed_hosts`.

        A 304 answer (when validators were given) comes back as a Page with `not_modified`; any other
        non-2xx answer, refusal or timeout raises FetchError.
        """
        limit = max_bytes if max_bytes is not None else self.cfg.max_bytes
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            check_url(current, allowed_hosts)
            page = await self._get_with_retries(current, headers, limit)
            if page.status not in _REDIRECTS:
                return page
            location = page.headers.get("location")
            if not location:
                raise FetchError(f"{current}: HTTP {page.status} redirect without Location", url=url,
                                 status=page.status)
            current = absolute(current, location)
            log.debug("redirect %s -> %s", page.url, current)
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects", url=url, permanent=True)

    async def _get_with_retries(self, url: str, headers: dict[str, str], limit: int) -> Page:
        cfg = self.cfg
        for attempt in range(cfg.retries + 1):
            last = attempt == cfg.retries
            try:
                page = await self._attempt(url, headers, limit)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError,
                    httpx.ReadError, httpx.WriteError) as e:
                if last:
                    raise FetchError(f"{url}: {connection_problem(e, url, cfg)}", url=url) from None
                wait = cfg.backoff_seconds * 2 ** attempt
                log.info("%s: %s; retrying in %.1f s", url, connection_problem(e, url, cfg), wait)
                await self._sleep(wait)
                continue
            if page.status >= 500 or page.status == 429:
                if last:
                    raise FetchError(f"{url}: HTTP {page.status}", url=url, status=page.status)
                wait = cfg.backoff_seconds * 2 ** attempt
                if page.status in (429, 503) and "retry-after" in page.headers:
                    asked = retry_after_seconds(page.headers["retry-after"], datetime.now(UTC))
                    if asked is not None:
                        if asked > cfg.max_retry_after_seconds:
                            raise FetchError(f"{url}: HTTP {page.status}, Retry-After {asked:.0f} s is longer than "
                                             f"max_retry_after_seconds", url=url, status=page.status)
                        wait = max(wait, asked)
                log.info("%s: HTTP %s; retrying in %.1f s", url, page.status, wait)
                await self._sleep(wait)
                continue
            if page.status >= 400:
                raise FetchError(f"{url}: HTTP {page.status}", url=url, status=page.status,
                                 permanent=page.status in (404, 410))
            return page
        raise AssertionError("unreachable")

    async def _attempt(self, url: str, headers: dict[str, str], limit: int) -> Page:
        assert self._client is not None, "use Fetcher as an async context manager"
        async with self._host_slot(host_of(url)):
            if self.max_requests is not None and self.requests >= self.max_requests:
                raise RequestBudgetSpent(f"the request budget of {self.max_requests} is spent")
            started = self._clock()
            self.requests += 1
            try:
                async with asyncio.timeout(self.cfg.timeout_seconds):
                    page = await self._send(url, headers, limit)
            except TimeoutError:
                raise FetchError(f"{url}: no complete answer within {self.cfg.timeout_seconds:g} s", url=url) from None
            except httpx.TimeoutException as e:
                if isinstance(e, httpx.ConnectTimeout):
                    raise
                raise FetchError(f"{url}: {host_of(url)} stopped answering (no data for "
                                 f"{self.cfg.timeout_seconds:g} s)", url=url) from None
        log.info("GET %s -> %s (%s bytes, %.2f s)", url, page.status, len(page.content), self._clock() - started)
        return page

    async def _send(self, url: str, headers: dict[str, str], limit: int) -> Page:
        assert self._client is not None
        request = self._client.build_request("GET", url, headers=headers)
        response = await self._client.send(request, stream=True)
        try:
            resp_headers = {k.lower(): v for k, v in response.headers.items()}
            if response.status_code in _REDIRECTS or response.status_code == 304 or response.status_code >= 400:
                return Page(url=url, status=response.status_code, headers=resp_headers)
            encoding = resp_headers.get("content-encoding", "identity").strip().lower()
            declared = resp_headers.get("content-length", "")
            if encoding in ("", "identity") and declared.isdigit() and int(declared) > limit:
                raise FetchError(f"{url}: response of {int(declared):,} bytes is larger than max_bytes "
                                 f"({limit:,})", url=url, permanent=True)
            decoder = _Decoder(encoding, url)
            body = bytearray()
            async for chunk in response.aiter_raw(_CHUNK):
                for piece in decoder.feed(chunk, limit - len(body) + 1):
                    body += piece
                    if len(body) > limit:
                        raise FetchError(f"{url}: response is larger than max_bytes ({limit:,}) "
                                         f"{'after decompression' if encoding not in ('', 'identity') else ''}"
                                         .rstrip(), url=url, permanent=True)
            body += decoder.flush(limit - len(body) + 1)
            if len(body) > limit:
                raise FetchError(f"{url}: response is larger than max_bytes ({limit:,})", url=url, permanent=True)
            return Page(url=url, status=response.status_code, headers=resp_headers, content=bytes(body))
        finally:
            await response.aclose()

    @asynccontextmanager
    async def _host_slot(self, host: str) -> AsyncIterator[None]:
        """One request at a time per host name, each starting at least `delay_for(host)` after the previous
        one ended, so the server never sees two closer than that however long connecting took."""
        lock, last = self._hosts.setdefault(host, (asyncio.Lock(), [float("-inf")]))
        async with lock:
            wait = last[0] + self.delay_for(host) - self._clock()
            if wait > 0:
                await self._sleep(wait)
            try:
                yield
            finally:
                last[0] = self._clock()


class _Decoder:
    """gzip/deflate decoding that never produces more than asked for, so a small compressed bomb cannot
    expand into memory: the caller stops as soon as the running total passes max_bytes."""

    def __init__(self, encoding: str, url: str):
        self.url = url
        if encoding in ("", "identity"):
            self._z = None
        elif encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj(zlib.MAX_WBITS | 32)
            self._raw_deflate_checked = False
        else:
            raise FetchError(f"{url}: unsupported Content-Encoding {encoding!r}", url=url, permanent=True)
        self.encoding = encoding

    def feed(self, data: bytes, room: int) -> list[bytes]:
        if self._z is None:
            return [data]
        if self.encoding == "deflate" and not self._raw_deflate_checked:
            self._raw_deflate_checked = True
            if data and (data[0] & 0x0F) != 8:  # no zlib header: a raw deflate stream, as some servers send
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
        out = []
        try:
            while data:
                piece = self._z.decompress(data, max(room, 1))
                out.append(piece)
                room -= len(piece)
                if room <= 0:
                    break
                data = self._z.unconsumed_tail
        except zlib.error as e:
            raise FetchError(f"{self.url}: corrupt {self.encoding} body: {e}", url=self.url) from None
        return out

    def flush(self, room: int) -> bytes:
        if self._z is None:
            return b""
        try:
            return self._z.flush(max(room, 1)) if hasattr(self._z, "flush") else b""
        except zlib.error as e:
            raise FetchError(f"{self.url}: corrupt {self.encoding} body: {e}", url=self.url) from None


def retry_after_seconds(value: str, now: datetime) -> float | None:
    """Retry-After as seconds from `now`: either delta-seconds or an HTTP date."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def connection_problem(e: Exception, url: str, cfg: FetchSettings) -> str:
    """What went wrong with a connection, in words a user can act on: the cause is found down the chain of
    exceptions httpx raises (`ConnectError` → ... → `socket.gaierror`)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    chain = list(_causes(e))
    if isinstance(e, httpx.ConnectTimeout):
        return f"no connection to {host}:{port} within {min(cfg.connect_timeout_seconds, cfg.timeout_seconds):g} s"
    for cause in chain:
        if isinstance(cause, socket.gaierror):
            return f"cannot resolve {host} (no network or DNS?)"
        if isinstance(cause, ConnectionRefusedError):
            return f"connection refused by {host}:{port} (is the site down, is the port right?)"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS failed with {host}: certificate not trusted ({cause.verify_message or cause.reason})"
        if isinstance(cause, ssl.SSLError):
            return f"TLS failed with {host}: {cause.reason or cause}"
    if isinstance(e, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return f"{host} closed the connection ({_first_words(chain)})"
    return f"cannot connect to {host}:{port} ({_first_words(chain)})"


def _causes(e: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = e
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _first_words(chain: list[BaseException]) -> str:
    """The first message down the chain that says something (httpx's own are often empty)."""
    return next((str(c) for c in chain if str(c)), type(chain[0]).__name__)
