"""Classifier throughput on one core.

    .venv/bin/python benchmarks/classify.py [--mb 20] [--no-prefilter]

1. the shipped topics of config.toml over ~20 MB of article text, on two corpora (goals: >= 60 MB/s on the
   news stream, >= 30 MB/s on the dense corpus):
   - a news stream: the bundled sample articles of newsmon.demo and the negative evaluation texts, with
     one SCO story in 50 articles (2 %), as in a real feed;
   - the dense corpus: the seed articles and every evaluation text, repeated (about 64 % tagged), the worst
     case: nearly every article needs the full scan, the scoring and the snippets;
2. 200 generated topics of 20 terms each over the dense corpus, goal >= 10 MB/s (all terms share one
   matcher, so this should not be 100 times slower).

``reclassify`` of 100,000 stored articles (wall time, peak memory) needs storage and is measured by
benchmarks/reclassify.py.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
import tomllib
from typing import Any

from evaluate import REPO, load_eval_set  # the benchmark beside this one (this folder is on sys.path)

from newsmon.classifiers import Classifier, compile_topics

Doc = tuple[str, str]
SCO_SHARE = 50  # one SCO story in this many articles of the news stream, and one false friend


def corpus(megabytes: float) -> tuple[list[Doc], int]:
    """The dense corpus: seeds and evaluation texts (positives and hard negatives), repeated."""
    base = [(i.title, i.text) for i in load_eval_set(REPO / "tests" / "data" / "eval")]
    return _repeat(base, megabytes)


def news_stream(megabytes: float) -> tuple[list[Doc], int]:
    """What a news feed looks like: mostly other news, one SCO story in SCO_SHARE articles and as many false
    friends. The other news is the samples' non-SCO articles; the false friends, the evaluation set's
    negatives (Shanghai Composite, ICESCO, SCO Group, CIS summits, Scotland's "SCO" in results tables...);
    the SCO stories, the samples' SCO articles."""
    from newsmon.demo.articles import load_sample_articles

    samples = load_sample_articles()
    sco = [(a["title"], "\n".join(a["paragraphs"])) for a in samples if a.get("sco")]
    other = [(a["title"], "\n".join(a["paragraphs"])) for a in samples if not a.get("sco")]
    friends = [(i.title, i.text) for i in load_eval_set(REPO / "tests" / "data" / "eval") if not i.labels]
    docs: list[Doc] = []
    size = 0
    n = 0
    while size < megabytes * 1_000_000:
        turn, k = n % SCO_SHARE, n // SCO_SHARE
        doc = sco[k % len(sco)] if turn == SCO_SHARE - 1 else friends[k % len(friends)] if turn == 0 else \
            other[n % len(other)]
        docs.append(doc)
        size += len(doc[0].encode()) + len(doc[1].encode())
        n += 1
    return docs, size


def _repeat(base: list[Doc], megabytes: float) -> tuple[list[Doc], int]:
    docs: list[Doc] = []
    size = 0
    while size < megabytes * 1_000_000:
        for title, text in base:
            docs.append((title, text))
            size += len(title.encode()) + len(text.encode())
    return docs, size


def generated_topics(docs: list[Doc], n_topics: int = 200, n_terms: int = 20, seed: int = 1) -> dict[str, Any]:
    """Terms like real rules': names and specific words drawn from the corpus (so they do match), stems,
    phrases, acronyms, and made-up words that never match."""
    rng = random.Random(seed)
    base = docs[:80]
    df: dict[str, int] = {}
    for _t, text in base:
        for w in set(re.findall(r"\b[^\W\d_]{6,}", text)):
            df[w] = df.get(w, 0) + 1
    words = sorted(w for w, n in df.items() if n <= 2)  # specific words, as topic terms are
    tables: dict[str, Any] = {}
    for t in range(n_topics):
        groups: dict[str, list[Any]] = {"a": [], "b": []}
        for k in range(n_terms):
            kind = rng.random()
            if kind < 0.4:
                term = rng.choice(words)
            elif kind < 0.6:
                term = f"{rng.choice(words)} {rng.choice(words)}"
            elif kind < 0.8:
                word = rng.choice(words)
                term = word[: max(5, len(word) - 2)] + "*"
            elif kind < 0.9:
                term = "".join(rng.choice("ABCDEFGHKLMNPRSTUVXZ") for _ in range(3))
            else:
                term = "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(4))
            groups["a" if k % 2 else "b"].append(term)
        tables[f"gen{t:03d}"] = {"groups": groups, "all": ["a", "b"], "threshold": 3}
    return tables


def seeds_only(docs: list[Doc], megabytes: float) -> tuple[list[Doc], int]:
    """The five full-length seed articles alone: per-article overhead weighs less on long texts."""
    return _repeat(list(dict.fromkeys(d for d in docs if len(d[1]) > 2000)), megabytes)


def throughput(classifier: Classifier, docs: list[Doc], size: int) -> tuple[float, float]:
    tagged = 0
    start = time.perf_counter()
    for title, text in docs:
        if classifier.classify(title, text):
            tagged += 1
    seconds = time.perf_counter() - start
    return size / 1e6 / seconds, tagged / len(docs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=20.0, help="megabytes of article text (default 20)")
    parser.add_argument("--no-prefilter", action="store_true",
                        help="scan every article in full (same results; shows what the prefilter saves)")
    args = parser.parse_args(argv)
    prefilter = not args.no_prefilter

    with (REPO / "config.toml").open("rb") as f:
        shipped_tables = tomllib.load(f)["topics"]
    t0 = time.perf_counter()
    shipped = compile_topics(shipped_tables, prefilter=prefilter)
    compile_s = time.perf_counter() - t0
    print(f"shipped topics ({len(shipped.topics)}), compiled in {compile_s * 1000:.0f} ms"
          f"{'' if prefilter else ', prefilter off'}; goals: news stream >= 60 MB/s, dense corpus >= 30 MB/s")

    stream, stream_size = news_stream(args.mb)
    first, _ = throughput(shipped, stream, stream_size)
    mbps, share = throughput(shipped, stream, stream_size)
    print(f"  news stream ({len(stream)} articles, {stream_size / 1e6:.1f} MB, 1 SCO story in {SCO_SHARE}): "
          f"{mbps:6.1f} MB/s   ({share:.0%} tagged; {first:.1f} MB/s on the first pass)")
    docs, size = corpus(args.mb)
    mbps, share = throughput(shipped, docs, size)
    print(f"  dense corpus ({len(docs)} articles, {size / 1e6:.1f} MB, seeds + evaluation texts):    "
          f"{mbps:6.1f} MB/s   ({share:.0%} tagged)")
    long_docs, long_size = seeds_only(docs, args.mb)
    mbps, share = throughput(shipped, long_docs, long_size)
    print(f"  seed articles only ({long_size / len(long_docs) / 1000:.1f} kB each):                          "
          f"{mbps:6.1f} MB/s   ({share:.0%} tagged)")

    tables = generated_topics(docs)
    t0 = time.perf_counter()
    big = compile_topics(tables, prefilter=prefilter)
    compile_s = time.perf_counter() - t0
    n_terms = sum(len(g) for t in tables.values() for g in t["groups"].values())
    first, _ = throughput(big, docs, size)
    mbps, share = throughput(big, docs, size)
    print(f"generated topics ({len(big.topics)} x 20 = {n_terms} terms), compiled in {compile_s:.1f} s; "
          f"goal >= 10 MB/s")
    print(f"  dense corpus:                                                      {mbps:6.1f} MB/s   "
          f"({share:.0%} tagged; {first:.1f} MB/s on the first pass, which compiles each term's own "
          f"regex when the term is first found)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
