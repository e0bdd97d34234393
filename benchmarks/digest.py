"""Digest benchmark: build (not send) the digest of a week with 5,000 tagged articles.

Articles are recombined from the bundled samples (`generated_articles`, about 4-5 KB of text each, many
sharing paragraphs, so the near-duplicate grouping has real work), stored in a fresh SQLite file, all tagged.
Prints, for the default digest (50 stories listed per topic) and for one listing every story:
  - reading the week from storage, grouping near-duplicates (alone), rendering (grouping + chart + templates
    + css-inline + MIME message), the total; goal < 2 s;
  - the peak RSS of a fresh process doing just that (as `newsmon digest` would), imports included, and the
    traced (tracemalloc) peak of one build; goal < 200 MB.

    .venv/bin/python benchmarks/digest.py [--articles 5000]
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from newsmon.config import DEFAULTS
from newsmon.demo.generated import generated_articles
from newsmon.digests.dedupe import group_duplicates
from newsmon.digests.render import build_message, render_digest
from newsmon.digests.select import select_week
from newsmon.digests.week import parse_week
from newsmon.storage.engine import open_store
from newsmon.storage.models import Article, ArticleTopic
from newsmon.storage.runs import source_ids

WEEK = "2025-W36"
TOPIC = "sco_azerbaijan"
TERMS = ("SCO", "Azerbaijan", "Shanghai Cooperation Organization", "Baku")


def seed(store: object, n: int) -> None:
    baku = timezone(timedelta(hours=4))
    records = generated_articles(n, start=datetime(2025, 9, 1, tzinfo=baku), size_bytes=6_000)
    now = datetime(2025, 9, 8, tzinfo=UTC)
    with store.write() as s:  # type: ignore[attr-defined]
        ids = source_ids(s, ["trend", "azernews", "newsaz"])
        articles, topics = [], []
        for i, r in enumerate(records, start=1):
            text = "\n\n".join(r["paragraphs"] + r["padding_paragraphs"])
            published = datetime.fromisoformat(r["published"])
            articles.append(dict(id=i, source_id=ids[r["site"]], url=f"https://{r['site']}.example/{r['slug']}",
                                 title=r["title"], author=r["author"], published_at=published, published_offset=240,
                                 fetched_at=published, text=text, summary=r["summary"], language="en",
                                 extraction="article", updated_at=now))
            terms = {t: len(re.findall(rf"\b{re.escape(t)}\b", text)) for t in TERMS}
            terms = {t: c for t, c in terms.items() if c} or {"Azerbaijan": 1}
            snippets = [p[:300] for p in r["paragraphs"] if any(t in p for t in terms)][:3]
            topics.append(dict(article_id=i, topic=TOPIC, score=float(sum(terms.values())), terms=terms,
                               snippets=snippets))
        s.execute(insert(Article), articles)
        s.execute(insert(ArticleTopic), topics)


def build(store: object, max_stories: int) -> tuple[dict[str, float], object]:
    week = parse_week(WEEK, ZoneInfo("Asia/Baku"))
    t0 = time.perf_counter()
    with store.read() as s:  # type: ignore[attr-defined]
        data = select_week(s, week, {TOPIC: "SCO and Azerbaijan"}, ["trend", "azernews", "newsaz"])
    t1 = time.perf_counter()
    digest = render_digest(data, now=datetime(2025, 9, 8, 4, tzinfo=UTC), title=DEFAULTS["digest"]["title"],
                           max_stories=max_stories)
    msg = build_message(digest, sender="newsmon@example.org", recipients=["a@example.org"],
                        message_id="<bench@example.org>", now=datetime(2025, 9, 8, 4, tzinfo=UTC))
    size = len(msg.as_bytes())
    t2 = time.perf_counter()
    articles = data.topics[0].articles
    g0 = time.perf_counter()
    groups = group_duplicates([f"{a.title}\n{a.text}" for a in articles])
    g1 = time.perf_counter()
    return {"select": t1 - t0, "render": t2 - t1, "total": t2 - t0, "grouping": g1 - g0, "articles": len(articles),
            "stories": len(groups), "message_kb": size / 1000}, digest


def measure(db: Path, max_stories: int) -> dict[str, float]:
    """One fresh process, as `newsmon digest` would be: imports, a first build, a timed build, peak RSS."""
    t = time.perf_counter()
    store = open_store(f"sqlite:///{db}")
    build(store, max_stories)
    first = time.perf_counter() - t
    r, _ = build(store, max_stories)
    r["first"] = first
    r["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    build(store, max_stories)
    r["traced_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    store.close()
    return r


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)        # internal: the child process
    parser.add_argument("--max-stories", type=int, default=50, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.max_stories)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        store = open_store(f"sqlite:///{db}")
        t = time.perf_counter()
        seed(store, args.articles)
        store.close()
        print(f"seeded {args.articles} tagged articles of {WEEK} in {time.perf_counter() - t:.1f} s (not counted)")
        for label, limit in (("default digest (max_stories = 50)", 50), ("every story listed (max_stories = 0)", 0)):
            out = subprocess.run([sys.executable, __file__, "--measure", str(db), "--max-stories", str(limit)],
                                 capture_output=True, text=True, check=True).stdout
            r = json.loads(out)
            print(f"{label}: {r['articles']:.0f} articles -> {r['stories']:.0f} stories, message "
                  f"{r['message_kb']:.0f} KB")
            print(f"  read week {r['select']:.2f} s + render {r['render']:.2f} s = {r['total']:.2f} s "
                  f"(goal < 2 s: {'ok' if r['total'] < 2 else 'MISSED'}); first build in a fresh process, "
                  f"connecting and font cache included: {r['first']:.2f} s")
            print(f"  near-duplicate grouping alone (MinHash + LSH, inside render): {r['grouping']:.2f} s")
            print(f"  peak RSS of the process {r['rss_mb']:.0f} MB (imports included; goal < 200 MB: "
                  f"{'ok' if r['rss_mb'] < 200 else 'MISSED'}); traced Python+numpy peak of one build "
                  f"{r['traced_mb']:.0f} MB")


if __name__ == "__main__":
    main()
