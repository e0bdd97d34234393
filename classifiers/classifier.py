"""Topic rules applied to an article: which topics it carries, with the evidence a reader can check.

Speed matters because `reclassify` re-runs every rule over the whole archive after each edit. The common path
counts terms without keeping positions: one pass of the combined pattern over the folded text, then a cached
answer per distinct stretch found.
Positions are worked out only where they are needed: snippets for the topics that matched, proximity rules,
and raw-regex terms (which live outside the combined matcher).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from classifiers.fold import fold_view
from classifiers.matcher import Matcher
from classifiers.rules import TopicSpec, parse_topics
from classifiers.terms import CompiledTerm

__all__ = ["Classifier", "TopicMatch", "compile_topics"]

MAX_SNIPPETS = 3
SNIPPET_SIDE_WORDS = 12  # words kept on each side of a match when its sentence is too long
SENTENCE_MAX_WORDS = 40  # a sentence up to this long is shown whole
_SNIPPET_CANDIDATES = 5  # matches looked at when choosing snippets
_CACHE_LIMIT = 200_000
_WS = re.compile(r"\s+")
_TOKEN = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"[.!?…][\"'”»)\]]*(?=\s)|\n")


@dataclass(frozen=True)
class TopicMatch:
    """Why an article carries a topic: the score, each rule term (as written in config.toml) with the
    number of times it matched, and up to three passages around matches, the most telling first."""

    topic: str
    score: float
    terms: dict[str, int] = field(default_factory=dict)
    snippets: tuple[str, ...] = ()


class _Item(NamedTuple):
    start: int
    end: int
    group: int
    term: str
    weight: float
    order: int  # the term's place in the topic's definition: breaks ties between equally long matches


class _Use(NamedTuple):
    topic: int
    group: int  # -1: an exclusion
    weight: float
    term: str
    order: int


class _Tally:
    __slots__ = ("groups", "score", "terms")

    def __init__(self) -> None:
        self.terms: dict[str, int] = {}
        self.groups: set[int] = set()
        self.score = 0.0

    def add_items(self, items: Iterable[_Item], factor: float = 1.0) -> None:
        terms = self.terms
        for it in items:
            terms[it.term] = terms.get(it.term, 0) + 1
            self.groups.add(it.group)
            self.score += it.weight * factor

    def add_tally(self, other: _Tally, factor: float = 1.0, times: int = 1) -> None:
        """Add ``other`` seen ``times`` times, its score weighted by ``factor`` (the title weight)."""
        terms = self.terms
        for term, n in other.terms.items():
            terms[term] = terms.get(term, 0) + n * times
        self.groups |= other.groups
        self.score += other.score * factor * times


class _Scan:
    """One pass of the combined pattern over a text: where each stretch was found, and what it was."""

    __slots__ = ("raw", "spans", "text")

    def __init__(self, text: str, spans: list[tuple[int, int]], raw: list[tuple[int, int, int]]) -> None:
        self.text = text
        self.spans = spans
        self.raw = raw


class _Resolved(NamedTuple):
    """What one stretch of text found by the matcher means for one topic (offsets within the stretch)."""

    topic: int
    items: tuple[_Item, ...]
    exclusions: tuple[tuple[int, int], ...]
    tally: _Tally


def compile_topics(tables: Mapping[str, Mapping[str, Any]]) -> Classifier:
    """Compile the parsed ``[topics]`` table once; every rule mistake is a RuleError naming topic and term."""
    specs, terms = parse_topics(tables)
    return Classifier(specs, terms)


class Classifier:
    """All topics' rules, compiled into one matcher."""

    def __init__(self, specs: list[TopicSpec], terms: list[CompiledTerm]) -> None:
        self.specs = tuple(specs)
        self.topics: tuple[str, ...] = tuple(s.name for s in specs)
        self._matcher = Matcher(terms)
        self._uses: list[list[_Use]] = [[] for _ in terms]
        for t, spec in enumerate(specs):
            order = 0
            for g, group in enumerate(spec.groups):
                for term in group.terms:
                    self._uses[term.compiled.uid].append(
                        _Use(t, g, term.weight * group.weight, term.text, order))
                    order += 1
            for term in spec.exclude:
                self._uses[term.compiled.uid].append(_Use(t, -1, 0.0, term.text, -1))
        self._cache: dict[str, tuple[_Resolved, ...]] = {}

    def classify(self, title: str, text: str) -> dict[str, TopicMatch]:
        """Only topics whose rule holds and whose score reaches the threshold, in config order."""
        head = self._scan(_normalize(" ".join(title.split())))
        body = self._scan(_normalize(text))
        head_tally, head_raw = self._count(head)
        body_tally, body_raw = self._count(body)
        candidates = sorted(set(head_tally) | set(body_tally) | head_raw | body_raw)
        positioned: dict[tuple[int, int], list[_Item]] = {}  # (0 title | 1 body, topic) -> all items

        def items(which: int, t: int) -> list[_Item]:
            key = (which, t)
            if key not in positioned:
                positioned[key] = self._positioned(body if which else head, {t})[t]
            return positioned[key]

        passed: list[tuple[int, _Tally]] = []
        for t in candidates:
            spec = self.specs[t]
            tally = _Tally()
            if t in head_raw:
                tally.add_items(items(0, t), spec.title_weight)
            elif t in head_tally:
                tally.add_tally(head_tally[t], spec.title_weight)
            if t in body_raw:
                tally.add_items(items(1, t))
            elif t in body_tally:
                tally.add_tally(body_tally[t])
            if not _rule_holds(spec, tally.groups) or tally.score < spec.threshold - 1e-9:
                continue
            if spec.near and not (_near(spec, head.text, items(0, t)) or _near(spec, body.text, items(1, t))):
                continue
            passed.append((t, tally))
        if not passed:
            return {}
        need = {t for t, _tally in passed if (1, t) not in positioned}
        firsts = self._positioned(body, need, limit=_SNIPPET_CANDIDATES) if need else {}
        bounds: dict[tuple[int, int], tuple[int, int, bool, bool]] = {}
        result: dict[str, TopicMatch] = {}
        for t, tally in passed:
            name = self.specs[t].name
            found = positioned.get((1, t)) or firsts.get(t, [])
            terms = dict(sorted(tally.terms.items(), key=lambda kv: (-kv[1], kv[0])))
            result[name] = TopicMatch(topic=name, score=round(tally.score, 6), terms=terms,
                                      snippets=_snippets(body.text, found, head.text, bounds))
        return result

    # -- counting ---------------------------------------------------------------------------------------

    def _scan(self, text: str) -> _Scan:
        pattern = self._matcher.pattern
        spans = [m.span() for m in pattern.finditer(fold_view(text))] if pattern is not None and text else []
        raw = []
        for term in self._matcher.raw:
            for m in term.regex.finditer(text):
                if m.end() > m.start():
                    raw.append((m.start(), m.end(), term.uid))
        return _Scan(text, spans, raw)

    def _resolve(self, surface: str) -> tuple[_Resolved, ...]:
        cached = self._cache.get(surface)
        if cached is not None:
            return cached
        per: dict[int, tuple[list[_Item], list[tuple[int, int]]]] = {}
        for s, e, uid in self._matcher.hits_in(surface):
            for u in self._uses[uid]:
                items, excl = per.setdefault(u.topic, ([], []))
                if u.group < 0:
                    excl.append((s, e))
                else:
                    items.append(_Item(s, e, u.group, u.term, u.weight, u.order))
        out = []
        for t, (items, excl) in per.items():
            kept = _select(items, excl)
            tally = _Tally()
            tally.add_items(kept)
            out.append(_Resolved(t, tuple(kept), tuple(excl), tally))
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        resolved = self._cache[surface] = tuple(out)
        return resolved

    def _count(self, scan: _Scan) -> tuple[dict[int, _Tally], set[int]]:
        """Counts without positions, the path every article takes; and the topics a raw regex touched,
        which must be counted with positions instead (a regex match may overlap a plain one)."""
        tallies: dict[int, _Tally] = {}
        text = scan.text
        for surface, n in Counter([text[a:b] for a, b in scan.spans]).items():
            for r in self._resolve(surface):
                if not r.tally.terms:
                    continue
                tally = tallies.get(r.topic)
                if tally is None:
                    tally = tallies[r.topic] = _Tally()
                tally.add_tally(r.tally, times=n)
        raw_topics = {u.topic for _s, _e, uid in scan.raw for u in self._uses[uid]}
        return tallies, raw_topics

    def _positioned(self, scan: _Scan, topics: set[int], limit: int | None = None) -> dict[int, list[_Item]]:
        """Counted matches with their places, for the topics asked; with ``limit``, stop once every topic
        has that many (snippets need only the first few)."""
        items: dict[int, list[_Item]] = {t: [] for t in topics}
        excl: dict[int, list[tuple[int, int]]] = {t: [] for t in topics}
        text = scan.text
        scanned = len(text)
        waiting = set(topics)
        for s, e in scan.spans:
            for r in self._resolve(text[s:e]):
                if r.topic not in items:
                    continue
                items[r.topic].extend(it._replace(start=it.start + s, end=it.end + s) for it in r.items)
                excl[r.topic].extend((a + s, b + s) for a, b in r.exclusions)
                if limit is not None and len(items[r.topic]) >= limit:
                    waiting.discard(r.topic)
            if limit is not None and not waiting:
                scanned = e
                break
        touched = set()
        for s, e, uid in scan.raw:
            if s >= scanned:
                continue
            for u in self._uses[uid]:
                if u.topic not in items:
                    continue
                touched.add(u.topic)
                if u.group < 0:
                    excl[u.topic].append((s, e))
                else:
                    items[u.topic].append(_Item(s, e, u.group, u.term, u.weight, u.order))
        for t in touched:
            items[t] = _select(items[t], excl[t])
        return items


def _normalize(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _select(items: list[_Item], exclusions: list[tuple[int, int]]) -> list[_Item]:
    """Drop matches an exclusion overlaps, then keep the leftmost-longest of overlapping ones, so
    "SCO Plus" counts once (as "SCO Plus"), not also as "SCO"."""
    kept: list[_Item] = []
    last_end = -1
    for it in sorted(items, key=lambda i: (i.start, -i.end, i.order)):
        if it.start < last_end:
            continue
        if any(a < it.end and it.start < b for a, b in exclusions):
            continue
        kept.append(it)
        last_end = it.end
    return kept


def _rule_holds(spec: TopicSpec, present: set[int]) -> bool:
    return (all(g in present for g in spec.all)
            and (not spec.any or any(g in present for g in spec.any))
            and not any(g in present for g in spec.none))


def _near(spec: TopicSpec, text: str, items: list[_Item]) -> bool:
    """Is there one stretch (of near_words words, and/or one paragraph) holding a match of every near group?"""
    wanted = set(spec.near)
    relevant = sorted((it for it in items if it.group in wanted), key=lambda it: it.start)
    if not relevant:
        return False
    placed: list[tuple[int, int, int]] = []  # (paragraph, word, group)
    para = word = prev = 0
    for it in relevant:
        para += text.count("\n", prev, it.start)
        word += len(_WS.findall(text, prev, it.start))
        prev = it.start
        placed.append((para if spec.near_paragraph else 0, word, it.group))
    span = spec.near_words if spec.near_words is not None else len(text)
    counts: Counter[int] = Counter()
    lo = 0
    for p, w, g in placed:
        counts[g] += 1
        while placed[lo][0] != p or w - placed[lo][1] > span:
            counts[placed[lo][2]] -= 1
            lo += 1
        if all(counts[x] > 0 for x in wanted):
            return True
    return False


def _snippet_bounds(text: str, start: int, end: int) -> tuple[int, int, bool, bool]:
    """The sentence around a match if it is short, else about a dozen words each side of it."""
    lo_limit, hi_limit = max(0, start - 400), min(len(text), end + 400)
    s0 = lo_limit
    for m in _SENTENCE_END.finditer(text, lo_limit, start):
        s0 = m.end()
    m = _SENTENCE_END.search(text, end, hi_limit)
    s1 = m.end() if m else hi_limit
    if text.count(" ", s0, s1) + text.count("\n", s0, s1) < SENTENCE_MAX_WORDS:  # short: no counting
        return s0, s1, s0 == lo_limit and lo_limit > 0, m is None and hi_limit < len(text)
    before = [t.start() for t in _TOKEN.finditer(text, s0, start)]
    after = [t.end() for t in _TOKEN.finditer(text, end, s1)]
    cut_lo = s0 == lo_limit and lo_limit > 0
    cut_hi = m is None and hi_limit < len(text)
    if len(before) + len(after) > SENTENCE_MAX_WORDS:
        if len(before) > SNIPPET_SIDE_WORDS:
            s0, cut_lo = before[-SNIPPET_SIDE_WORDS], True
        if len(after) > SNIPPET_SIDE_WORDS:
            s1, cut_hi = after[SNIPPET_SIDE_WORDS - 1], True
    return s0, s1, cut_lo, cut_hi


def _snippets(text: str, items: list[_Item], title: str,
              bounds_cache: dict[tuple[int, int], tuple[int, int, bool, bool]]) -> tuple[str, ...]:
    """Up to three passages; one showing matches of several groups (SCO *and* Azerbaijan) comes first."""
    if not items:
        return (title,) if title else ()
    firsts = sorted(items, key=lambda it: it.start)[:_SNIPPET_CANDIDATES]
    ranked = []
    for it in firsts:
        key = (it.start, it.end)
        if key not in bounds_cache:
            bounds_cache[key] = _snippet_bounds(text, it.start, it.end)
        s0, s1, cut_lo, cut_hi = bounds_cache[key]
        groups = len({o.group for o in firsts if o.start >= s0 and o.end <= s1})
        ranked.append((-groups, it.start, s0, s1, cut_lo, cut_hi))
    chosen: list[tuple[int, int, str]] = []
    for _g, _start, s0, s1, cut_lo, cut_hi in sorted(ranked):
        if any(a < s1 and s0 < b for a, b, _ in chosen):
            continue
        body = " ".join(text[s0:s1].split())
        chosen.append((s0, s1, ("… " if cut_lo else "") + body + (" …" if cut_hi else "")))
        if len(chosen) == MAX_SNIPPETS:
            break
    return tuple(s for _a, _b, s in chosen)
