"""Near-duplicate grouping: the same story published by several outlets (or twice by one) becomes one entry.

Method: **MinHash with LSH banding, confirmed by exact Jaccard similarity.**

1. Each document (title + the start of its text) becomes the set of its word 3-shingles (lower-cased
   `\\w+` words; a document shorter than three words uses its words), each shingle a 64-bit hash.
2. A MinHash signature of SIGNATURE_SIZE values is computed for every document at once with numpy
   (multiply-add-shift hash family over the mixed shingle hashes, minimum per document via `reduceat`).
3. LSH: the signature is cut into BANDS bands of ROWS values; documents sharing a band are candidates.
   With 32 bands of 3 rows, a pair of Jaccard 0.5 becomes a candidate with probability 0.99, a pair of
   0.1 with 0.03, so the work grows with the number of documents, not with its square.
4. A candidate joins a document when the exact Jaccard similarity of their shingle sets is at least
   `threshold` (default 0.5); groups are the connected components (union-find).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

SIGNATURE_SIZE = 96
ROWS = 3
BANDS = SIGNATURE_SIZE // ROWS
DEFAULT_THRESHOLD = 0.5

_WORD = re.compile(r"\w+")
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_P1 = np.uint64(0x9E3779B97F4A7C15)
_P2 = np.uint64(0xC2B2AE3D27D4EB4F)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, vectorised (uint64 arithmetic wraps, as intended)."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    mixed: np.ndarray = x ^ (x >> np.uint64(31))
    return mixed


@dataclass(frozen=True)
class Shingles:
    """The sorted, unique 64-bit shingle hashes of every document, stored flat: document i holds
    `hashes[offsets[i]:offsets[i + 1]]`. Every document has at least one (an empty one gets a hash of
    its own, so it resembles nothing)."""

    hashes: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> np.ndarray:
        return self.hashes[self.offsets[i]:self.offsets[i + 1]]


def shingle_sets(docs: Sequence[str], *, chunk: int = 256) -> Shingles:
    """Word 3-shingles of every document, computed with numpy a chunk of documents at a time (the words
    of a chunk are Python strings for a moment; the whole corpus never is)."""
    vocab: dict[str, int] = {}
    hashes, counts = [], []
    for start in range(0, len(docs), chunk):
        h, c = _chunk_shingles(docs[start:start + chunk], start, vocab)
        hashes.append(h)
        counts.append(c)
    offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    if docs:
        np.cumsum(np.concatenate(counts), out=offsets[1:])
    return Shingles(np.concatenate(hashes) if hashes else np.empty(0, dtype=np.uint64), offsets)


def _chunk_shingles(docs: Sequence[str], base: int, vocab: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    n = len(docs)
    word_lists = [_WORD.findall(d.lower()) for d in docs]
    for w in set(chain.from_iterable(word_lists)) - vocab.keys():
        vocab[w] = zlib.crc32(w.encode())
    lengths = np.fromiter(map(len, word_lists), dtype=np.int64, count=n)
    words = np.fromiter(map(vocab.__getitem__, chain.from_iterable(word_lists)), dtype=np.uint64,
                        count=int(lengths.sum()))
    del word_lists
    doc_of = np.repeat(np.arange(n, dtype=np.int64), lengths)
    # 3-shingles that do not straddle two documents
    inside = doc_of[:-2] == doc_of[2:]
    parts = [(doc_of[:-2][inside], words[:-2][inside] * _P1 + words[1:-1][inside] * _P2 + words[2:][inside])]
    short = lengths < 3                                   # too short for a 3-shingle: its words
    if short.any():
        mask = short[doc_of]
        parts.append((doc_of[mask], words[mask]))
    empty = np.flatnonzero(lengths == 0)                  # nothing at all: a hash of its own
    if len(empty):
        parts.append((empty, (empty.astype(np.uint64) + np.uint64(base + 1)) * _P2 + np.uint64(0x5EED)))
    owner = np.concatenate([p[0] for p in parts])
    hashes = _mix(np.concatenate([p[1] for p in parts]))
    order = np.lexsort((hashes, owner))
    owner, hashes = owner[order], hashes[order]
    keep = np.r_[True, (owner[1:] != owner[:-1]) | (hashes[1:] != hashes[:-1])]
    return hashes[keep], np.bincount(owner[keep], minlength=n)


def signatures(sets: Shingles, size: int = SIGNATURE_SIZE, seed: int = 1) -> np.ndarray:
    """MinHash signatures, shape (len(sets), size), uint32."""
    n = len(sets)
    out = np.empty((n, size), dtype=np.uint32)
    if n == 0:
        return out
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=size, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=size, dtype=np.uint64)
    shift = np.uint64(32)
    starts = sets.offsets[:-1]
    for i in range(size):
        hashed = (sets.hashes * a[i] + b[i]) >> shift
        out[:, i] = np.minimum.reduceat(hashed, starts)
    return out


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted, unique hash arrays."""
    if len(a) > len(b):
        a, b = b, a
    pos = np.searchsorted(b, a)
    inter = int(np.count_nonzero(b[np.minimum(pos, len(b) - 1)] == a))
    return inter / (len(a) + len(b) - inter)


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def candidate_pairs(sig: np.ndarray) -> np.ndarray:
    """LSH: pairs (i, j), i < j, that share a band of their signatures. Within a bucket each member is paired
    with the bucket's first member and with its neighbour (not every pair), so a bucket of many copies
    costs a number of pairs linear in its size; pairs missed that way are found through other bands."""
    n = len(sig)
    weights = _mix(np.arange(1, ROWS + 1, dtype=np.uint64))
    found = []
    for band in range(BANDS):
        rows = sig[:, band * ROWS:(band + 1) * ROWS].astype(np.uint64)
        keys = _mix((rows * weights).sum(axis=1, dtype=np.uint64) + np.uint64(band))
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        same_as_prev = np.r_[False, sorted_keys[1:] == sorted_keys[:-1]]
        if not same_as_prev.any():
            continue
        bucket_start = np.maximum.accumulate(np.where(same_as_prev, 0, np.arange(n)))
        idx = np.flatnonzero(same_as_prev)
        found.append(np.stack([order[bucket_start[idx]], order[idx]], axis=1))
        found.append(np.stack([order[idx - 1], order[idx]], axis=1))
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.sort(np.concatenate(found), axis=1).astype(np.int64)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return np.unique(pairs, axis=0)


def group_duplicates(docs: Sequence[str], *, threshold: float = DEFAULT_THRESHOLD) -> list[list[int]]:
    """Indices of `docs` grouped by near-duplicate text; every index is in exactly one group, groups are
    ordered by their first index and each group is sorted."""
    n = len(docs)
    if n < 2:
        return [[i] for i in range(n)]
    sets = shingle_sets(docs)
    sig = signatures(sets)
    pairs = candidate_pairs(sig)
    if len(pairs):
        # The signatures estimate each candidate's similarity (standard error about 0.05 with 96 values);
        # only plausible ones are measured exactly.
        estimate = np.concatenate([(sig[p[:, 0]] == sig[p[:, 1]]).mean(axis=1)
                                   for p in np.array_split(pairs, -(-len(pairs) // 8192))])
        pairs = pairs[estimate >= threshold - 0.15]
    uf = _UnionFind(n)
    for i, j in pairs.tolist():
        if uf.find(i) != uf.find(j) and jaccard(sets[i], sets[j]) >= threshold:
            uf.union(i, j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(uf.find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])
