"""The workbench over 100,000 stored articles (SQLite): search, article page and week page latency, and what
the full-text index adds to the database size.

Seeds a SQLite database (in a temp dir) with N articles recombined from the bundled sample articles (~2 % of
them SCO stories, one every 7 minutes: about ten months), tags them with the shipped rules (`reclassify`),
then asks the app for pages through Starlette's test client (the whole request: routing, queries, templates).

    .venv/bin/python benchmarks/serve.py [--articles 100000] [--repeat 5]

Goals (issue 16): search p95 < 100 ms, article page p95 < 50 ms, week page < 300 ms, index < 30 % of the size.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from reclassify import START, seed  # the benchmark beside this one (this folder is on sys.path)
from starlette.testclient import TestClient

from newsmon.commands.reclassify import reclassify
from newsmon.config import compile_rules, load_config
from newsmon.demo.configs import write_config
from newsmon.digests.week import week_of
from newsmon.storage.engine import open_store
from newsmon.web.app import create_app
from newsmon.web.security import Gate
from newsmon.web.workbench import Workbench

SOURCES = ("trend", "azernews", "newsaz")
QUERIES = ["Azerbaijan", "SCO", '"Shanghai Cooperation Organisation"', "Azerbaij*", "SCO OR BRICS",
           "Baku -football", "oil gas pipeline", '"energy security" Caspian', "Tianjin summit", "zzyzx"]


def size_without_index(db: Path, tmp: Path) -> int:
    copy = tmp / "without-index.db"
    shutil.copy(db, copy)
    with sqlite3.connect(copy) as conn:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%fts%'")\
                .fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute("DROP TABLE articles_fts")
    with sqlite3.connect(copy) as conn:
        conn.execute("VACUUM")
    return copy.stat().st_size


def timed(client: TestClient, path: str, params: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    r = client.get(path, params=params)
    elapsed = time.perf_counter() - started
    if r.status_code != 200:
        raise SystemExit(f"{path} {params}: HTTP {r.status_code}: {r.text[:300]}")
    return elapsed * 1000


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        db = tmp / "bench.db"
        started = time.perf_counter()
        nbytes = seed(db, args.articles, SOURCES)
        seeded = time.perf_counter() - started
        config = write_config(tmp, [{"name": n, "feeds": ["http://127.0.0.1:9/rss"]}
                                    for n in SOURCES], storage_url=f"sqlite:///{db}")
        cfg = load_config(config)
        classifier = compile_rules(cfg)
        store = open_store(cfg.storage.url)
        reclassify(store, classifier)
        with sqlite3.connect(db) as conn:
            conn.execute("VACUUM")
        size = db.stat().st_size
        bare = size_without_index(db, tmp)
        last = START + timedelta(minutes=7 * (args.articles - 1))
        wb = Workbench(cfg, store, classifier, Gate({}), clock=lambda: last + timedelta(hours=1))
        with TestClient(create_app(wb)) as client:
            timed(client, "/search", {"q": "warm up"})
            search = {q: [timed(client, "/search", {"q": q}) for _ in range(args.repeat)] for q in QUERIES}
            filtered = [timed(client, "/search", {"q": "Azerbaijan", "topic": "sco_azerbaijan", "page": "3"})
                        for _ in range(args.repeat)]
            second_page = [timed(client, "/search", {"q": "Azerbaijan", "page": "2"}) for _ in range(args.repeat)]
            rng = random.Random(1)
            ids = [rng.randint(1, args.articles) for _ in range(200)]
            articles = [timed(client, f"/articles/{i}") for i in ids]
            weeks = []
            for k in range(8):
                week = week_of(last - timedelta(weeks=k * 5), cfg.digest.timezone)
                weeks.append(timed(client, f"/weeks/{week.label}"))
            home = [timed(client, "/") for _ in range(3)]
        store.close()
    every_search = [t for ts in search.values() for t in ts] + filtered + second_page
    print(f"{args.articles:,} articles, {nbytes / 1e6:.0f} MB of text, seeded in {seeded:.0f} s")
    print(f"database {size / 1e6:.1f} MB, without the full-text index {bare / 1e6:.1f} MB: "
          f"the index adds {100 * (size - bare) / bare:.1f} %  (goal < 30 %)")
    for q, ts in search.items():
        print(f"  search {q!r:40} median {statistics.median(ts):6.1f} ms  max {max(ts):6.1f} ms")
    print(f"  search, topic filter, page 3           median {statistics.median(filtered):6.1f} ms")
    print(f"  search, page 2                         median {statistics.median(second_page):6.1f} ms")
    print(f"search p95 {p95(every_search):.1f} ms  (goal < 100 ms)")
    print(f"article page p95 {p95(articles):.1f} ms over {len(articles)} random articles  (goal < 50 ms)")
    print(f"week page max {max(weeks):.0f} ms, median {statistics.median(weeks):.0f} ms over {len(weeks)} weeks  "
          f"(goal < 300 ms)")
    print(f"home page median {statistics.median(home):.0f} ms")


if __name__ == "__main__":
    main()
