"""`newsmon daemon` as a real process against the local sites: SIGTERM mid-run, SIGHUP, the daemon lock."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from newsmon.demo.configs import write_config
from tests.conftest import run_cli
from tests.test_ingest import article_requests


def wait_for(condition: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def daemon(config: Path, log: Path) -> Iterator[subprocess.Popen[str]]:
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "newsmon", "--config", str(config), "daemon"],
                                stdout=subprocess.DEVNULL, stderr=err, text=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def daemon_config(tmp_path: Path, sites: Any, storage_url: str | None = None, fetch_every: str = "1h") -> Path:
    return write_config(tmp_path, sites.source_config(), storage_url=storage_url,
                        fetch={"per_host_delay_seconds": 0.1}, extra=f"""
        [schedule]
        fetch_every = "{fetch_every}"
        """)


def exported(config: Path) -> list[str]:
    code, out, err = run_cli("--config", str(config), "export")
    assert code == 0, err
    return out.splitlines()


def test_sigterm_mid_run_exits_0_within_10_s_and_the_next_run_has_no_duplicates(tmp_path: Path, sites: Any,
                                                                                db_url: str) -> None:
    config = daemon_config(tmp_path, sites, storage_url=db_url)
    log = tmp_path / "daemon.log"
    with daemon(config, log) as proc:
        wait_for(lambda: len(article_requests(sites)) >= 4, what="the first run to fetch articles")
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        proc.wait(timeout=15)
        stopped_in = time.monotonic() - started
    text = log.read_text()
    assert proc.returncode == 0, text
    assert stopped_in < 10
    assert "Traceback" not in text and "stopping (SIGTERM)" in text and "daemon stopped" in text
    assert "run interrupted" in text
    kept = len(exported(config))
    assert kept < len(sites.articles)
    code, out, err = run_cli("--config", str(config), "run")   # the lock was released
    assert code == 0, err
    records = exported(config)
    assert len(records) == len(sites.articles) == len(set(records))
    code, out, _ = run_cli("--config", str(config), "status", "--json")
    assert code == 0 and '"status": "interrupted"' in out


def test_sighup_reloads_the_config_and_keeps_running_when_it_is_broken(tmp_path: Path, sites: Any) -> None:
    config = daemon_config(tmp_path, sites)
    good = config.read_text()
    log = tmp_path / "daemon.log"
    with daemon(config, log) as proc:
        wait_for(lambda: "run: newsaz:" in log.read_text(), what="the first run to finish")
        code, _, err = run_cli("--config", str(config), "daemon")        # a second daemon on the same database
        assert code == 1 and "another newsmon daemon is in progress" in err

        config.write_text(good + "\n[schedule\nfetch_every = \n")      # broken TOML
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "config not reloaded" in log.read_text(), what="the reload error")
        time.sleep(0.5)
        assert proc.poll() is None
        assert "not valid TOML" in log.read_text()

        config.write_text(good.replace('fetch_every = "1h"', 'fetch_every = "2h"'))
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "config reloaded" in log.read_text(), what="the reload")
        assert proc.poll() is None

        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert proc.returncode == 0
    assert "Traceback" not in log.read_text() and "stopping (SIGINT)" in log.read_text()
