"""Ingest benchmark: `newsmon run` end to end against the floor of bare trafilatura.

A local server serves N article pages of realistic size (~60 KB, built from the seeds) through the three
sites' feeds and listing pages. Prints:
  (a) the floor: bare `trafilatura.extract` of the same N HTML strings on the same number of processes;
  (b) `newsmon run` end to end into a fresh SQLite file: wall time, ratio to (a), peak RSS, and CPU seconds per
      article over its whole process tree (main process, forkserver, extraction workers; sampled with psutil)
      against the floor's CPU per page;
  (c) the unchanged second run: wall time and article requests (goal < 0.6 s, zero requests;
      benchmarks/startup.py times it alone, as a median).

    .venv/bin/python benchmarks/ingest.py [--articles 500] [--workers N]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil

from newsmon.demo.configs import write_config
from newsmon.demo.generated import generated_articles
from newsmon.demo.sites import SampleSites


def _extract(html: str) -> int:
    import trafilatura

    return len(trafilatura.extract(html) or "")


class TreeCPU:
    """CPU seconds (user + system) of a process and all its descendants, by polling: a process's times are
    read while it lives, so each one's last reading counts (an error of at most one poll interval each)."""

    def __init__(self, root: psutil.Process, *, include_root: bool = True, interval: float = 0.05) -> None:
        self.root, self.include_root, self.interval = root, include_root, interval
        self.seen: dict[int, float] = {}
        self.roles: dict[int, str] = {}
        self._stop = False

    def poll(self) -> None:
        procs = self.root.children(recursive=True) + ([self.root] if self.include_root else [])
        for p in procs:
            try:
                t = p.cpu_times()
                self.seen[p.pid] = t.user + t.system
                if p.pid not in self.roles:
                    self.roles[p.pid] = _role(p, self.root)
            except psutil.Error:
                pass

    def run(self) -> None:
        while not self._stop:
            with contextlib.suppress(psutil.Error):
                self.poll()
            time.sleep(self.interval)

    def stop(self) -> float:
        self._stop = True
        return sum(self.seen.values())

    def by_role(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for pid, seconds in self.seen.items():
            role = self.roles.get(pid, "other")
            out[role] = out.get(role, 0.0) + seconds
        return out


def _role(p: psutil.Process, root: psutil.Process) -> str:
    """main, forkserver or worker: where newsmon's CPU goes."""
    if p.pid == root.pid:
        return "main"
    return "forkserver" if p.ppid() == root.pid else "workers"


def floor_seconds(pages: list[str], workers: int) -> tuple[float, float]:
    """(wall, CPU) of bare extraction of `pages` on `workers` warm processes."""
    ctx = __import__("multiprocessing").get_context("forkserver")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        list(pool.map(_extract, pages[:workers]))  # warm the workers up: (b) pays its start-up, (a) does not
        me = psutil.Process()
        before = TreeCPU(me, include_root=False)
        before.poll()
        started = time.perf_counter()
        list(pool.map(_extract, pages, chunksize=1))
        wall = time.perf_counter() - started
        after = TreeCPU(me, include_root=False)
        after.poll()
        return wall, sum(after.seen.values()) - sum(before.seen.values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    articles = generated_articles(args.articles, start=datetime(2026, 11, 16, tzinfo=UTC), size_bytes=60_000)
    with SampleSites(articles) as sites, tempfile.TemporaryDirectory() as tmp:
        pages = [httpx.get(sites.article_url(a)).text for a in articles]
        mean_kb = sum(len(p.encode()) for p in pages) / len(pages) / 1000
        a, a_cpu = floor_seconds(pages, args.workers)
        print(f"articles: {len(pages)} pages, mean {mean_kb:.0f} KB, {args.workers} worker processes")
        print(f"(a) floor, bare trafilatura.extract: {a:.2f} s ({len(pages) / a:.1f} pages/s); "
              f"CPU {a_cpu:.1f} s = {1000 * a_cpu / len(pages):.1f} ms a page")

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
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        tree = TreeCPU(psutil.Process(child.pid))
        poller = __import__("threading").Thread(target=tree.run)
        poller.start()
        out, err = child.communicate()
        b = time.perf_counter() - started
        b_cpu = tree.stop()
        poller.join()
        proc = subprocess.CompletedProcess(command, child.returncode, out, err)
        server_cpu = time.process_time() - server_cpu
        if proc.returncode != 0:
            sys.exit(f"newsmon run failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}")
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"(b) newsmon run end to end: {b:.2f} s = {b / a:.2f} x (a) (goal <= 1.3); "
              f"peak RSS {peak_mb:.0f} MB (largest process)")
        per_article = 1000 * b_cpu / len(pages)
        print(f"    CPU of newsmon's process tree: {b_cpu:.1f} s = {per_article:.1f} ms an article = "
              f"{per_article / (1000 * a_cpu / len(pages)):.2f} x the floor's per page (goal <= 1.15): "
              + ", ".join(f"{role} {seconds:.1f} s" for role, seconds in sorted(tree.by_role().items()))
              + f"; the local test server {server_cpu:.1f} s (includes the poller), on {os.cpu_count()} cores")
        print("    " + proc.stdout.strip().replace("\n", "\n    "))

        sites.clear_requests()
        started = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True)
        c = time.perf_counter() - started
        article_requests = [r for r in sites.requests if r.path.endswith(".html") or "/news/" in r.path]
        print(f"(c) unchanged second run: {c:.2f} s wall, including interpreter start-up (goal < 0.6 s); "
              f"{len(article_requests)} article requests; {len(sites.requests)} requests in all; "
              f"exit {proc.returncode}")


if __name__ == "__main__":
    main()
