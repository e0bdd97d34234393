"""`newsmon run` end to end against local copies of the three sites."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import pytest

from newsmon.demo.configs import write_config
from tests.conftest import run_cli

ARTICLE_PREFIXES = ("/trend/azerbaijan/", "/azernews/", "/newsaz/news/", "/newsaz/index.php/")


def article_requests(sites: Any) -> list[Any]:
    return [r for r in sites.requests if r.path.startswith(ARTICLE_PREFIXES) and "page=" not in r.path
            and not r.path.startswith("/azernews/feed")]


def stored(db: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM articles ORDER BY id")]


def key_sentence(record: dict[str, Any]) -> str:
    return record["paragraphs"][0].split(". ")[0]


@pytest.fixture
def config(tmp_path: Path, sites: Any) -> Path:
    return write_config(tmp_path, sites.source_config())


def test_first_run_stores_every_article_once_with_title_author_date_and_text(config: Path, sites: Any,
                                                                            tmp_path: Path) -> None:
    code, out, err = run_cli("--config", str(config), "run")
    assert code == 0, err
    rows = stored(tmp_path / "newsmon.db")
    assert len(rows) == len(sites.articles)
    assert len({r["url"] for r in rows}) == len(rows)
    by_title = {r["title"]: r for r in rows}
    for record in sites.articles:
        row = by_title[record["title"]]
        assert row["author"] == record["author"], record["slug"]  # AzerNews names it only in a byline
        assert row["published_offset"] == 240, record["slug"]
        assert row["published_at"].startswith(record["published"][:10])
        if record.get("paywalled"):
            assert row["extraction"] == "feed-summary" and row["text"] == record["summary"]
        else:
            assert row["extraction"] == "article"
            assert key_sentence(record) in row["text"], record["slug"]
    for line in ("trend:", "azernews:", "newsaz:"):
        assert line in out
    assert "0 failed" in out
    with sqlite3.connect(tmp_path / "newsmon.db") as conn:  # classified in the extraction workers
        tagged = {title for (title,) in conn.execute(
            "SELECT a.title FROM articles a JOIN article_topics t ON t.article_id = a.id "
            "WHERE t.topic = 'sco_azerbaijan'")}
    assert tagged == {r["title"] for r in sites.articles if r["sco"]}


def test_run_from_a_folder_holding_packages_of_the_same_names_still_extracts(config: Path, sites: Any,
                                                                            tmp_path: Path) -> None:
    """A user runs newsmon from its own clone, whose newsmon/ is the shell without the layers, or from a folder
    with a trafilatura.py: the extraction workers must still import the installed packages. (They come from a
    forkserver started as `python -c`, which puts the working directory first on sys.path.)"""
    folder = tmp_path / "cwd"
    (folder / "newsmon").mkdir(parents=True)
    (folder / "newsmon" / "__init__.py").write_text('"""A clone\'s newsmon/: the shell without the layers."""\n')
    (folder / "trafilatura.py").write_text('"""Not trafilatura."""\n')
    console_script = Path(sys.executable).parent / "newsmon"   # as installed: its own folder first on sys.path
    proc = subprocess.run([str(console_script), "--config", str(config), "run"], cwd=folder,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = stored(tmp_path / "newsmon.db")
    assert len(rows) == len(sites.articles)
    assert sum(r["extraction"] == "article" for r in rows) == sum(not a.get("paywalled") for a in sites.articles)


def test_export_shows_published_with_the_baku_offset(config: Path, sites: Any) -> None:
    assert run_cli("--config", str(config), "run")[0] == 0
    code, out, err = run_cli("--config", str(config), "export", "--format", "jsonl")
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == len(sites.articles)
    seed = next(r for r in sites.articles if r["sco"] and r["site"] == "trend")
    exported = next(r for r in records if r["title"] == seed["title"])
    assert exported["published"] == seed["published"]
    assert exported["fetched"].endswith("+00:00")
    assert exported["language"] == "en"


def test_second_run_fetches_nothing_when_feeds_unchanged(config: Path, sites: Any) -> None:
    assert run_cli("--config", str(config), "run")[0] == 0
    sites.clear_requests()
    code, out, err = run_cli("--config", str(config), "run")
    assert code == 0, err
    assert article_requests(sites) == []
    discovery = [r for r in sites.requests]
    assert discovery and all(r.status == 304 for r in discovery), [(r.path, r.status) for r in discovery]
    assert all("If-None-Match" in r.headers or "if-none-match" in r.headers for r in discovery)
    assert "0 new" in out and " 0 failed" in out


def test_one_new_feed_item_means_exactly_one_article_request(config: Path, sites: Any, tmp_path: Path) -> None:
    assert run_cli("--config", str(config), "run")[0] == 0
    template = next(r for r in sites.articles if r["site"] == "trend" and not r["sco"])
    new = dict(template, id=template["id"] + 1000, slug="fresh-story", title="A fresh story from Baku",
               published="2026-11-22T10:00:00+04:00")
    sites.add_article(new)
    sites.clear_requests()
    code, out, _ = run_cli("--config", str(config), "run")
    assert code == 0
    assert [r.path for r in article_requests(sites)] == [sites.article_url(new).replace(sites.base_url, "")]
    assert "trend: 1 new" in out
    assert len(stored(tmp_path / "newsmon.db")) == len(sites.articles)


@pytest.mark.parametrize("fault", [{"status": 500}, {"hang": True}])
def test_failing_source_does_not_stop_the_others(config: Path, sites: Any, tmp_path: Path, fault: dict) -> None:
    sites.override(sites.trend_feed_url.replace(sites.base_url, ""), **fault)
    started = time.monotonic()
    code, out, err = run_cli("--config", str(config), "run")
    assert code == 1
    assert time.monotonic() - started < 30
    rows = stored(tmp_path / "newsmon.db")
    assert len(rows) == len([a for a in sites.articles if a["site"] != "trend"])
    code, status_out, _ = run_cli("--config", str(config), "status")
    assert code == 0
    lines = status_out.splitlines()
    feed = next(i for i, line in enumerate(lines) if line.endswith("/trend/feeds/index.rss"))
    assert "failing: 1 in a row; last success never" in lines[feed + 1]  # no success yet, one failure


def hostile_feed(sites: Any) -> bytes:
    """A feed whose items point at every kind of bad page, plus one good article."""
    good = next(r for r in sites.articles if r["site"] == "trend" and not r["sco"] and not r.get("paywalled"))
    items = [("good", sites.article_url(good))] + [
        (name, f"{sites.base_url}/bad/{name}.html")
        for name in ("huge", "gzipbomb", "trickle", "loop", "latin", "missing")
    ] + [("foreign", "http://evil.invalid/azerbaijan/1.html"), ("file", "file:///etc/passwd")]
    xml = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>']
    for name, link in items:
        xml.append(f"<item><title>{name}</title><link>{link}</link><pubDate>Mon, 16 Nov 2026 10:00:00 +0400"
                   f"</pubDate></item>")
    xml.append("<item><title>no link at all</title><description>x</description></item></channel></rss>")
    return "".join(xml).encode()


def gzip_bomb(megabytes: int) -> bytes:
    """A gzip body that inflates to `megabytes` MB, built without holding them in memory."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b" " * 1_000_000
    return b"".join(z.compress(chunk) for _ in range(megabytes)) + z.flush()


def run_measured(command: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    """Run a command; also return the peak RSS (MB) of it and the children it waited for."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(command, child.returncode, out.read(), err.read()), usage.ru_maxrss / 1024


def test_bad_items_are_logged_skipped_and_the_run_goes_on(tmp_path: Path, sites: Any) -> None:
    page = b"<html><body><article><p>" + b"Baku news. " * 300 + b"</p></article></body></html>"
    sites.override("/hostile/feed.rss", body=hostile_feed(sites), headers={"Content-Type": "application/rss+xml"})
    sites.override("/bad/huge.html", body=b"<html>" + b"x" * 300_000)
    sites.override("/bad/gzipbomb.html", body=gzip_bomb(600),
                   headers={"Content-Encoding": "gzip", "Content-Type": "text/html"})
    sites.override("/bad/trickle.html", trickle=0.3)
    sites.override("/bad/loop.html", status=302, redirect_to="/bad/loop2.html")
    sites.override("/bad/loop2.html", status=302, redirect_to="/bad/loop.html")
    sites.override("/bad/latin.html", body=page.replace(b"Baku", b"Bak\xfc"),
                   headers={"Content-Type": "text/html; charset=utf-8"})
    sites.override("/bad/missing.html", status=404)
    sites.override("/broken/feed.rss", body=b"this is { not xml at all")
    sites.override("/bomb/feed.rss", body=b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
                   b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><rss><channel><item><title>&b;</title>'
                   b"<link>http://127.0.0.1/x</link></item></channel></rss>")
    sources = [
        {"name": "hostile", "feeds": [sites.base_url + "/hostile/feed.rss"], "allowed_hosts": ["127.0.0.1"]},
        {"name": "broken", "feeds": [sites.base_url + "/broken/feed.rss"]},
        {"name": "bomb", "feeds": [sites.base_url + "/bomb/feed.rss"]},
    ]
    config = write_config(tmp_path, sources, fetch={"max_bytes": 200_000, "timeout_seconds": 1.5})
    started = time.monotonic()
    proc, peak_mb = run_measured([sys.executable, "-m", "newsmon", "--config", str(config), "run"])
    assert time.monotonic() - started < 40
    assert proc.returncode == 1
    assert peak_mb < 400, f"peak RSS {peak_mb:.0f} MB: a bomb was inflated into memory"
    rows = stored(tmp_path / "newsmon.db")
    assert [r["title"] for r in rows] == [next(a["title"] for a in sites.articles
                                               if sites.article_url(a) in hostile_feed(sites).decode())]
    log = proc.stderr + proc.stdout   # items as warnings, failed sources in their summary line: each said once
    for expected in ("larger than max_bytes", "after decompression", "no complete answer within",
                     "more than 5 redirects", "invalid utf-8", "HTTP 404", "'evil.invalid' is not in allowed_hosts",
                     "only http and https", "has no link", "broken: ", "not", "bomb: ", "declares XML entities"):
        assert expected in log, expected
    assert "Traceback" not in log
    assert "hostile: 1 new" in proc.stdout and "8 failed" in proc.stdout

    # refused for good: not requested again; passing failures (trickle) are retried
    sites.clear_requests()
    proc = subprocess.run([sys.executable, "-m", "newsmon", "--config", str(config), "run"], capture_output=True,
                          text=True, timeout=120)
    again = {r.path for r in sites.requests if r.path.startswith("/bad/")}
    assert again == {"/bad/trickle.html"}


def test_extraction_that_exceeds_its_time_limit_is_abandoned(tmp_path: Path, sites: Any) -> None:
    heavy = ("<html><body>" + "<div><table><tr><td><p>Baku. SCO. Azerbaijan. text</p></td></tr></table></div>"
             * 25_000 + "</body></html>").encode()
    good = next(r for r in sites.articles if r["site"] == "trend" and not r["sco"] and not r.get("paywalled"))
    feed = (f'<rss version="2.0"><channel><title>t</title><item><title>heavy</title><link>{sites.base_url}'
            f'/heavy.html</link></item><item><title>good</title><link>{sites.article_url(good)}</link></item>'
            f"</channel></rss>").encode()
    sites.override("/heavy.html", body=heavy, headers={"Content-Type": "text/html; charset=utf-8"})
    sites.override("/f.rss", body=feed)
    config = write_config(tmp_path, [{"name": "x", "feeds": [sites.base_url + "/f.rss"]}],
                          fetch={"max_bytes": 5_000_000}, extract={"timeout_seconds": 0.5, "workers": 1,
                                                                   "max_html_bytes": 5_000_000})
    started = time.monotonic()
    code, out, err = run_cli("--config", str(config), "run")
    assert time.monotonic() - started < 30
    assert code == 1
    assert "extraction took longer than 0.5 s" in err
    assert [r["title"] for r in stored(tmp_path / "newsmon.db")] == [good["title"]]


def slow_config(tmp_path: Path, sites: Any, storage_url: str | None = None) -> Path:
    return write_config(tmp_path, sites.source_config(), storage_url=storage_url,
                        fetch={"per_host_delay_seconds": 0.25})


def test_kill_9_mid_run_then_run_again_leaves_no_duplicates(tmp_path: Path, sites: Any) -> None:
    config = slow_config(tmp_path, sites)
    proc = subprocess.Popen([sys.executable, "-m", "newsmon", "--config", str(config), "run"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = tmp_path / "newsmon.db"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if db.exists():
            try:
                if 2 <= len(stored(db)) < len(sites.articles):
                    break
            except sqlite3.OperationalError:
                pass
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len(stored(db))
    assert 0 < partial < len(sites.articles)
    code, out, err = run_cli("--config", str(config), "run")
    assert code == 0, err
    rows = stored(db)
    assert len(rows) == len(sites.articles) == len({r["url"] for r in rows})
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM article_urls WHERE article_id NOT IN "
                            "(SELECT id FROM articles)").fetchone()[0] == 0


def test_second_run_started_while_one_runs_exits_at_once(tmp_path: Path, sites: Any, db_url: str) -> None:
    config = slow_config(tmp_path, sites, storage_url=db_url)
    first = subprocess.Popen([sys.executable, "-m", "newsmon", "--config", str(config), "run"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not article_requests(sites):
        time.sleep(0.05)
    assert article_requests(sites), "first run never started fetching"
    started = time.monotonic()
    code, out, err = run_cli("--config", str(config), "run")
    assert time.monotonic() - started < 10
    assert code == 1
    assert "another newsmon run is in progress" in err
    out1, err1 = first.communicate(timeout=120)
    assert first.returncode == 0, err1
    code, out, err = run_cli("--config", str(config), "export")
    assert len(out.splitlines()) == len(sites.articles)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_keeps_its_work_and_says_so(tmp_path: Path, sites: Any, sig: int) -> None:
    config = slow_config(tmp_path, sites)
    proc = subprocess.Popen([sys.executable, "-m", "newsmon", "--config", str(config), "run"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(article_requests(sites)) < 4:
        time.sleep(0.05)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    db = tmp_path / "newsmon.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM runs").fetchall() == [("interrupted",)]
    kept = len(stored(db))
    code, _, _ = run_cli("--config", str(config), "run")
    assert code == 0
    assert len(stored(db)) == len(sites.articles)
    assert kept >= 1  # articles fetched and extracted before the signal were stored
