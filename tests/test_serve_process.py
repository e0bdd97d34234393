"""`newsmon serve` as a process: it listens, answers while `newsmon run` writes to the same database, sees the
new articles without a restart, and stops cleanly on SIGTERM; and in a real browser (headless Chromium): search,
open an article, judge it not relevant, see the topic's precision change and the article leave the week."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsmon.commands.reclassify import reclassify
from newsmon.config import compile_rules, load_config
from newsmon.demo.configs import write_config
from newsmon.demo.sample_week import SAMPLE_WEEK, TOPIC, seed_sample
from newsmon.storage.engine import open_store
from tests.test_digest_readers import _browser

SCREENSHOTS = os.environ.get("NEWSMON_SCREENSHOTS", "")   # a folder: the README's pictures are taken there


class Served:
    """`newsmon serve --port 0` in a subprocess; `url` is where it said it listens."""

    def __init__(self, config: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "newsmon", "--config", str(config), "serve", "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        if not found:
            self.proc.kill()
            _, err = self.proc.communicate()
            raise AssertionError(f"serve did not start: {line!r} {err}")
        self.url = found.group(0)
        self.stderr = ""

    def stop(self) -> int:
        """SIGTERM, then what it printed; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            _, self.stderr = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, self.stderr = self.proc.communicate()
        return self.proc.returncode


@pytest.fixture
def served_sample(tmp_path: Path) -> Iterator[Served]:
    config = write_config(tmp_path, [{"name": n, "title": t, "feeds": ["http://127.0.0.1:9/rss"]}
                                     for n, t in (("trend", "Trend"), ("azernews", "AzerNews"), ("newsaz", "News.Az"))])
    with open_store(f"sqlite:///{tmp_path / 'newsmon.db'}") as store:
        seed_sample(store, datetime.now(UTC))
        reclassify(store, compile_rules(load_config(config)))    # every shipped topic, as a real archive has
    served = Served(config)
    yield served
    served.stop()


def test_serve_answers_while_run_writes_and_sees_new_articles_without_restart(tmp_path: Path, sites: Any) -> None:
    config = write_config(tmp_path, sites.source_config())
    served = Served(config)
    statuses: list[int] = []
    stop = threading.Event()

    def poll() -> None:
        with httpx.Client(base_url=served.url, timeout=30) as client:
            while not stop.is_set():
                statuses.append(client.get("/search", params={"q": "Azerbaijan"}).status_code)
                statuses.append(client.get("/").status_code)

    try:
        with httpx.Client(base_url=served.url, timeout=30) as client:
            before = client.get("/search", params={"q": "Azerbaijan"}).text
            assert "0 articles" in before
            poller = threading.Thread(target=poll)
            poller.start()
            run = subprocess.run([sys.executable, "-m", "newsmon", "--config", str(config), "run", "-q"],
                                 capture_output=True, text=True, timeout=300)
            stop.set()
            poller.join()
            assert run.returncode == 0, run.stderr
            after = client.get("/search", params={"q": "Azerbaijan"}).text
            found = int(re.search(r"([\d,]+) articles?", after).group(1).replace(",", ""))  # type: ignore[union-attr]
            assert found > 0
        assert statuses and set(statuses) == {200}, statuses
    finally:
        code = served.stop()
    assert code == 0
    assert "Traceback" not in served.stderr


def test_sigterm_stops_serve_cleanly(served_sample: Served) -> None:
    assert httpx.get(served_sample.url + "health", timeout=30).status_code == 200
    started = time.monotonic()
    assert served_sample.stop() == 0
    assert time.monotonic() - started < 10


def test_a_port_in_use_is_one_line_and_exit_1(served_sample: Served, tmp_path: Path) -> None:
    port = served_sample.url.rsplit(":", 1)[1].strip("/")
    proc = subprocess.run([sys.executable, "-m", "newsmon", "--config", str(tmp_path / "config.toml"), "serve",
                           "--port", port],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and f"cannot listen on 127.0.0.1:{port}" in proc.stderr


def test_in_a_browser_judging_an_article_not_relevant_changes_precision_and_the_week(
        served_sample: Served, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.expected_conditions import staleness_of
    from selenium.webdriver.support.wait import WebDriverWait

    browser = _browser(tmp_path / "profile")
    base = served_sample.url
    try:
        browser.set_window_size(1280, 1000)
        browser.get(base + "search")
        box = browser.find_element(By.CSS_SELECTOR, "form.search input[name=q]")
        box.send_keys('"Shanghai Cooperation" Azerbaijan')
        box.submit()
        assert browser.find_elements(By.CSS_SELECTOR, ".result mark")
        if SCREENSHOTS:
            browser.save_screenshot(str(Path(SCREENSHOTS) / "workbench-search.png"))
        week = httpx.get(base + f"weeks/{SAMPLE_WEEK}", timeout=30).text
        section = week.split(f'id="digest-{TOPIC}"')[1]       # the topic's stories (it is the last topic)
        leads = re.findall(r'href="/articles/(\d+)">why it matched', section)
        assert leads
        target = leads[0]
        browser.find_element(By.CSS_SELECTOR, f'.result a.title[href="/articles/{target}"]').click()
        assert browser.current_url.endswith(f"/articles/{target}")
        assert browser.find_elements(By.CSS_SELECTOR, ".text mark")
        if SCREENSHOTS:
            browser.save_screenshot(str(Path(SCREENSHOTS) / "workbench-article.png"))
        form = browser.find_element(By.CSS_SELECTOR, f"#topic-{TOPIC} form.judge")
        form.find_element(By.CSS_SELECTOR, "input[name=note]").send_keys("not about the SCO")
        form.find_element(By.CSS_SELECTOR, "button[value=not_relevant]").click()
        WebDriverWait(browser, 20).until(staleness_of(form))     # the POST answered and the page came back
        assert "judged not relevant by local" in browser.find_element(By.CSS_SELECTOR, f"#topic-{TOPIC}").text
        browser.get(base + f"topics/{TOPIC}")
        precision = browser.find_element(By.CSS_SELECTOR, ".precision").text
        assert "0%" in precision and "1 not relevant" in precision
        assert "not about the SCO" in browser.page_source
        browser.get(base + f"weeks/{SAMPLE_WEEK}")
        shown = browser.find_elements(By.CSS_SELECTOR, f"#digest-{TOPIC} a.workbench")
        links = [a.get_attribute("href") for a in shown]
        assert links and not any(link.endswith(f"/articles/{target}") for link in links)
    finally:
        browser.quit()
