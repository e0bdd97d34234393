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
from tests.conftest import LocalSMTP, run_cli

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


def test_a_gap_bigger_than_a_runs_deadline_is_filled_over_the_next_runs_without_asking_twice(
        tmp_path: Path, sites: SampleSites) -> None:
    records = [r for r in archive(4) if r["site"] == "newsaz"]
    outage_start = HISTORY_START + timedelta(days=1)
    publish(sites, [r for r in records if published(r).replace(tzinfo=None) < outage_start])
    newsaz = [s for s in sites.source_config() if s["name"] == "newsaz"]
    config = write_config(tmp_path, newsaz, fetch={"per_host_delay_seconds": 0.1},
                          extra='[schedule]\nsource_deadline = "4s"\n')
    assert run_cli("--config", str(config), "run")[0] == 0
    during = [r for r in records if published(r).replace(tzinfo=None) >= outage_start]
    publish(sites, during)
    sites.clear_requests()
    outputs = []
    for _ in range(12):
        code, out, err = run_cli("--config", str(config), "run")
        outputs.append(out)
        assert code == 0, out + err
        if "goes on next run" not in out and "waits for the next run" not in out:
            break
    assert len(outputs) > 2, "the gap was meant to take more than one run"
    assert {sites.article_url(r) for r in during} <= stored_urls(tmp_path)
    asked = Counter(r.path for r in sites.requests if r.path != "/newsaz/news?page=1" and r.path != "/robots.txt")
    # a finished page, a stored article: never requested again. What a deadline cut half-way (the page being
    # read, the articles in flight, at most 5 with 2 extraction workers) is requested again, once.
    again = [p for p, n in asked.items() if n > 1]
    assert all(asked[p] == 2 for p in again), asked
    assert len([p for p in again if not ARTICLE.match(p)]) <= len(outputs) - 1
    assert len([p for p in again if ARTICLE.match(p)]) <= 5 * (len(outputs) - 1)
    assert "articles recovered" in outputs[-1] and "so far" not in outputs[-1]


def outage(tmp_path: Path, sites: SampleSites, *, feed_only: bool, extra: str = "") -> tuple[Path, list[Any]]:
    """History, a first run, then a three-day outage; trend without archives when `feed_only`."""
    records = archive(4)
    outage_start = HISTORY_START + timedelta(days=1)
    publish(sites, [r for r in records if published(r).replace(tzinfo=None) < outage_start])
    sources = sites.source_config()
    if feed_only:
        del sources[0]["archives"]
    config = write_config(tmp_path, sources, fetch={"per_host_delay_seconds": 0.0}, extra=extra)
    assert run_cli("--config", str(config), "run")[0] == 0
    during = [r for r in records if published(r).replace(tzinfo=None) >= outage_start]
    publish(sites, during)
    return config, during


def test_a_gap_a_feed_alone_cannot_fill_is_named_by_status_the_digest_and_one_alert(
        tmp_path: Path, sites: SampleSites, smtp: LocalSMTP) -> None:
    config, during = outage(tmp_path, sites, feed_only=True,
                            extra='[alerts]\nrecipients = ["admin@example.org"]\n' + smtp.toml())
    code, out, err = run_cli("--config", str(config), "-q", "run")
    assert code == 0 and out == "", out + err
    (trend_line,) = err.splitlines()                 # said even with -q: articles missed for good
    assert "not recoverable: no archive or sitemap configured" in trend_line
    stored = stored_urls(tmp_path)
    assert {sites.article_url(r) for r in during if r["site"] != "trend"} <= stored   # the others are filled
    missing = [r for r in during if r["site"] == "trend" and sites.article_url(r) not in stored]
    assert len(missing) == PER_DAY * 3 - 25

    code, out, err = run_cli("--config", str(config), "status")
    assert code == 0, err
    assert re.search(r"gap in trend's feed \S+\n\s+.*: not recoverable: no archive or sitemap", out), out
    doc = json.loads(run_cli("--config", str(config), "status", "--json")[1])
    (trend_gap,) = [g for g in doc["gaps"] if g["source"] == "trend"]
    assert trend_gap["status"] == "unrecoverable" and trend_gap["route"] == "none"
    assert {g["source"]: g["status"] for g in doc["gaps"]} == {"trend": "unrecoverable", "azernews": "closed",
                                                                "newsaz": "closed"}

    code, out, err = run_cli("--config", str(config), "digest", "--week", "2026-W45", "--dry-run", "--out",
                             str(tmp_path / "out"))
    assert code == 0, err
    text = (tmp_path / "out" / "digest-2026-W45.txt").read_text(encoding="utf-8")
    coverage = text[text.index("== Coverage =="):text.index("== Sources ==")]
    assert re.search(r"trend: gap \w{3} \d\d:\d\d–\w{3} \d\d:\d\d not recoverable: no archive or sitemap", coverage)
    assert re.search(r"azernews: gap .*, \d+ articles recovered", coverage)
    assert re.search(r"newsaz: gap .*, \d+ articles recovered", coverage)

    alerts = [m for m in smtp.messages if "gap" in m["Subject"]]
    assert [m["Subject"] for m in alerts] == ["newsmon: trend has a gap it cannot fill"]
    assert "no archive or sitemap configured" in alerts[0].get_content()
    assert run_cli("--config", str(config), "run")[0] == 0             # told once, not at every run
    assert len([m for m in smtp.messages if "gap" in m["Subject"]]) == 1


def test_the_digest_says_which_weeks_were_complete(tmp_path: Path, sites: SampleSites) -> None:
    config, _ = outage(tmp_path, sites, feed_only=False)
    assert run_cli("--config", str(config), "run")[0] == 0
    lines = {}
    for week in ("2026-W44", "2026-W45"):
        code, out, err = run_cli("--config", str(config), "digest", "--week", week, "--dry-run", "--out",
                                 str(tmp_path / "out"))
        assert code == 0, err
        text = (tmp_path / "out" / f"digest-{week}.txt").read_text(encoding="utf-8")
        lines[week] = text[text.index("== Coverage =="):text.index("== Sources ==")].splitlines()[1:4]
    assert lines["2026-W44"] == ["trend: complete", "azernews: complete", "newsaz: complete"]
    assert all(re.fullmatch(r"\w+: gap \w{3} \d\d:\d\d–\w{3} \d\d:\d\d, \d+ articles recovered", line)
               for line in lines["2026-W45"]), lines["2026-W45"]


def test_check_says_what_each_source_can_recover(tmp_path: Path, sites: SampleSites) -> None:
    sources = sites.source_config()
    del sources[0]["archives"]
    config = write_config(tmp_path, sources)
    code, out, err = run_cli("--config", str(config), "check")
    recovers = [line.strip() for line in out.splitlines() if line.strip().startswith("recovers")]
    assert recovers == ["recovers gaps in its feeds: none (a feed alone; add archives or sitemaps to recover them)",
                        "recovers gaps in its feeds: from its sitemaps",
                        "recovers gaps in its listing pages: from the pages after page 1"]


def test_a_day_far_below_the_usual_volume_is_flagged_in_status_and_the_digest(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    from newsmon.storage import articles, runs
    from newsmon.storage.engine import open_store

    baku = ZoneInfo("Asia/Baku")
    today = datetime.now(UTC).astimezone(baku).date()
    low_day = today - timedelta(days=2)
    config = write_config(tmp_path, [{"name": "trend", "feeds": ["http://nosuch.invalid/feed.rss"]}])
    with open_store(f"sqlite:///{tmp_path / 'newsmon.db'}") as store, store.write() as s:
        sid = runs.source_ids(s, ["trend"])["trend"]
        for back in range(20, 0, -1):
            day = today - timedelta(days=back)
            noon = datetime.combine(day, datetime.min.time(), baku) + timedelta(hours=12)
            run_id = runs.start_run(s, "run", noon)
            runs.save_run_source(s, run_id, sid, new=0, updated=0, unchanged=0, failed=0, errors=[])
            runs.finish_run(s, run_id, "ok", noon)
            for i in range(5 if day == low_day else PER_DAY):
                when = datetime.combine(day, datetime.min.time(), baku) + timedelta(minutes=30 * i)
                articles.store_article(s, articles.NewArticle(
                    source_id=sid, url=f"https://trend.example/{day}/{i}", title="t", author="", published=when,
                    fetched=when, text="x", summary="", language="en", extraction="article", route="feed"), None,
                    when)
    doc = json.loads(run_cli("--config", str(config), "status", "--json")[1])
    (trend,) = doc["coverage"]
    assert trend["low_volume"] == [{"day": low_day.isoformat(), "articles": 5, "usual": 40.0}]
    day_counts = {d["day"]: d["articles"] for d in trend["days"]}
    assert day_counts[low_day.isoformat()] == 5 and trend["days"][-1]["day"] == today.isoformat()
    code, out, err = run_cli("--config", str(config), "status")
    assert f"trend (trend): low volume {low_day:%a} (5 articles, usually 40)" in out, out
    iso = low_day.isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    code, out, err = run_cli("--config", str(config), "digest", "--week", week, "--dry-run", "--out",
                             str(tmp_path / "out"))
    assert code == 0, err
    text = (tmp_path / "out" / f"digest-{week}.txt").read_text(encoding="utf-8")
    assert f"trend: low volume {low_day:%a} (5 articles, usually 40)" in text
