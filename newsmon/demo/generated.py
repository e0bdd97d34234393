"""Synthetic article archives of any size, for benchmarks and for tests that need more than the samples.

The records are recombined from the bundled sample paragraphs, so that extraction and classification see
real sentences, and padded to a chosen page size. Sizing renders a page, which is why this lives apart from
the records in `newsmon.demo.articles`: it needs `newsmon.demo.pages`, which itself needs the records.
"""

from __future__ import annotations

import html
import random
import re
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from newsmon.demo.articles import BAKU, SITES, load_sample_articles, slugify
from newsmon.demo.pages import RELATED_COUNT, article_page

__all__ = ["generated_articles"]

_SCO_RE = re.compile(r"\bSCO\b|Shanghai Cooperation Organi[sz]ation")
_AUTHORS = {
    "trend": ("Nargiz Sadigli", "Maryana Ahmadova", "Elchin Mehdiyev", "Laman Zeynalova", "Ilkin Hasanov"),
    "azernews": ("Aydan Rahimova", "Orkhan Jalilov", "Sevda Huseynli", "Farid Mammadli"),
    "newsaz": ("News.Az", "Kamran Guliyev", "Leyla Nabiyeva"),
}
_SECTIONS = {
    "trend": ("azerbaijan/politics", "business/energy", "business/economy", "azerbaijan/society"),
    "azernews": ("nation", "business", "analysis", "culture"),
    "newsaz": ("politics", "economy", "society", "sports"),
}


class _Pools(NamedTuple):
    """The sample material split by SCO relevance. SCO paragraphs are only those that name both the SCO and
    Azerbaijan, so that every generated positive is one for the classifier too."""

    sco_pars: list[str]
    other_pars: list[str]
    sco_titles: list[str]
    other_titles: list[str]
    sco_summaries: list[str]
    other_summaries: list[str]
    other_sizes: list[int]  # bytes each of other_pars adds to a page: escaped, in <p>...</p>\n


@lru_cache(maxsize=1)
def _pools() -> _Pools:
    sco, other = _split_by_sco(load_sample_articles())
    other_pars = [p for r in other for p in r["paragraphs"]]
    return _Pools(
        sco_pars=[p for r in sco for p in r["paragraphs"] if _names_sco_and_azerbaijan(p)],
        other_pars=other_pars,
        sco_titles=[r["title"] for r in sco],
        other_titles=[r["title"] for r in other],
        sco_summaries=[r["summary"] for r in sco],
        other_summaries=[r["summary"] for r in other],
        other_sizes=[len(html.escape(p).encode("utf-8")) + 8 for p in other_pars],
    )


def _split_by_sco(samples: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The SCO-positive sample records and the others. Each keeps the samples' order, on which the records
    generated from a seed depend."""
    return [r for r in samples if r["sco"]], [r for r in samples if not r["sco"]]


def _names_sco_and_azerbaijan(paragraph: str) -> bool:
    """Whether a paragraph of an SCO article may go into a generated positive: one that does not name
    Azerbaijan too would not make the classifier tag it."""
    return bool(_SCO_RE.search(paragraph)) and "Azerbaijan" in paragraph


@lru_cache(maxsize=8)
def _chrome_size(site: str) -> int:
    """Bytes of a page of ``site`` without paragraphs, with a typical related list: what the padding of a
    generated record has to add to reach ``size_bytes``."""
    title = "x" * 70
    rec = {"site": site, "section": _SECTIONS[site][0], "id": 1_000_000, "slug": "x" * 60, "title": title,
           "author": "x" * 14, "summary": "x" * 180, "paragraphs": []}
    related = [(title, "/" + site + "/xxxxxxxxxx/1234567.html")] * RELATED_COUNT[site]
    dt = datetime(2026, 11, 17, 12, 0, tzinfo=BAKU)
    base = "http://127.0.0.1:65535"
    return len(article_page(rec, dt, base + "/" + site + "/x/1.html", base, related).encode("utf-8"))


def generated_articles(n: int, *, start: datetime, seed: int = 0, size_bytes: int = 60_000,
                       span: timedelta = timedelta(days=7)) -> list[dict[str, Any]]:
    """``n`` deterministic records for benchmarks: spread over the three sites and evenly over ``span`` (a
    week unless given) from ``start`` (naive = Baku time), oldest first, about 1 in 10 SCO-positive,
    recombined from the sample paragraphs.
    ``padding_paragraphs`` (rendered after ``paragraphs`` in the article body) bring each page to about
    ``size_bytes`` of HTML."""
    sco_pars, other_pars, sco_titles, other_titles, sco_sums, other_sums, other_sizes = _pools()
    rng = random.Random(seed)
    start = start.replace(tzinfo=BAKU) if start.tzinfo is None else start.astimezone(BAKU)
    step = span / max(n, 1)
    n_other = len(other_pars)
    out = []
    for i in range(n):
        site = SITES[(i + seed) % 3]
        sco = i % 10 == seed % 10
        if sco:
            k = rng.randrange(len(sco_titles))
            title, summary = sco_titles[k], sco_sums[k]
            paragraphs = rng.sample(sco_pars, 3) + rng.sample(other_pars, 2)
            section = _SECTIONS[site][0]
        else:
            k = rng.randrange(len(other_titles))
            title, summary = other_titles[k], other_sums[k]
            paragraphs = rng.sample(other_pars, rng.randint(3, 6))
            section = _SECTIONS[site][rng.randrange(len(_SECTIONS[site]))]
        title = f"{title} ({i + 1})"
        need = size_bytes - _chrome_size(site) - sum(len(p.encode("utf-8")) + 8 for p in paragraphs)
        padding = []
        j = rng.randrange(n_other)
        while need > 0:
            padding.append(other_pars[j])
            need -= other_sizes[j]
            j = (j + 1) % n_other
        out.append({
            "slug": f"{slugify(title)[:70].rstrip('-')}-g{seed}-{i + 1}",
            "site": site,
            "section": section,
            "id": (5_000_000 if site == "trend" else 300_000 if site == "azernews" else 10_000) + i + 1,
            "title": title,
            "author": _AUTHORS[site][i % len(_AUTHORS[site])],
            "published": (start + step * i).replace(microsecond=0).isoformat(),
            "summary": summary,
            "paragraphs": paragraphs,
            "padding_paragraphs": padding,
            "sco": sco,
        })
    return out
