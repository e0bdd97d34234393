"""`check`, `status` and `export` from the command line."""

from __future__ import annotations

import csv
import io
import json
import re
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
                               "extraction", "topics", "matches"}
    code, out, _ = run_cli("--config", str(config), "export", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(records)
    for record, row in zip(records, rows):
        assert row["id"] == str(record["id"]) and row["text"] == record["text"]
        assert row["published"] == record["published"] and row["topics"] == ";".join(record["topics"])
        assert (json.loads(row["matches"]) if row["matches"] else {}) == record["matches"]


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
    assert lines[feed + 1].lstrip().startswith("ok ") and f"found {trend_count}, {trend_count} only here" in \
        lines[feed + 1], lines[feed + 1]
    pages = [i for i, line in enumerate(lines) if "/newsaz/news?page=1" in line]
    assert len(pages) == 2 and all(re.search(r", 0 only here$", lines[i + 1]) for i in pages)
    assert "Recent runs" in out and "ok" in out
