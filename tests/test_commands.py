"""`check`, `status` and `export` from the command line."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
from pathlib import Path
from typing import Any

import pytest

from newsmon.demo.configs import write_config
from tests.conftest import run_cli


@pytest.fixture
def config(tmp_path: Path, sites: Any) -> Path:
    return write_config(tmp_path, sites.source_config())


def test_check_prints_status_items_and_newest_date_per_url_and_stores_nothing(config: Path, sites: Any,
                                                                              tmp_path: Path) -> None:
    code, out, err = run_cli("--config", str(config), "check")
    assert code == 0, err
    lines = out.splitlines()
    feed = next(line for line in lines if "/trend/feeds/index.rss" in line)
    trend = [a for a in sites.articles if a["site"] == "trend"]
    newest = max(a["published"] for a in trend)
    assert re.search(rf"\b200\s+{len(trend)}\s+{re.escape(newest)}", feed), feed
    listing = next(line for line in lines if "/newsaz/news?page=1" in line)
    assert re.search(r"\b200\s+\d+\b", listing)
    assert any("sitemap" in line and "200" in line for line in lines)
    assert not (tmp_path / "newsmon.db").exists()


def test_check_names_the_url_that_stopped_working(config: Path, sites: Any) -> None:
    sites.override("/azernews/feed.php", body=b"<!DOCTYPE html><html><body>We moved</body></html>",
                   headers={"Content-Type": "text/html"})
    code, out, err = run_cli("--config", str(config), "check", "--source", "azernews")
    assert code == 1
    assert "HTML page, not a feed" in out and "/azernews/feed.php" in out
    assert "trend" not in out


def test_export_jsonl_and_csv_round_trip_the_stored_articles(config: Path, sites: Any, tmp_path: Path) -> None:
    assert run_cli("--config", str(config), "run")[0] == 0
    code, out, _ = run_cli("--config", str(config), "export", "--format", "jsonl", "--out", str(tmp_path / "a.jsonl"))
    assert code == 0 and f"wrote {len(sites.articles)} articles" in out
    records = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert {r["title"] for r in records} == {a["title"] for a in sites.articles}
    assert set(records[0]) == {"id", "source", "url", "title", "author", "published", "fetched", "text", "language",
                               "extraction", "topics", "matches", "judgements"}
    code, out, _ = run_cli("--config", str(config), "export", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(records)
    for record, row in zip(records, rows):
        assert row["id"] == str(record["id"]) and row["text"] == record["text"]
        assert row["published"] == record["published"] and row["topics"] == ";".join(record["topics"])
        assert (json.loads(row["matches"]) if row["matches"] else {}) == record["matches"]
        assert (json.loads(row["judgements"]) if row["judgements"] else {}) == record["judgements"] == {}


def test_export_bad_date_is_a_usage_error(config: Path) -> None:
    code, _, err = run_cli("--config", str(config), "export", "--since", "last week")
    assert code == 2 and "'last week' is not a date" in err


def test_status_shows_each_discovery_url_and_what_only_it_found(tmp_path: Path, sites: Any) -> None:
    sources = sites.source_config()
    newsaz = next(s for s in sources if s["name"] == "newsaz")
    # a second listing page the feed-less source reads: whatever only page 2 lists is "only here"
    newsaz["listings"] = [newsaz["listings"][0], newsaz["listings"][0].replace("{page}", "1") + "&v=2"]
    config = write_config(tmp_path, sources)
    assert run_cli("--config", str(config), "run")[0] == 0
    code, out, err = run_cli("--config", str(config), "status")
    assert code == 0, err
    lines = out.splitlines()
    feed = next(i for i, line in enumerate(lines) if "/trend/feeds/index.rss" in line)
    trend_count = len([a for a in sites.articles if a["site"] == "trend"])
    assert lines[feed + 1].lstrip().startswith("ok, last read "), lines[feed + 1]
    assert f"found {trend_count}, {trend_count} only here" in lines[feed + 2], lines[feed + 2]
    pages = [i for i, line in enumerate(lines) if "/newsaz/news?page=1" in line]
    assert len(pages) == 2 and all(re.search(r", 0 only here$", lines[i + 2]) for i in pages)
    assert "Recent runs" in out and "ok" in out


def test_status_is_readable_at_80_columns(config: Path, sites: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_cli("--config", str(config), "run")[0] == 0
    sites.override("/trend/feeds/index.rss", status=500)
    assert run_cli("--config", str(config), "run")[0] == 1
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run_cli("--config", str(config), "status")
    assert code == 0, err
    lines = out.splitlines()
    for line in lines:   # nothing wider than 80 columns but a URL, which is never shortened or broken
        assert len(line) <= 80 or line.split()[-1].startswith("http"), line
        assert "…" not in line
    urls = [sites.trend_feed_url, sites.azernews_feed_url, sites.newsaz_listing_url.replace("{page}", "1")]
    for url in urls:
        assert any(line.split()[-1] == url for line in lines), url
    feed = next(i for i, line in enumerate(lines) if line.endswith(sites.trend_feed_url))
    assert lines[feed + 1].strip().startswith("failing: 1 in a row")
    error = lines[feed + 2].strip()
    assert error.startswith("last error: HTTP 500") and sites.trend_feed_url not in error   # not said twice
    words = [line.strip() for line in lines if line.strip()]
    assert not [w for w in words if " " not in w and not w[0].isupper()], "a line of one word: wrapped badly"


def test_status_shows_a_digest_waiting_in_the_outbox_and_why(tmp_path: Path) -> None:
    from newsmon.storage.engine import open_store
    from tests.conftest import seed_digest_weeks

    with open_store(f"sqlite:///{tmp_path / 'newsmon.db'}") as store:
        seed_digest_weeks(store)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = write_config(tmp_path, [{"name": "trend", "feeds": ["http://nosuch.invalid/f"]}],
                          extra=f'[digest]\nrecipients = ["a@example.org"]\n[smtp]\nhost = "127.0.0.1"\n'
                                f'port = {port}\nsecurity = "none"\n')
    code, out, err = run_cli("--config", str(config), "digest", "--week", "2025-W36")
    assert code == 1 and "connection refused" in err
    code, out, err = run_cli("--config", str(config), "status")
    assert code == 0, err
    waiting = out[out.index("waiting in the outbox"):]
    assert waiting.startswith("waiting in the outbox: 2025-W36") and "1 failed attempt" in waiting
    assert "connection refused" in waiting
    (row,) = json.loads(run_cli("--config", str(config), "status", "--json")[1])["outbox"]
    assert row["week"] == "2025-W36" and row["attempts"] == 1 and "connection refused" in row["last_error"]
