"""`newsmon backfill` against a generated archive on the local sample sites: range, resume, politeness,
broken pages, robots.txt, --max-requests and --urls."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import create_engine, text

from newsmon.demo.configs import write_config
from newsmon.demo.generated import generated_articles
from newsmon.demo.pages import LISTING_PAGE_SIZE
from newsmon.demo.sites import SampleSites
from newsmon.pipeline.discover import SitemapEntry
from newsmon.pipeline.walk import (
    Window,
    archive_days,
    archive_url,
    fingerprint,
    sitemap_candidates,
    window_for,
)
from tests.conftest import run_cli

BAKU = timezone(timedelta(hours=4))
ARCHIVE_START = datetime(2026, 1, 5)          # a Monday, Baku time: 2026-W02
ARTICLE_PATH = re.compile(r"^/(trend/[a-z-]+/[a-z-]+/\d+\.html|azernews/[a-z-]+/\d+\.html|newsaz/news/[a-z0-9-]+)$")


# ---- pure pieces ------------------------------------------------------------------------------------------

def test_window_is_whole_days_in_the_digest_zone_both_inclusive() -> None:
    w = window_for(date(2026, 3, 16), date(2026, 3, 22), ZoneInfo("Asia/Baku"))
    assert w.holds(datetime(2026, 3, 16, 0, 0, tzinfo=BAKU))
    assert w.holds(datetime(2026, 3, 22, 23, 59, tzinfo=BAKU))
    assert not w.holds(datetime(2026, 3, 23, 0, 0, tzinfo=BAKU))
    assert not w.holds(datetime(2026, 3, 15, 19, 59, tzinfo=UTC))   # 23:59 in Baku on the 15th
    assert str(w) == "2026-03-16..2026-03-22"


def test_archive_days_newest_first_in_the_archive_zone_and_templates() -> None:
    w = window_for(date(2026, 3, 16), date(2026, 3, 18), ZoneInfo("Asia/Baku"))
    assert archive_days(w, ZoneInfo("Asia/Baku")) == [date(2026, 3, 18), date(2026, 3, 17), date(2026, 3, 16)]
    # a site in UTC: Baku's 16th begins on the 15th at 20:00 UTC
    assert archive_days(w, ZoneInfo("UTC"))[-1] == date(2026, 3, 15)
    assert archive_url("https://x/archive/{date:%Y/%m/%d}?p={page}", date(2026, 3, 5), 2) == \
        "https://x/archive/2026/03/05?p=2"


def test_sitemap_dates_skip_only_what_is_surely_out_of_range() -> None:
    w = Window(datetime(2026, 3, 16, tzinfo=BAKU), datetime(2026, 3, 23, tzinfo=BAKU))
    before, inside, after = (datetime(2026, 3, d, 12, tzinfo=BAKU) for d in (10, 18, 28))
    entries = [
        SitemapEntry("https://s/a/1.html", lastmod=before),                    # old and not edited since: skip
        SitemapEntry("https://s/a/2.html", lastmod=after),                     # edited later: may be in range
        SitemapEntry("https://s/a/3.html"),                                    # no dates at all: fetch
        SitemapEntry("https://s/a/4.html", lastmod=after, published=before),   # published before: skip
        SitemapEntry("https://s/a/5.html", lastmod=after, published=after),    # published after: skip
        SitemapEntry("https://s/a/6.html", lastmod=inside, published=inside, title="T"),
        SitemapEntry("https://s/tag/sco"),                                     # not an article
    ]
    found, skipped = sitemap_candidates(entries, w, re.compile(r"/a/\d+\.html$"), "https://s/sitemap.xml")
    assert [c.url for c in found] == ["https://s/a/2.html", "https://s/a/3.html", "https://s/a/6.html"]
    assert skipped == 3
    assert found[2].published == inside and found[2].title == "T"
    assert fingerprint(found) == fingerprint(list(reversed(found)))


# ---- the generated archive --------------------------------------------------------------------------------

def archive(n: int, weeks: int, start: datetime = ARCHIVE_START, seed: int = 7) -> list[dict[str, Any]]:
    return generated_articles(n, start=start, seed=seed, size_bytes=0, span=timedelta(weeks=weeks))


def baku_day(record: dict[str, Any]) -> date:
    return datetime.fromisoformat(record["published"]).astimezone(BAKU).date()


def in_range(records: list[dict[str, Any]], since: date, until: date) -> list[dict[str, Any]]:
    return [r for r in records if since <= baku_day(r) <= until]


def config_for(tmp_path: Path, sites: SampleSites, storage_url: str | None = None, **fetch: Any) -> tuple[Path, str]:
    """All three discovery kinds: Trend's dated archive, AzerNews' sitemap index, News.Az's listing pages."""
    sources = sites.source_config()
    for s in sources:
        s.pop("feeds", None)
    sources[1]["sitemaps"] = [sites.azernews_sitemap_index_url]
    url = storage_url or f"sqlite:///{tmp_path / 'newsmon.db'}"
    return write_config(tmp_path, sources, storage_url=url, fetch=fetch), url


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def stored_urls(url: str) -> list[str]:
    return [r[0] for r in query(url, "SELECT url FROM articles")]


def requested(sites: SampleSites) -> list[str]:
    return [sites.base_url + r.path for r in sites.requests]


def article_requests(sites: SampleSites) -> list[str]:
    return [sites.base_url + r.path for r in sites.requests if ARTICLE_PATH.match(r.path)]


def finished_work(url: str) -> tuple[set[str], set[str]]:
    """(discovery pages finished, article URLs stored or remembered as skipped) in the checkpoint."""
    pages = {r[0] for r in query(url, "SELECT url FROM backfill_pages WHERE status <> 'failed'")}
    articles = {r[0] for r in query(url, "SELECT url FROM article_urls UNION SELECT url FROM backfill_skips")}
    return pages, articles


@pytest.fixture
def big() -> Iterator[tuple[SampleSites, list[dict[str, Any]]]]:
    """~2,000 articles over 20 weeks (2026-W02 .. W21), the three sites."""
    records = archive(2000, 20)
    with SampleSites(records) as sites:
        yield sites, records


SINCE, UNTIL = date(2026, 3, 16), date(2026, 5, 10)        # 8 weeks: 2026-W12 .. W19
RANGE = ("--since", SINCE.isoformat(), "--until", UNTIL.isoformat())


# ---- acceptance ---------------------------------------------------------------------------------------------

def test_eight_weeks_of_twenty_stores_exactly_the_range_tags_them_and_the_digest_lists_them(
        tmp_path: Path, big: tuple[SampleSites, list[dict[str, Any]]]) -> None:
    sites, records = big
    config, db = config_for(tmp_path, sites)
    code, out, err = run_cli("--config", str(config), "backfill", *RANGE)
    assert code == 0, err[-3000:]
    expected = in_range(records, SINCE, UNTIL)
    assert 700 < len(expected) < 900
    rows = stored_urls(db)
    assert len(rows) == len(set(rows))
    assert set(rows) == {sites.article_url(r) for r in expected}
    tagged = {r[0] for r in query(db, "SELECT a.url FROM articles a JOIN article_topics t ON t.article_id = a.id "
                                      "WHERE t.topic = 'sco_azerbaijan'")}
    assert tagged == {sites.article_url(r) for r in expected if r["sco"]}
    assert f"{len(expected):,} stored ({len(tagged)} tagged)" in out

    # discovery asked for nothing it could know was out of range
    paths = [r.path for r in sites.requests]
    days = {date.fromisoformat(p.rsplit("/", 1)[1]) for p in paths if p.startswith("/trend/archive/")}
    assert days == {SINCE + timedelta(days=i) for i in range((UNTIL - SINCE).days + 1)}
    azernews = {sites.base_url + p for p in paths if p.startswith("/azernews/") and ARTICLE_PATH.match(p)}
    assert azernews == {sites.article_url(r) for r in expected if r["site"] == "azernews"}
    newsaz = sorted((r for r in records if r["site"] == "newsaz"), key=lambda r: r["published"], reverse=True)
    pages = [newsaz[i:i + LISTING_PAGE_SIZE] for i in range(0, len(newsaz), LISTING_PAGE_SIZE)]
    last_page = next(i for i, page in enumerate(pages, start=1) if all(baku_day(r) < SINCE for r in page))
    walked = {int(p.split("page=")[1]) for p in paths if p.startswith("/newsaz/news?page=")}
    assert walked == set(range(1, last_page + 1))
    assert len(paths) == len(set(paths)), "a page was requested twice"

    # the digest of one of those weeks lists the week's tagged articles
    week = [r for r in expected if r["sco"] and datetime.fromisoformat(r["published"]).isocalendar()[:2] == (2026, 15)]
    assert week
    code, out, err = run_cli("--config", str(config), "digest", "--week", "2026-W15", "--dry-run",
                             "--out", str(tmp_path / "out"))
    assert code == 0, err
    digest = (tmp_path / "out" / "digest-2026-W15.txt").read_text(encoding="utf-8")
    for r in week:
        assert sites.article_url(r) in digest, r["title"]

    # the same command again: no article is requested (stored, or remembered as out of range)
    sites.clear_requests()
    code, out, err = run_cli("--config", str(config), "backfill", *RANGE)
    assert code == 0, err[-2000:]
    assert article_requests(sites) == []
    assert sorted(stored_urls(db)) == sorted(rows)


def wait_for_rows(db: str, at_least: int, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        try:
            if query(db, "SELECT count(*) FROM articles")[0][0] >= at_least:
                return
        except Exception:  # noqa: BLE001 - the database may not exist yet, or be mid-migration
            continue
    raise AssertionError(f"backfill never stored {at_least} articles (exit {proc.poll()})")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["SIGINT", "SIGTERM", "kill-9"])
def test_interrupted_at_half_then_rerun_completes_without_repeating_finished_work(
        tmp_path: Path, big: tuple[SampleSites, list[dict[str, Any]]], sig: int) -> None:
    sites, records = big
    config, db = config_for(tmp_path, sites)
    expected = {sites.article_url(r) for r in in_range(records, SINCE, UNTIL)}
    command = [sys.executable, "-m", "newsmon", "--config", str(config), "backfill", *RANGE]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_rows(db, len(expected) // 2, proc)
    os.kill(proc.pid, sig)
    out, err = proc.communicate(timeout=60)
    if sig in (signal.SIGINT, signal.SIGTERM):
        assert proc.returncode == 130, err[-2000:]
        assert "progress is saved" in err and "Traceback" not in err
    else:
        assert proc.returncode == -signal.SIGKILL
    partial = set(stored_urls(db))
    assert 0 < len(partial) < len(expected)
    pages_done, articles_done = finished_work(db)
    assert pages_done

    sites.clear_requests()
    code, out, err = run_cli("--config", str(config), "backfill", *RANGE)
    assert code == 0, err[-3000:]
    rows = stored_urls(db)
    assert len(rows) == len(set(rows)) and set(rows) == expected
    again = set(requested(sites))
    assert not again & pages_done, sorted(again & pages_done)[:5]
    assert not again & articles_done, sorted(again & articles_done)[:5]
    assert query(db, "SELECT count(*) FROM article_urls WHERE article_id NOT IN (SELECT id FROM articles)") == [(0,)]


def test_requests_per_host_never_come_faster_than_the_delay(tmp_path: Path) -> None:
    delay = 0.05
    with SampleSites(archive(90, 1)) as sites:
        sources = sites.source_config()
        trend, newsaz = sources[0], sources[2]
        del trend["feeds"]
        # News.Az under another host name for the same server: politeness counts by host name
        newsaz["listings"] = [sites.newsaz_listing_url.replace("127.0.0.1", "localhost")]
        newsaz["allowed_hosts"] = ["localhost"]
        config = write_config(tmp_path, [trend, newsaz], fetch={"per_host_delay_seconds": delay})
        code, out, err = run_cli("--config", str(config), "backfill", "--since", "2026-01-05", "--until",
                                 "2026-01-11")
        assert code == 0, err[-2000:]
        by_host: dict[str, list[float]] = {}
        for r in sites.requests:
            by_host.setdefault(r.headers["host"].split(":")[0], []).append(r.time)
    assert set(by_host) == {"127.0.0.1", "localhost"}
    for host, times in by_host.items():
        assert len(times) > 30, host
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert min(gaps) >= delay - 0.005, (host, min(gaps))
    a, b = by_host["127.0.0.1"], by_host["localhost"]
    assert a[0] < b[-1] and b[0] < a[-1], "the two hosts should be read side by side"


def test_broken_pages_are_logged_and_skipped_and_the_backfill_finishes(tmp_path: Path) -> None:
    records = archive(300, 3, start=datetime(2026, 1, 19))        # Jan 19 .. Feb 8: two monthly sitemaps
    with SampleSites(records) as sites:
        config, db = config_for(tmp_path, sites)
        newsaz = sorted((r for r in records if r["site"] == "newsaz"), key=lambda r: r["published"], reverse=True)
        pages = [newsaz[i:i + LISTING_PAGE_SIZE] for i in range(0, len(newsaz), LISTING_PAGE_SIZE)]
        bad_day = date(2026, 1, 27)
        sites.override(f"/trend/archive/{bad_day.isoformat()}", status=500)
        sites.override("/azernews/sitemap-2026-01.xml.gz", body=b"<urlset><url><loc>truncated",
                       headers={"Content-Type": "application/xml"})
        sites.override("/newsaz/news?page=3", body=b"<!DOCTYPE html><html><body><p>Oops, nothing here</p>"
                       b"<a href='/newsaz/about'>About</a></body></html>")
        last = httpx.get(sites.base_url + f"/newsaz/news?page={len(pages)}").content
        sites.override(f"/newsaz/news?page={len(pages) + 1}", body=last)   # past the end: the last page again
        broken_article = pages[5][0]
        sites.override(sites.article_url(broken_article), status=500)
        code, out, err = run_cli("--config", str(config), "backfill", "--since", "2026-01-19", "--until",
                                 "2026-02-08")
        requests = [r.path for r in sites.requests]
    assert code == 1, err[-2000:]
    lost = ([r for r in records if r["site"] == "trend" and baku_day(r) == bad_day]
            + [r for r in records if r["site"] == "azernews" and baku_day(r).month == 1]
            + pages[2] + [broken_article])
    assert len({r["site"] for r in lost}) == 3
    assert set(stored_urls(db)) == {sites.article_url(r) for r in records} - {sites.article_url(r) for r in lost}
    for expected in (f"/trend/archive/{bad_day.isoformat()}: HTTP 500", "malformed sitemap",
                     "page=3 has no article links", "pagination loop", "HTTP 500"):
        assert expected in err, expected
    assert "Traceback" not in err
    assert f"/newsaz/news?page={len(pages) + 2}" not in requests
    assert "1 failed" in out


def test_robots_txt_is_obeyed_unless_ignored(tmp_path: Path) -> None:
    records = archive(90, 1)
    with SampleSites(records) as sites:
        config, db = config_for(tmp_path, sites)
        hidden_day = date(2026, 1, 7)
        hidden = next(r for r in records if r["site"] == "newsaz")
        hidden_path = sites.article_url(hidden).replace(sites.base_url, "")
        sites.override("/robots.txt", body=(f"User-agent: *\nDisallow: /trend/archive/{hidden_day}\n"
                                            f"Disallow: {hidden_path}\n").encode(),
                       headers={"Content-Type": "text/plain"})
        since = ("--since", "2026-01-05", "--until", "2026-01-11")
        code, out, err = run_cli("--config", str(config), "backfill", *since)
        assert code == 0, err[-2000:]
        paths = [r.path for r in sites.requests]
        assert f"/trend/archive/{hidden_day}" not in paths and hidden_path not in paths
        assert paths.count("/robots.txt") == 1
        not_allowed = [r for r in records if r["site"] == "trend" and baku_day(r) == hidden_day] + [hidden]
        assert set(stored_urls(db)) == {sites.article_url(r) for r in records} - \
            {sites.article_url(r) for r in not_allowed}
        assert "disallowed by robots.txt" in out

        sites.clear_requests()
        code, out, err = run_cli("--config", str(config), "backfill", *since, "--ignore-robots")
        assert code == 0, err[-2000:]
        paths = [r.path for r in sites.requests]
        assert "/robots.txt" not in paths and f"/trend/archive/{hidden_day}" in paths
        assert set(stored_urls(db)) == {sites.article_url(r) for r in records}


def test_max_requests_stops_cleanly_and_the_same_command_continues(tmp_path: Path, db_url: str) -> None:
    records = archive(90, 1)
    with SampleSites(records) as sites:
        config, _ = config_for(tmp_path, sites, db_url)
        since = ("--since", "2026-01-05", "--until", "2026-01-11")
        code, out, err = run_cli("--config", str(config), "backfill", *since, "--max-requests", "40")
        assert code == 0, err[-2000:]
        assert "stopped at --max-requests" in out
        assert len(sites.requests) <= 40
        partial = stored_urls(db_url)
        assert 0 < len(partial) < len(records)
        pages_done, articles_done = finished_work(db_url)
        sites.clear_requests()
        code, out, err = run_cli("--config", str(config), "backfill", *since)
        assert code == 0, err[-2000:]
        again = set(requested(sites))
        assert not again & (pages_done | articles_done)
        rows = stored_urls(db_url)
        assert len(rows) == len(set(rows)) and set(rows) == {sites.article_url(r) for r in records}


def test_urls_file_assigns_each_url_to_its_source_and_keeps_the_range(tmp_path: Path, db_url: str) -> None:
    records = archive(30, 1)
    with SampleSites(records) as sites:
        config = write_config(tmp_path, sites.source_config(), storage_url=db_url)
        day = date(2026, 1, 8)
        inside = [next(r for r in records if r["site"] == s and baku_day(r) == day)
                  for s in ("trend", "azernews", "newsaz")]
        outside = next(r for r in records if baku_day(r) == date(2026, 1, 10))
        sites.override("/trend/azerbaijan/politics/1.html", body=b"<!DOCTYPE html><html><body><h1>Untitled</h1>"
                       + b"<p>Some words about the weather and nothing else at all, for a while.</p>" * 20
                       + b"</body></html>")
        lines = ["# past articles a colleague collected", ""] + [sites.article_url(r) for r in inside] + [
            sites.article_url(inside[0]) + "?utm_source=mail",      # the same article again
            sites.article_url(outside),
            sites.base_url + "/trend/azerbaijan/politics/1.html",   # no date anywhere
            "http://example.invalid/news/1.html",                   # no source takes it
        ]
        urls = tmp_path / "urls.txt"
        urls.write_text("\n".join(lines) + "\n", encoding="utf-8")
        args = ("--config", str(config), "backfill", "--urls", str(urls), "--since", day.isoformat(),
                "--until", day.isoformat())
        code, out, err = run_cli(*args)
        assert code == 1
        assert "example.invalid" in err and "no selected source" in err
        assert "has no publication date" in err
        assert set(stored_urls(db_url)) == {sites.article_url(r) for r in inside}

        sites.clear_requests()
        code, out, err = run_cli(*args)
        assert article_requests(sites) == [] and "/trend/azerbaijan/politics/1.html" not in requested(sites)

        # a later backfill whose range holds the remembered article fetches it after all
        code, out, err = run_cli("--config", str(config), "backfill", "--urls", str(urls), "--since",
                                 "2026-01-08", "--until", "2026-01-10")
        assert article_requests(sites) == [sites.article_url(outside)]
        assert sites.article_url(outside) in stored_urls(db_url)
