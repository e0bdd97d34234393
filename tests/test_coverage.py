"""Nothing missed after an outage: `run` finds the gap a feed or listing leaves after newsmon was off, fills it
from the source's listing pages, sitemaps or archives, and says how complete each source's coverage is.

The sites are local (newsmon.demo.sites) with a feed of the newest 25 items and listing pages of 20, like the
real ones; the test decides what they have published, and when.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from newsmon.demo.configs import write_config
from newsmon.demo.generated import generated_articles
from newsmon.demo.sites import SampleSites
from tests.conftest import run_cli

PER_DAY = 40                           # articles a day per site, as on the real sites
HISTORY_START = datetime(2026, 11, 2)  # Baku time, a Monday
ARTICLE = re.compile(r"^/(trend/[a-z-]+/[a-z-]+/\d+\.html|azernews/[a-z-]+/\d+\.html|newsaz/news/[a-z0-9-]+)$")


def archive(days: int) -> list[dict[str, Any]]:
    """`days` days of news on the three sites, PER_DAY a day each, oldest first, small pages (fast tests)."""
    return generated_articles(3 * PER_DAY * days, start=HISTORY_START, span=timedelta(days=days), size_bytes=2500)


def published(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["published"])


@pytest.fixture
def sites() -> Iterator[SampleSites]:
    with SampleSites([], feed_depth=25, listing_page_size=20) as s:
        yield s


def publish(sites: SampleSites, records: list[dict[str, Any]]) -> None:
    for record in records:
        sites.add_article(record)


def stored_urls(tmp_path: Path) -> set[str]:
    with sqlite3.connect(tmp_path / "newsmon.db") as conn:
        return {u for (u,) in conn.execute("SELECT url FROM articles")}


def article_paths(sites: SampleSites) -> list[str]:
    return [r.path for r in sites.requests if ARTICLE.match(r.path)]


def config_for(tmp_path: Path, sites: SampleSites, *, delay: float = 0.02, **schedule: str) -> Path:
    extra = "[schedule]\n" + "".join(f'{k} = "{v}"\n' for k, v in schedule.items()) if schedule else ""
    return write_config(tmp_path, sites.source_config(), fetch={"per_host_delay_seconds": delay},
                        extract={"workers": 2}, extra=extra)


def test_the_first_run_after_a_three_day_outage_stores_every_article_of_it(tmp_path: Path,
                                                                           sites: SampleSites) -> None:
    records = archive(4)
    outage_start = HISTORY_START + timedelta(days=1)
    before = [r for r in records if published(r).replace(tzinfo=None) < outage_start]
    during = [r for r in records if published(r).replace(tzinfo=None) >= outage_start]
    publish(sites, before)
    config = config_for(tmp_path, sites)
    assert run_cli("--config", str(config), "run")[0] == 0     # a first run: its history is backfill's job
    publish(sites, during)                                     # three days of news while newsmon is off
    sites.clear_requests()
    code, out, err = run_cli("--config", str(config), "run")
    assert code == 0, out + err
    stored = stored_urls(tmp_path)
    assert {sites.article_url(r) for r in during} <= stored, "an article of the outage is missing"
    paths = article_paths(sites)
    assert len(paths) == len(set(paths)), "an article was requested twice"
    assert len(paths) == len(during)
    times = [r.time for r in sites.requests]
    assert min(b - a for a, b in zip(times, times[1:])) >= 0.015, "requests closer than per_host_delay"
    for name in ("trend", "azernews", "newsaz"):
        assert re.search(rf"^{name}: .*gap .* \d+ articles recovered", out, re.MULTILINE), out

    # the next run, with two new articles per site and no gap: the feeds, page 1, the new articles; no more
    newest = published(records[-1])
    fresh = [dict(r, slug=f"fresh-{i}", id=9_000_000 + i, title=f"Fresh news {i}",
                  published=(newest + timedelta(minutes=10 * (i + 1))).isoformat())
             for i, r in enumerate(records[-6:])]
    publish(sites, fresh)
    sites.clear_requests()
    code, out, err = run_cli("--config", str(config), "run")
    assert code == 0, out + err
    assert sorted(article_paths(sites)) == sorted(sites.article_url(r).removeprefix(sites.base_url) for r in fresh)
    assert not [r.path for r in sites.requests if "archive" in r.path or "sitemap" in r.path
                or "page=2" in r.path or "robots.txt" in r.path]
    assert "gap" not in out
