"""Alert emails: one when a source starts failing or goes silent, one when it recovers, never one per run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from newsmon.alerts import check_alerts, decide
from newsmon.config import AlertsSettings, load_config
from newsmon.demo.configs import write_config
from newsmon.storage import articles, runs
from newsmon.storage.engine import open_store
from newsmon.storage.health import SourceHealth
from tests.conftest import LocalSMTP, run_cli

ALERTS = '[alerts]\nrecipients = ["admin@example.org", "oncall@example.org"]\nfailures = 2\nsilent_days = 2\n'
NOW = datetime(2025, 9, 10, 12, 0, tzinfo=UTC)


def test_alert_and_recovery_emails_arrive_once_each(tmp_path: Path, sites: Any, smtp: LocalSMTP) -> None:
    config = write_config(tmp_path, [s for s in sites.source_config() if s["name"] == "trend"],
                          extra=ALERTS + smtp.toml())
    feed = sites.trend_feed_url.replace(sites.base_url, "")
    sites.override(feed, status=500)
    for i in range(3):                                  # fails 3 times: the alert after the 2nd, then quiet
        code, out, err = run_cli("--config", str(config), "-q", "run")
        assert code == 1, err
        assert len(smtp.messages) == (0 if i == 0 else 1), err
    alert = smtp.messages[0]
    assert alert["Subject"] == "newsmon: trend is failing"
    assert alert["To"] == "admin@example.org, oncall@example.org"
    body = alert.get_content()
    assert "the last 2 runs failed" in body and "HTTP 500" in body and sites.trend_feed_url in body
    code, out, _ = run_cli("--config", str(config), "status", "--json")
    assert '"problem": "failing"' in out

    sites.clear_overrides()
    for _ in range(2):                                  # works again: one "recovered", then nothing
        code, out, err = run_cli("--config", str(config), "-q", "run")
        assert code == 0, err
    assert [m["Subject"] for m in smtp.messages] == ["newsmon: trend is failing", "newsmon: trend recovered"]
    assert "RECOVERED (was failing)" in smtp.messages[1].get_content()


def record_run(store: Any, source: str, at: datetime, *, errors: tuple[str, ...] = (), stored: int = 0) -> None:
    with store.write() as s:
        sid = runs.source_ids(s, [source])[source]
        run_id = runs.start_run(s, "run", at)
        for i in range(stored):
            articles.store_article(s, articles.NewArticle(source_id=sid, url=f"https://{source}.example/{int(at.timestamp())}-{i}.html",
                                            title="t", author="", published=at, fetched=at, text="x", summary="",
                                            language="en", extraction="article"), None, at)
        runs.save_run_source(s, run_id, sid, new=stored, updated=0, unchanged=0, failed=0, errors=list(errors))
        runs.finish_run(s, run_id, "partial" if errors else "ok", at)


def test_a_silent_source_is_reported_once_and_a_failed_send_is_tried_again(tmp_path: Path, smtp: LocalSMTP) -> None:
    config = write_config(tmp_path, [{"name": "trend", "feeds": ["http://127.0.0.1:9/rss"]}],
                          extra=ALERTS + smtp.toml())
    cfg = load_config(config)
    store = open_store(cfg.storage.url)
    try:
        record_run(store, "trend", NOW, stored=3)
        for hours in range(6, 48, 6):                   # runs go on, nothing new: quiet for under 2 days
            record_run(store, "trend", NOW + timedelta(hours=hours))
            assert check_alerts(cfg, store, NOW + timedelta(hours=hours)) == []
        later = NOW + timedelta(days=2, hours=1)
        record_run(store, "trend", later)
        smtp.stop()                                     # SMTP down: nothing sent, nothing remembered
        assert check_alerts(cfg, store, later) == []
        smtp.start()
        (notice,) = check_alerts(cfg, store, later + timedelta(minutes=30))
        assert (notice.kind, notice.problem) == ("alert", "silent")
        assert check_alerts(cfg, store, later + timedelta(hours=1)) == []
        assert [m["Subject"] for m in smtp.messages] == ["newsmon: trend is silent"]
        assert "nothing stored since 2025-09-10 12:00 UTC" in smtp.messages[0].get_content()
        record_run(store, "trend", later + timedelta(hours=2), stored=1)
        (notice,) = check_alerts(cfg, store, later + timedelta(hours=2))
        assert (notice.kind, notice.problem) == ("recovered", "silent")
        assert check_alerts(cfg, store, later + timedelta(hours=3)) == []
        assert len(smtp.messages) == 2
    finally:
        store.close()


def health(name: str, *, failed_runs: int = 0, last_stored: datetime | None = NOW) -> SourceHealth:
    return SourceHealth(name=name, first_run=NOW - timedelta(days=30), last_run=NOW, last_success=NOW,
                        failed_runs=failed_runs, last_error="HTTP 500" if failed_runs else None,
                        last_stored=last_stored, articles=10, items_per_day=1.0, urls=())


def test_decide_tells_once_per_problem_and_once_when_it_ends() -> None:
    rules = AlertsSettings(recipients=("a@example.org",), failures=3, silent_days=2)
    assert decide([health("a", failed_runs=2)], {}, rules) == []
    (n,) = decide([health("a", failed_runs=3)], {}, rules)
    assert (n.kind, n.source, n.problem) == ("alert", "a", "failing")
    assert decide([health("a", failed_runs=9)], {"a": "failing"}, rules) == []
    # failing ended but the source has been silent too long: still a problem, no email either way
    assert decide([health("a", last_stored=NOW - timedelta(days=3))], {"a": "failing"}, rules) == []
    (n,) = decide([health("a")], {"a": "failing"}, rules)
    assert (n.kind, n.problem) == ("recovered", "failing")
    (n,) = decide([health("b", last_stored=NOW - timedelta(days=2))], {}, rules)
    assert (n.kind, n.problem) == ("alert", "silent")
