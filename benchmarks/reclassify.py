"""`newsmon reclassify` over 100,000 stored articles: wall time and peak memory.

Seeds a SQLite database (in a temp dir) with N articles recombined from the bundled sample articles
(~2 % of them SCO stories, as in a real news stream), then re-runs the shipped rules over all of them.

    .venv/bin/python benchmarks/reclassify.py [--articles 100000]
"""

from __future__ import annotations

import argparse
import random
import resource
import sqlite3
import tempfile
import time
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsmon.classifiers import compile_topics
from newsmon.commands.reclassify import reclassify
from newsmon.demo.articles import load_sample_articles
from newsmon.storage.engine import open_store

ROOT = Path(__file__).resolve().parent.parent


START = datetime(2025, 1, 1, tzinfo=UTC)   # the first article; one every 7 minutes after it


def seed(db: Path, n: int, sources: tuple[str, ...] = ("bench",)) -> int:
    """N articles recombined from the samples through plain INSERTs (any trigger keeps its index in step, as
    on every write), spread over `sources` in turn; returns the bytes of text."""
    store = open_store(f"sqlite:///{db}")
    store.close()
    samples = load_sample_articles()
    sco = [a for a in samples if a["sco"]]
    other = [a for a in samples if not a["sco"]]
    rng = random.Random(0)
    nbytes = 0
    insert = ("INSERT INTO articles (id, source_id, url, title, author, published_at, published_offset, fetched_at, "
              "text, summary, language, extraction) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")
    with sqlite3.connect(db) as conn:
        conn.executemany("INSERT INTO sources (id, name) VALUES (?, ?)", list(enumerate(sources, 1)))
        rows = []
        for i in range(n):
            base = rng.choice(sco) if rng.random() < 0.02 else rng.choice(other)
            text = "\n".join(rng.sample(base["paragraphs"], len(base["paragraphs"])))
            nbytes += len(text.encode())
            when = (START + timedelta(minutes=7 * i)).replace(tzinfo=None)
            rows.append((i + 1, 1 + i % len(sources), f"https://bench.invalid/{i}", base["title"], "", when, 240,
                         when, text, "", "en", "article"))
            if len(rows) == 5000:
                conn.executemany(insert, rows)
                rows = []
        if rows:
            conn.executemany(insert, rows)
    return nbytes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    args = parser.parse_args()
    topics = tomllib.loads((ROOT / "config.toml").read_text())["topics"]
    classifier = compile_topics(topics)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        nbytes = seed(db, args.articles)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        store = open_store(f"sqlite:///{db}")
        started = time.perf_counter()
        report = reclassify(store, classifier)
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = reclassify(store, classifier, dry_run=True)
        second = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        store.close()
    gained = sum(len(v) for v in report.gained.values())
    print(f"reclassify {report.articles:,} articles ({nbytes / 1e6:.0f} MB of text): {first:.1f} s "
          f"({report.articles / first:,.0f} articles/s), {report.changed:,} changed, {gained:,} topic gains")
    print(f"unchanged re-run (dry run, nothing to update): {second:.1f} s, {again.changed} changed")
    print(f"peak RSS {peak:.0f} MB (before reclassify, after seeding: {rss_before:.0f} MB)")


if __name__ == "__main__":
    main()
