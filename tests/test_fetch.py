"""The fetcher's limits, each against a real local server misbehaving in one way."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import time
import zlib
from pathlib import Path
from typing import Any

import pytest

from newsmon.config import parse_config
from newsmon.errors import FetchError, RefusedURL
from newsmon.pipeline.fetch import Fetcher
from newsmon.pipeline.settings import FetchSettings

LOCAL = frozenset({"127.0.0.1"})


def fetch_settings(**overrides: Any) -> FetchSettings:
    """The defaults of [fetch], with `overrides`."""
    return dataclasses.replace(parse_config({}, Path("config.toml")).fetch, **overrides)


def fetch(url: str, *, allowed: frozenset[str] = LOCAL, **cfg: Any) -> Any:
    settings = dict(timeout_seconds=2.0, connect_timeout_seconds=1.0, per_host_delay_seconds=0.0, retries=1,
                    backoff_seconds=0.01, max_retry_after_seconds=2.0, max_bytes=100_000)
    settings.update(cfg)

    async def go() -> Any:
        async with Fetcher(fetch_settings(**settings)) as f:
            return await f.get(url, allowed_hosts=allowed)
    return asyncio.run(go())


def test_response_larger_than_max_bytes_is_refused_from_its_content_length(sites: Any) -> None:
    sites.override("/big", body=b"x" * 200_000)
    with pytest.raises(FetchError, match="larger than max_bytes") as err:
        fetch(sites.base_url + "/big")
    assert err.value.permanent


def test_gzip_bomb_is_cut_off_after_max_bytes_of_output(sites: Any) -> None:
    sites.override("/bomb", body=gzip.compress(b"\0" * 50_000_000), headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="larger than max_bytes .*after decompression"):
        fetch(sites.base_url + "/bomb")


def test_gzip_and_deflate_bodies_are_decoded(sites: Any) -> None:
    sites.override("/gz", body=gzip.compress(b"hello gzip"), headers={"Content-Encoding": "gzip"})
    sites.override("/df", body=zlib.compress(b"hello deflate"), headers={"Content-Encoding": "deflate"})
    assert fetch(sites.base_url + "/gz").content == b"hello gzip"
    assert fetch(sites.base_url + "/df").content == b"hello deflate"


def test_trickling_server_is_cut_off_at_the_whole_request_deadline(sites: Any) -> None:
    sites.override("/slow", trickle=0.2)
    started = time.monotonic()
    with pytest.raises(FetchError, match="no complete answer within 1 s"):
        fetch(sites.base_url + "/slow", timeout_seconds=1.0)
    assert time.monotonic() - started < 3


def test_hanging_server_times_out(sites: Any) -> None:
    sites.override("/hang", hang=True)
    started = time.monotonic()
    with pytest.raises(FetchError):
        fetch(sites.base_url + "/hang", timeout_seconds=1.0)
    assert time.monotonic() - started < 3


def test_redirect_loop_stops_after_five_redirects(sites: Any) -> None:
    sites.override("/a", status=302, redirect_to="/b")
    sites.override("/b", status=302, redirect_to="/a")
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch(sites.base_url + "/a")
    assert len(sites.requests_to("/a")) + len(sites.requests_to("/b")) == 6


def test_redirect_to_another_host_is_refused_before_connecting(sites: Any) -> None:
    sites.override("/away", status=302, redirect_to="http://evil.invalid/x")
    with pytest.raises(RefusedURL, match="evil.invalid"):
        fetch(sites.base_url + "/away")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "http://evil.invalid/a",
                                 "gopher://127.0.0.1:70/"])
def test_links_to_other_hosts_or_schemes_are_refused(url: str) -> None:
    with pytest.raises(RefusedURL):
        fetch(url)


def test_5xx_is_retried_then_reported(sites: Any) -> None:
    sites.override("/err", status=500, body=b"oops")
    with pytest.raises(FetchError, match="HTTP 500"):
        fetch(sites.base_url + "/err", retries=2)
    assert len(sites.requests_to("/err")) == 3


def test_retry_after_is_honoured_on_503(sites: Any) -> None:
    sites.override("/busy", status=503, headers={"Retry-After": "1"})
    started = time.monotonic()
    with pytest.raises(FetchError, match="HTTP 503"):
        fetch(sites.base_url + "/busy", retries=1)
    hits = sites.requests_to("/busy")
    assert len(hits) == 2 and hits[1].time - hits[0].time >= 0.95
    assert time.monotonic() - started < 4


def test_retry_after_longer_than_the_limit_gives_up_at_once(sites: Any) -> None:
    sites.override("/later", status=429, headers={"Retry-After": "3600"})
    with pytest.raises(FetchError, match="Retry-After 3600 s is longer"):
        fetch(sites.base_url + "/later")
    assert len(sites.requests_to("/later")) == 1


def test_connection_refused_is_retried_and_reported() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError, match=rf"http://127.0.0.1:{port}/: connection refused by 127.0.0.1:{port} "):
        fetch(f"http://127.0.0.1:{port}/", retries=1)


def test_requests_to_one_host_are_spaced_by_the_delay(sites: Any) -> None:
    sites.override("/p", body=b"ok")

    async def go() -> None:
        cfg = fetch_settings(per_host_delay_seconds=0.3, timeout_seconds=2)
        async with Fetcher(cfg) as f:
            await asyncio.gather(*(f.get(sites.base_url + "/p", allowed_hosts=LOCAL) for _ in range(4)))
    asyncio.run(go())
    times = [r.time for r in sites.requests_to("/p")]
    assert len(times) == 4
    assert all(b - a >= 0.28 for a, b in zip(times, times[1:]))


def test_conditional_get_sends_validators_and_gets_304(sites: Any) -> None:
    first = fetch(sites.trend_feed_url)
    etag = first.headers.get("etag")
    assert etag

    async def again() -> Any:
        async with Fetcher(fetch_settings(per_host_delay_seconds=0)) as f:
            return await f.get(sites.trend_feed_url, allowed_hosts=LOCAL, etag=etag,
                               last_modified=first.headers.get("last-modified"))
    assert asyncio.run(again()).not_modified
    assert sites.requests[-1].headers.get("If-None-Match") == etag
