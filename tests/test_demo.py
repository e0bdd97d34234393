"""`newsmon demo`: the whole product offline, in one command."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from newsmon.demo.articles import load_sample_articles


def loopback_only() -> list[str]:
    """A command prefix that runs in a network namespace where only loopback exists, when we may make one."""
    if shutil.which("unshare") and shutil.which("ip"):
        probe = subprocess.run(["unshare", "-n", "ip", "link", "set", "lo", "up"], capture_output=True)
        if probe.returncode == 0:
            return ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"]
    return []


def run_demo(out: Path) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    proc = subprocess.run([*loopback_only(), sys.executable, "-m", "newsmon", "demo", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    return proc, time.monotonic() - started


def digest_text(out: Path) -> str:
    (eml,) = out.glob("digest-*.eml")
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    return message.get_body(preferencelist=("plain",)).get_content()


def test_demo_runs_the_whole_pipeline_offline(tmp_path: Path) -> None:
    if not loopback_only() and os.environ.get("CI"):
        pytest.fail("CI must be able to run the demo in a loopback-only network namespace")
    out = tmp_path / "demo"
    proc, seconds = run_demo(out)
    assert proc.returncode == 0, proc.stderr
    assert seconds < 60
    samples = load_sample_articles()
    text = digest_text(out)
    for article in samples:
        if article.get("seed"):
            assert article["title"] in text, article["title"]
        elif not article["sco"]:
            assert article["title"] not in text, article["title"]
    assert "SCO and Azerbaijan" in text and "sco_azerbaijan" not in text   # the topic as readers know it
    with sqlite3.connect(out / "newsmon.db") as conn:
        titles = [t for (t,) in conn.execute("SELECT title FROM articles")]
    assert sorted(titles) == sorted(a["title"] for a in samples)
    assert "nothing contacts the internet" in proc.stdout and "subject" in proc.stdout


def test_demo_twice_reuses_its_directory_cleanly(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    first, _ = run_demo(out)
    second, _ = run_demo(out)
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    with sqlite3.connect(out / "newsmon.db") as conn:
        (count,) = conn.execute("SELECT count(*) FROM articles").fetchone()
        (sent,) = conn.execute("SELECT count(*) FROM digests_sent").fetchone()
    assert count == len(load_sample_articles())
    assert sent == 1
    assert len(list(out.glob("digest-*.eml"))) == 1
    assert "found  7" in second.stdout
