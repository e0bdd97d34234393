"""Coverage benchmark: what filling a gap costs after an outage, against the least it could cost.

Three local sites (Trend-like feed + archive days, AzerNews-like feed + sitemap, News.Az-like listing pages),
each on its own loopback address so that per-host politeness runs side by side as with the real sites; feeds
list their newest 25 items, listing pages 20. A day of history and a first run, then an outage of N days at
40 articles a day per site, then one `newsmon run`. Prints per outage:
  - articles published during it, and how many the run stored (goal: all);
  - requests made vs the minimum needed: the outage's articles plus the discovery pages that list them
    (the feeds, page 1.. of the listing, the archive days, the sitemap) — goal ≤ 1.2 ×;
  - the wall time of that run at `per_host_delay_seconds` (default 1, as shipped).

    .venv/bin/python benchmarks/coverage.py [--days 1,3,7] [--delay 1.0]
"""

from __future__ import annotations

import argparse
import math
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from newsmon.demo.articles import BAKU
from newsmon.demo.configs import write_config
from newsmon.demo.generated import generated_articles
from newsmon.demo.sites import SampleSites

PER_DAY = 40
START = datetime(2026, 11, 2)   # Baku time
HOSTS = {"trend": "127.0.0.1", "azernews": "127.0.0.2", "newsaz": "127.0.0.3"}


def run(config: Path) -> tuple[int, float, str]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "newsmon", "--config", str(config), "run"], capture_output=True,
                          text=True)
    return proc.returncode, time.perf_counter() - started, proc.stdout + proc.stderr


def minimum(outage: list[dict[str, Any]]) -> int:
    """The outage's articles, and the fewest discovery pages that list them all."""
    by_site = {s: [r for r in outage if r["site"] == s] for s in HOSTS}
    trend_days = {datetime.fromisoformat(r["published"]).astimezone(BAKU).date() for r in by_site["trend"][:-25]}
    pages = (1 + len(trend_days)                                  # Trend: the feed, the archive days past it
             + 1 + 1                                              # AzerNews: the feed, the sitemap
             + math.ceil(len(by_site["newsaz"]) / 20))            # News.Az: the listing pages
    return len(outage) + pages


def outage_case(days: int, delay: float) -> None:
    records = generated_articles(3 * PER_DAY * (days + 1), start=START, span=timedelta(days=days + 1),
                                 size_bytes=4000)
    cut = START.replace(tzinfo=BAKU) + timedelta(days=1)
    history = [r for r in records if datetime.fromisoformat(r["published"]) < cut]
    outage = [r for r in records if datetime.fromisoformat(r["published"]) >= cut]
    servers = {site: SampleSites(history, host=host, feed_depth=25, listing_page_size=20).start()
               for site, host in HOSTS.items()}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sources = [next(c for c in servers[site].source_config() if c["name"] == site) for site in HOSTS]
            for source in sources:
                source["allowed_hosts"] = [HOSTS[source["name"]]]
            config = write_config(Path(tmp), sources, fetch={"per_host_delay_seconds": 0, "timeout_seconds": 20})
            code, _, out = run(config)
            assert code == 0, out
            config = write_config(Path(tmp), sources, fetch={"per_host_delay_seconds": delay, "timeout_seconds": 20},
                                  extra='[schedule]\nsource_deadline = "2h"\n')
            for server in servers.values():
                for record in outage:
                    server.add_article(record)
                server.clear_requests()
            code, seconds, out = run(config)
            assert code == 0, out
            with sqlite3.connect(Path(tmp) / "newsmon.db") as conn:
                urls = {u for (u,) in conn.execute("SELECT url FROM articles")}
            stored = sum(servers[r["site"]].article_url(r) in urls for r in outage)
            made = sum(len(server.requests) for server in servers.values())
            least = minimum(outage)
            print(f"outage of {days} day{'s' if days != 1 else ''}: {len(outage)} articles published, {stored} stored "
                  f"({stored / len(outage):.0%}); {made} requests, the least possible {least}: {made / least:.2f} x "
                  f"(goal <= 1.2); {seconds:.0f} s at per_host_delay_seconds = {delay:g}")
    finally:
        for server in servers.values():
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", default="1,3,7", help="outage lengths, comma-separated")
    parser.add_argument("--delay", type=float, default=1.0, help="per_host_delay_seconds for the run after it")
    args = parser.parse_args()
    for days in (int(d) for d in args.days.split(",")):
        outage_case(days, args.delay)


if __name__ == "__main__":
    main()
