"""Backfill benchmark: `newsmon backfill` end to end against a generated archive on the local sample sites.

The archive has the same density at both sizes (100 articles a week over the three sites, pages of ~60 KB),
so the large run covers a ten times longer range: Trend's dated archive day by day, AzerNews' sitemap index
(one gzipped child per month) and News.Az's listing pages, per-host delay 0. Prints, per size: wall time,
articles stored per second, and peak RSS of the backfill process itself and of its largest process
(an extraction worker). Goal: the large run's peak within 10 % of the small one's.

    .venv/bin/python benchmarks/backfill.py [--articles 2000] [--large 20000] [--size 60000] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from newsmon.demo.configs import write_config
from newsmon.demo.generated import generated_articles
from newsmon.demo.sites import SampleSites

PER_WEEK = 100
START = datetime(2022, 1, 3)  # a Monday


def vm_hwm_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_backfill(n: int, size: int, workers: int) -> dict[str, float]:
    weeks = max(1, n // PER_WEEK)
    records = generated_articles(n, start=START, seed=11, size_bytes=size, span=timedelta(weeks=weeks))
    since = START.date()
    until = since + timedelta(weeks=weeks) - timedelta(days=1)
    with SampleSites(records, cache_pages=False) as sites, tempfile.TemporaryDirectory() as tmp:
        sources = sites.source_config()
        for s in sources:
            s.pop("feeds", None)
        sources[1]["sitemaps"] = [sites.azernews_sitemap_index_url]
        config = write_config(Path(tmp), sources, fetch={"per_host_delay_seconds": 0, "max_bytes": 5_000_000},
                              extract={"workers": workers, "timeout_seconds": 60})
        command = [sys.executable, "-m", "newsmon", "--config", str(config), "backfill", "--since",
                   since.isoformat(), "--until", until.isoformat()]
        started = time.perf_counter()
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            child = subprocess.Popen(command, stdout=out, stderr=err, text=True)
            peak_main = [0.0]
            done = threading.Event()

            def watch() -> None:
                while not done.is_set():
                    value = vm_hwm_mb(child.pid)
                    if value is not None:
                        peak_main[0] = max(peak_main[0], value)
                    done.wait(0.2)

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            _, status, usage = os.wait4(child.pid, 0)
            done.set()
            watcher.join()
            child.returncode = os.waitstatus_to_exitcode(status)
            elapsed = time.perf_counter() - started
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
        if child.returncode != 0:
            sys.exit(f"backfill failed ({child.returncode}):\n{stdout}\n{stderr[-3000:]}")
        requests = len(sites.requests)
    stored = next(int(line.split(": ")[1].split()[0].replace(",", "")) for line in stdout.splitlines()
                  if line.startswith("backfill "))
    if stored != n:
        sys.exit(f"stored {stored} of {n} articles:\n{stdout}")
    return {"weeks": weeks, "elapsed": elapsed, "rate": stored / elapsed, "peak_main": peak_main[0],
            "peak_any": usage.ru_maxrss / 1024, "requests": requests}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--large", type=int, default=20000, help="0 to skip the memory run")
    parser.add_argument("--size", type=int, default=60_000, help="bytes of HTML per article page")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(f"{args.workers} extraction workers, pages of ~{args.size // 1000} KB, per-host delay 0")
    results = {}
    for n in (args.articles, args.large):
        if not n:
            continue
        r = results[n] = run_backfill(n, args.size, args.workers)
        print(f"{n:>6,} articles over {r['weeks']:.0f} weeks: {r['elapsed']:.1f} s, {r['rate']:.1f} articles/s, "
              f"{r['requests']:,} requests; peak RSS {r['peak_main']:.0f} MB (backfill process), "
              f"{r['peak_any']:.0f} MB (largest process)", flush=True)
    if args.large and args.articles in results:
        small, large = results[args.articles], results[args.large]
        print(f"peak RSS, {args.large:,} vs {args.articles:,}: backfill process "
              f"{100 * (large['peak_main'] / small['peak_main'] - 1):+.1f} %, largest process "
              f"{100 * (large['peak_any'] / small['peak_any'] - 1):+.1f} % (goal: within 10 %)")


if __name__ == "__main__":
    main()
