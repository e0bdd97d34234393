"""Source health: per-source deadlines, feeds that stop listing articles, `status --json`, cron mode."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from newsmon.commands.run import source_deadline
from newsmon.config import load_config, parse_config
from newsmon.demo.configs import write_config
from newsmon.storage.engine import open_store
from newsmon.storage.lock import run_lock
from tests.conftest import run_cli

EMPTY_FEED = (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Trend</title>'
              b"<link>https://en.trend.az/</link></channel></rss>")


def path_of(sites: Any, url: str) -> str:
    return url.replace(sites.base_url, "")


def status_json(config: Path) -> dict[str, Any]:
    code, out, err = run_cli("--config", str(config), "status", "--json")
    assert code == 0, err
    return json.loads(out)


def test_a_source_that_hangs_forever_does_not_delay_the_others_beyond_its_deadline(tmp_path: Path,
                                                                                 sites: Any) -> None:
    sites.override(path_of(sites, sites.trend_feed_url), hang=True)
    sources = sites.source_config()
    # trend on a host name of its own, as on the real sites (politeness holds one request per host name)
    sources[0] = {"name": "trend", "feeds": [sites.trend_feed_url.replace("127.0.0.1", "localhost")]}
    config = write_config(tmp_path, sources, fetch={"timeout_seconds": 60, "retries": 0},
                          extra='[schedule]\nsource_deadline = "2s"\n')
    started = time.monotonic()
    code, out, err = run_cli("--config", str(config), "run")
    elapsed = time.monotonic() - started
    assert code == 1
    assert elapsed < 10, f"the run took {elapsed:.1f} s"
    assert "trend: FAILED: stopped at its deadline of 2 s" in out
    others = [a for a in sites.articles if a["site"] != "trend"]
    assert f"azernews: {sum(a['site'] == 'azernews' for a in others)} new" in out
    assert f"newsaz: {sum(a['site'] == 'newsaz' for a in others)} new" in out
    trend = next(s for s in status_json(config)["sources"] if s["name"] == "trend")
    assert trend["consecutive_failed_runs"] == 1 and "deadline" in trend["last_error"]
    (url,) = trend["urls"]
    assert url["consecutive_failures"] == 1 and "before the source's deadline (2 s)" in url["last_error"]


def test_the_automatic_deadline_is_sized_from_the_fetch_limits() -> None:
    cfg = parse_config({"sources": [{"name": "a", "feeds": ["https://a.example/rss"]}]}, Path("config.toml"))
    # 1 feed + 20 article pages, each 3 attempts of 20 s + 1 s politeness, 1 + 2 s of back-off; one extraction
    assert source_deadline(cfg, cfg.sources[0]) == (1 + 20) * (3 * 21 + 3) + 30
    fixed = parse_config({"sources": [{"name": "a", "feeds": ["https://a.example/rss"]}],
                          "schedule": {"source_deadline": "5m"}}, Path("config.toml"))
    assert source_deadline(fixed, fixed.sources[0]) == 300


def test_a_feed_that_worked_and_now_lists_nothing_or_answers_html_is_a_failure(tmp_path: Path, sites: Any) -> None:
    sites.override("/quiet/feed.rss", body=EMPTY_FEED, headers={"Content-Type": "application/rss+xml"})
    sources = sites.source_config() + [{"name": "quiet", "feeds": [sites.base_url + "/quiet/feed.rss"]}]
    config = write_config(tmp_path, sources)
    code, out, err = run_cli("--config", str(config), "run")
    assert code == 0, out + err                       # an empty feed that never listed anything is no failure

    trend = path_of(sites, sites.trend_feed_url)
    sites.override(trend, body=EMPTY_FEED, headers={"Content-Type": "application/rss+xml"})
    code, out, err = run_cli("--config", str(config), "run")
    trend_count = sum(a["site"] == "trend" for a in sites.articles)
    assert code == 1 and f"lists no articles (it listed {trend_count} before)" in out

    sites.override(trend, body=b"<!DOCTYPE html><html><body>We have moved</body></html>",
                   headers={"Content-Type": "text/html"})
    code, out, err = run_cli("--config", str(config), "run")
    assert code == 1 and "HTML page, not a feed" in out

    doc = status_json(config)
    assert [s["name"] for s in doc["sources"]] == ["trend", "azernews", "newsaz", "quiet"]
    health = {s["name"]: s for s in doc["sources"]}
    assert health["trend"]["consecutive_failed_runs"] == 2 and not health["trend"]["ok"]
    assert health["trend"]["urls"][0]["consecutive_failures"] == 2
    assert health["trend"]["urls"][0]["last_items"] == trend_count
    assert health["trend"]["last_success"] is not None and health["trend"]["articles"] == trend_count
    for name in ("azernews", "newsaz", "quiet"):
        assert health[name]["ok"] and health[name]["consecutive_failed_runs"] == 0
        assert health[name]["urls"] and all(u["ok"] for u in health[name]["urls"])
    assert health["azernews"]["items_per_day"] > 0
    assert not doc["ok"] and doc["last_digest"] is None and len(doc["recent_runs"]) == 3
    code, out, err = run_cli("--config", str(config), "status")
    assert code == 0 and "Sources" in out and "last sent: none yet" in out


def test_cron_mode_quiet_run_prints_nothing_and_logs_to_the_rotating_file(tmp_path: Path, sites: Any) -> None:
    config = write_config(tmp_path, sites.source_config(), extra='[logging]\nfile = "logs/newsmon.log"\n')
    code, out, err = run_cli("--config", str(config), "run", "--quiet")
    assert (code, out, err) == (0, "", "")
    logged = (tmp_path / "logs" / "newsmon.log").read_text()
    assert "GET http" in logged and "stored" in logged

    store = open_store(load_config(config).storage.url)
    try:
        with run_lock(store, "digest"):               # a digest being sent by another process
            code, out, err = run_cli("--config", str(config), "-q", "digest", "--week", "2026-W47")
    finally:
        store.close()
    assert code == 1 and out == "" and "another newsmon digest is in progress" in err


def test_every_schedule_alerts_and_logging_key_is_documented_in_the_shipped_config() -> None:
    import dataclasses
    import re
    import tomllib

    from newsmon.config import AlertsSettings

    root = Path(__file__).parent.parent
    text = (root / "config.toml").read_text(encoding="utf-8")
    shipped = tomllib.loads(text)
    keys = {"schedule": {"fetch_every", "source_deadline", "run_deadline", "digest_deadline"},
            "alerts": {f.name for f in dataclasses.fields(AlertsSettings)}, "logging": {"file", "level"}}
    for table, names in keys.items():
        assert set(shipped[table]) == names, table
        for name in names:
            assert re.search(rf"^{name}\s*=.*#", text, re.MULTILINE), f"[{table}] {name} has no comment"
    operations = (root / "README.md").read_text(encoding="utf-8")
    for table, names in keys.items():
        for name in names:
            assert f"| `[{table}] {name}` |" in operations, f"[{table}] {name} is not in README.md"
