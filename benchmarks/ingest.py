"""Ingest benchmark: `newsmon run` end to end against the floor of bare trafilatura.

A local server serves N article pages of realistic size (~60 KB, built from the seeds) through the three
sites' feeds and listing pages. Prints:
  (a) the floor: bare `trafilatura.extract` of the same N HTML strings on the same number of processes;
  (b) `newsmon run` end to end into a fresh SQLite file: wall time, ratio to (a), peak RSS;
  (c) the unchanged second run: wall time and article requests (goal < 1 s, zero requests).

    .venv/bin/python benchmarks/ingest.py [--articles 500] [--workers N]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from newsmon.demo.configs import write_config
from newsmon.demo.generated import generated_articles
from newsmon.demo.sites import SampleSites


def _extract(html: str) -> int:
    import trafilatura

    return len(trafilatura.extract(html) or "")


def floor_seconds(pages: list[str], workers: int) -> float:
    ctx = __import__("multiprocessing").get_context("forkserver")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        list(pool.map(_extract, pages[:workers]))  # warm the workers up: (b) pays its start-up, (a) does not
        started = time.perf_counter()
        list(pool.map(_extract, pages, chunksize=1))
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    articles = generated_articles(args.articles, start=datetime(2026, 11, 16, tzinfo=UTC), size_bytes=60_000)
    with SampleSites(articles) as sites, tempfile.TemporaryDirectory() as tmp:
        pages = [httpx.get(sites.article_url(a)).text for a in articles]
        mean_kb = sum(len(p.encode()) for p in pages) / len(pages) / 1000
        a = floor_seconds(pages, args.workers)
        print(f"articles: {len(pages)} pages, mean {mean_kb:.0f} KB, {args.workers} worker processes")
        print(f"(a) floor, bare trafilatura.extract: {a:.2f} s ({len(pages) / a:.1f} pages/s)")

        sources = sites.source_config()
        newsaz_pages = -(-sum(1 for x in articles if x["site"] == "newsaz") // 10)
        for src in sources:  # let `run` see every generated article, not just listing page 1
            if src["name"] == "newsaz":
                src["listings"] = [src["listings"][0].replace("{page}", str(p)) for p in range(1, newsaz_pages + 1)]
        config = write_config(Path(tmp), sources, fetch={"max_bytes": 5_000_000},
                              extract={"workers": args.workers, "timeout_seconds": 60})
        command = [sys.executable, "-m", "newsmon", "--config", str(config), "run"]
        sites.clear_requests()
        server_cpu = time.process_time()
        started = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True)
        b = time.perf_counter() - started
        server_cpu = time.process_time() - server_cpu
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            sys.exit(f"newsmon run failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}")
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"(b) newsmon run end to end: {b:.2f} s = {b / a:.2f} x (a) (goal <= 1.3); "
              f"peak RSS {peak_mb:.0f} MB (largest process)")
        print(f"    CPU during (b): newsmon {children.ru_utime + children.ru_stime:.1f} s (main process and "
              f"workers), the local test server {server_cpu:.1f} s, on {os.cpu_count()} cores")
        print("    " + proc.stdout.strip().replace("\n", "\n    "))

        sites.clear_requests()
        started = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True)
        c = time.perf_counter() - started
        article_requests = [r for r in sites.requests if r.path.endswith(".html") or "/news/" in r.path]
        print(f"(c) unchanged second run: {c:.2f} s wall, including interpreter start-up (goal < 1 s); "
              f"{len(article_requests)} article requests; {len(sites.requests)} requests in all; "
              f"exit {proc.returncode}")


if __name__ == "__main__":
    main()
