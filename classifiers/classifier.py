"""Topic rules applied to an article: which topics it carries, with the evidence a reader can check.

Speed matters because `reclassify` re-runs every rule over the whole archive after each edit, and ingest
classifies every article of every feed. An article goes through, cheapest first:

1. the prefilter (``matcher.Prefilter``), when every topic needs some group of few terms (the shipped rules
   all need the SCO group): if none of those terms can occur, nothing else is done, which is the fate of
   most articles of a news stream;
2. one pass of the combined matcher over title and body (``matcher.Matcher``: Aho-Corasick for where terms
   may start, the trie's regex only there), each distinct stretch found with its places, then a cached answer
   per distinct stretch ("Azerbaijan", "SCO" recur in thousands of articles): which topic, group and term
   each one is;
3. the group rules of all topics at once, as bit operations (``_Rules``); only topics whose rule holds are
   scored, and only those that reach their threshold get terms and snippets;
4. snippets, for the first few matches of each such topic, sharing the sentence look-ups between topics.

Positions of single matches are worked out in full only for proximity rules and raw-regex terms (which live
outside the combined matcher). The results are those of the plain path (``prefilter=False``, every step for
every topic); tests/test_classifiers_paths.py compares the two.

``explain`` runs the same steps and then places every counted match of each topic found (``_items``), mapping
places in the copies scanned back to the strings given (explanation.py); ``classify`` pays nothing for it.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from newsmon.classifiers.explanation import Explanation, Hit, OffsetMap, describe_rule
from newsmon.classifiers.fold import lower_view
from newsmon.classifiers.matcher import Matcher, Prefilter
from newsmon.classifiers.rules import TopicSpec, parse_topics
from newsmon.classifiers.terms import CompiledTerm

__all__ = ["Classifier", "TopicMatch", "compile_topics"]

MAX_SNIPPETS = 3
SNIPPET_SIDE_WORDS = 12  # words kept on each side of a match when its sentence is too long
SENTENCE_MAX_WORDS = 40  # a sentence up to this long is shown whole
_SNIPPET_CANDIDATES = 5  # matches looked at when choosing snippets
_SNIPPET_REACH = 400  # characters looked at each side of a match for the ends of its sentence
_INDEX_FROM = 2  # matches to place from which an article's sentence ends are listed once
_CACHE_LIMIT = 200_000
_WS = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"[.!?…][\"'”»)\]]*(?=\s)|\n")
_SENTENCE_MARKS = ".!?…"
_SENTENCE_ENDS = [(c, re.compile(re.escape(c) + r"[\"'”»)\]]*(?=\s)")) for c in _SENTENCE_MARKS] + [
    ("\n", re.compile("\n"))]
_NOTHING: list[tuple[int, int, int]] = []  # shared, never changed
_CLOSERS = frozenset("\"'”»)]")


@dataclass(frozen=True)
class TopicMatch:
    """Why an article carries a topic: the score, each rule term (as written in config.toml) with the
    number of times it matched, and up to three passages around matches, the most telling first.

    ``words`` counts the same matches by what they are in the text ("Azerbaijani", "SCO-Plus"; white space
    collapsed), most frequent first: what a reader recognises, where ``terms`` is what the rule says."""

    topic: str
    score: float
    terms: dict[str, int] = field(default_factory=dict)
    snippets: tuple[str, ...] = ()
    words: dict[str, int] = field(default_factory=dict)


class _Item(NamedTuple):
    start: int
    end: int
    group: int
    term: str
    weight: float
    order: int  # the term's place in the topic's definition: breaks ties between equally long matches


# a match as snippets see it: (start, end, group), or an _Item, whose first three fields those are
_Place = tuple[int, int, int] | _Item


class _Use(NamedTuple):
    topic: int
    group: int  # -1: an exclusion
    weight: float
    term: str
    order: int


class _Resolved(NamedTuple):
    """What one stretch of text found by the matcher means for one topic (offsets within the stretch), and
    the same counted: score, groups (a bit each), and the matches kept as (rule term, word found, count)."""

    topic: int
    items: tuple[_Item, ...]
    exclusions: tuple[tuple[int, int], ...]
    score: float
    mask: int
    counts: tuple[tuple[str, str, int], ...]


class _Stretch(NamedTuple):
    """A distinct stretch of text, resolved once and cached: per topic what it means, and ``present``, one
    bit per (group, topic) with a counted match here, bit ``group * number of topics + topic``."""

    present: int
    topics: tuple[_Resolved, ...]
    counted: int  # bit t: topic t has a counted match here (its _Resolved has counts)


class _Part:
    """The title or the body of an article as the topics see it, worked out step by step: where the raw
    regexes matched (``found``: start, end, term uid); ``seen``, each distinct stretch the combined matcher
    found, with where it starts (each time it occurs), and ``present``, their (group, topic) bits; ``raw``,
    the topics a raw regex touched, which are counted with positions instead; ``hits``, once the candidate
    topics are known, the stretches that count for each; ``positioned``, a topic's matches with their
    places, when first needed."""

    __slots__ = ("found", "hits", "positioned", "present", "raw", "seen", "text")

    def __init__(self, text: str, found: list[tuple[int, int, int]]) -> None:
        self.text = text
        self.found = found
        self.seen: list[tuple[_Stretch, list[int]]] = []
        self.present = 0
        self.raw: set[int] = set()
        self.hits: dict[int, list[tuple[_Resolved, list[int]]]] = {}
        self.positioned: dict[int, list[_Item]] = {}


def compile_topics(tables: Mapping[str, Mapping[str, Any]], *, prefilter: bool = True) -> Classifier:
    """Compile the parsed ``[topics]`` table once; every rule mistake is a RuleError naming topic and term.

    ``prefilter=False`` scans every article in full (the results are the same; tests compare the two)."""
    specs, terms = parse_topics(tables)
    return Classifier(specs, terms, prefilter=prefilter)


class Classifier:
    """All topics' rules, compiled into one matcher."""

    def __init__(self, specs: list[TopicSpec], terms: list[CompiledTerm], *, prefilter: bool = True) -> None:
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
        self._rules = _Rules(specs)
        self._cache: dict[str, _Stretch] = {}
        self._described: dict[int, str] = {}
        self._prefilter = _prefilter(specs, terms, self._matcher.word_start) if prefilter else None

    def classify(self, title: str, text: str) -> dict[str, TopicMatch]:
        """Only topics whose rule holds and whose score reaches the threshold, in config order."""
        found = self._passing(_normalize(" ".join(title.split())), _normalize(text))
        return self._matches(*found) if found is not None else {}

    def explain(self, title: str, text: str) -> dict[str, Explanation]:
        """The topics of ``classify``, in the same order with the same scores, each with its counted matches
        placed in ``title`` and ``text`` as given (see ``Hit``; explanation.py says how places in the copies
        classify scans, white space collapsed and NFC, are carried back), and its exclusions found.

        Slower than ``classify`` (every match is placed): for a page about one article, not for a corpus."""
        collapsed = " ".join(title.split())
        head_text = _normalize(collapsed)
        body_text = _normalize(text)
        found = self._passing(head_text, body_text)
        if found is None:
            return {}
        passed, head, body = found
        maps = ((head, "title", _title_map(title, collapsed, head_text)),
                (body, "text", OffsetMap.nfc(text) if body_text is not text else OffsetMap.identity()))
        result: dict[str, Explanation] = {}
        for t, score in passed:
            spec = self.specs[t]
            hits: list[list[Hit]] = [[] for _ in spec.groups]
            excluded: list[tuple[str, int, int]] = []
            for part, name, offsets in maps:
                factor = spec.title_weight if part is head else 1.0
                for it in self._items(part, t):
                    hits[it.group].append(Hit(name, offsets.start(it.start), offsets.end(it.end),
                                              spec.groups[it.group].name, it.term, it.weight * factor))
                excluded.extend((name, offsets.start(a), offsets.end(b)) for a, b in self._exclusions(part, t))
            groups = {spec.groups[g].name: found_hits for g, found_hits in enumerate(hits) if found_hits}
            result[spec.name] = Explanation(spec.name, round(score, 6), spec.threshold, groups, excluded,
                                            self._rule_words(t))
        return result

    def describe(self, topic: str) -> str:
        """The rule of ``topic`` in words, with the first terms of each group (``describe_rule``); KeyError
        for a topic the classifier does not have."""
        for spec in self.specs:
            if spec.name == topic:
                return describe_rule(spec)
        raise KeyError(topic)

    # -- the steps of classify --------------------------------------------------------------------------

    def _passing(self, head_text: str, body_text: str) -> tuple[list[tuple[int, float]], _Part, _Part] | None:
        """The topics whose rule holds and whose score reaches the threshold, with their scores, in config
        order, and the title and body as scanned; None if there are none. Title and body are the copies
        classify scans (white space collapsed in the title, both NFC)."""
        parts = self._scan(head_text, body_text)
        if parts is None:
            return None
        head, body = parts
        candidates = self._candidates(head, body)
        if not candidates:
            return None
        wanted = _bits(candidates)
        if head.seen:
            head.hits = _hits_by_topic(head.seen, wanted)
        if body.seen:
            body.hits = _hits_by_topic(body.seen, wanted)
        passed = [(t, score) for t in candidates if (score := self._score(t, head, body)) is not None]
        return (passed, head, body) if passed else None

    def _scan(self, head_text: str, body_text: str) -> tuple[_Part, _Part] | None:
        """Where terms occur in the title and in the body; None if nowhere, which the prefilter often tells
        without a scan."""
        # title + NUL + text: scanned in one pass (see Matcher.spans_of_pair), lower-cased once for both uses
        joined = head_text + "\x00" + body_text if head_text else body_text
        gate = self._prefilter
        lowered = lower_view(joined) if gate is not None and gate.lowers else None
        if gate is not None and not gate.maybe_in(head_text, body_text, joined, lowered):
            return None
        matcher = self._matcher
        head_places, body_places = matcher.places_of_pair(head_text, body_text, joined, lowered)
        head_found = body_found = _NOTHING
        if matcher.raw:
            head_found = self._raw_matches(head_text)
            body_found = self._raw_matches(body_text)
        if not (head_places or body_places or head_found or body_found):
            return None
        return self._part(head_text, head_places, head_found), self._part(body_text, body_places, body_found)

    def _part(self, text: str, places: dict[str, list[int]], found: list[tuple[int, int, int]]) -> _Part:
        part = _Part(text, found)
        if places:
            part.seen, part.present = self._seen(places)
        if found:  # the topics a raw regex touched, which must be counted with positions instead
            uses = self._uses
            part.raw = {u.topic for _s, _e, uid in found for u in uses[uid]}
        return part

    def _candidates(self, head: _Part, body: _Part) -> list[int]:
        """Topics whose rule holds on the groups present, in config order; those a raw regex touched are
        all candidates, to be checked one by one with positions (a regex match may overlap a plain one and
        push it out)."""
        present = head.present | body.present
        candidates = self._rules.holding(present) if present else []
        if head.raw or body.raw:
            raw_topics = head.raw | body.raw
            candidates = sorted(set(candidates).difference(raw_topics) | raw_topics)
        return candidates

    def _score(self, t: int, head: _Part, body: _Part) -> float | None:
        """The score of candidate topic ``t``; None if its rule, threshold or proximity rule is not met."""
        spec = self.specs[t]
        if t in head.raw or t in body.raw:
            score, mask = self._tally(head, t, spec.title_weight, 0.0, 0)
            score, mask = self._tally(body, t, 1.0, score, mask)
            if not self._rules.holds(t, mask):
                return None
        else:  # the rule holds (see _candidates): the same tally without positions or groups
            score = 0.0
            hits = head.hits.get(t)
            if hits is not None:
                subtotal = 0.0
                for r, starts in hits:
                    subtotal += r.score * len(starts)
                score += subtotal * spec.title_weight
            hits = body.hits.get(t)
            if hits is not None:
                subtotal = 0.0
                for r, starts in hits:
                    subtotal += r.score * len(starts)
                score += subtotal * 1.0
        if score < spec.threshold - 1e-9:
            return None
        if spec.near and not (_near(spec, head.text, self._items(head, t))
                              or _near(spec, body.text, self._items(body, t))):
            return None
        return score

    def _tally(self, part: _Part, t: int, factor: float, score: float, mask: int) -> tuple[float, int]:
        """``score`` and ``mask`` (a bit per group matched) with the matches of topic ``t`` in one part
        added, each weighing ``factor`` times its own weight; the score adds up in the order the per-text
        tallies always used, so it is the same float."""
        if t in part.raw:
            for it in self._items(part, t):
                score += it.weight * factor
                mask |= 1 << it.group
            return score, mask
        hits = part.hits.get(t)
        if hits is not None:
            subtotal = 0.0
            for r, starts in hits:
                subtotal += r.score * len(starts)
                mask |= r.mask
            score += subtotal * factor
        return score, mask

    # -- explaining -------------------------------------------------------------------------------------

    def _exclusions(self, part: _Part, t: int) -> list[tuple[int, int]]:
        """(start, end) of every exclusion term of topic ``t`` found in one part, in text order, each once."""
        found: set[tuple[int, int]] = set()
        for stretch, starts in part.seen:
            for r in stretch.topics:
                if r.topic == t and r.exclusions:
                    found.update((a + s, b + s) for s in starts for a, b in r.exclusions)
        for s, e, uid in part.found:
            if any(u.topic == t and u.group < 0 for u in self._uses[uid]):
                found.add((s, e))
        return sorted(found)

    def _rule_words(self, t: int) -> str:
        words = self._described.get(t)
        if words is None:
            words = self._described[t] = describe_rule(self.specs[t], terms=False)
        return words

    def _matches(self, passed: list[tuple[int, float]], head: _Part, body: _Part) -> dict[str, TopicMatch]:
        found = [_snippet_places(body, t) for t, _score in passed]
        snippets = _Snippets(body.text, head.text, found)
        specs = self.specs
        result: dict[str, TopicMatch] = {}
        for (t, score), places in zip(passed, found):
            name = specs[t].name
            terms, words = self._counts(t, head, body)
            result[name] = TopicMatch(name, round(score, 6), terms, snippets.best(places), words)
        return result

    def _counts(self, t: int, head: _Part, body: _Part) -> tuple[dict[str, int], dict[str, int]]:
        """Each term of topic ``t`` that matched, and each word found for it, with the number of times, the
        most frequent first."""
        terms: dict[str, int] = {}
        words: dict[str, int] = {}
        term_count, word_count = terms.get, words.get
        for part in (head, body):
            if t in part.raw:
                text = part.text
                for it in self._items(part, t):
                    terms[it.term] = term_count(it.term, 0) + 1
                    word = _word(text[it.start:it.end])
                    words[word] = word_count(word, 0) + 1
                continue
            for r, starts in part.hits.get(t, ()):
                n = len(starts)
                for term, word, k in r.counts:
                    k *= n
                    terms[term] = term_count(term, 0) + k
                    words[word] = word_count(word, 0) + k
        return _most_first(terms), _most_first(words)

    # -- counting ---------------------------------------------------------------------------------------

    def _raw_matches(self, text: str) -> list[tuple[int, int, int]]:
        raw: list[tuple[int, int, int]] = []
        for term in self._matcher.raw:
            regex = term.regex
            if regex.search(text) is None:  # the usual answer, without a match iterator
                continue
            for m in regex.finditer(text):
                a, b = m.span()
                if b > a:
                    raw.append((a, b, term.uid))
        return raw

    def _resolve(self, surface: str) -> _Stretch:
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
        present = 0
        counted = 0
        n_topics = len(self.specs)
        for t, (items, excl) in per.items():
            kept = _select(items, excl)
            score = 0.0
            mask = 0
            counts: dict[tuple[str, str], int] = {}
            for it in kept:
                score += it.weight * 1.0
                mask |= 1 << it.group
                present |= 1 << (it.group * n_topics + t)
                key = (it.term, _word(surface[it.start:it.end]))
                counts[key] = counts.get(key, 0) + 1
            if counts:
                counted |= 1 << t
            out.append(_Resolved(t, tuple(kept), tuple(excl), score, mask,
                                 tuple((term, word, k) for (term, word), k in counts.items())))
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        resolved = self._cache[surface] = _Stretch(present, tuple(out), counted)
        return resolved

    def _seen(self, places: dict[str, list[int]]) -> tuple[list[tuple[_Stretch, list[int]]], int]:
        """Each distinct stretch of a text (``places``: with where it starts, each time it occurs), resolved,
        in order of first occurrence; and the (group, topic) bits of all of them."""
        cache = self._cache
        seen = []
        present = 0
        for surface, starts in places.items():
            stretch = cache.get(surface)
            if stretch is None:
                stretch = self._resolve(surface)
            present |= stretch.present
            seen.append((stretch, starts))
        return seen, present

    def _items(self, part: _Part, t: int) -> list[_Item]:
        """All counted matches of topic ``t`` in one part, with their places, worked out once."""
        items = part.positioned.get(t)
        if items is None:
            # the topics a raw regex touched are all positioned, in one pass, as their tallies need it
            part.positioned.update(self._positioned(part, part.raw if t in part.raw else {t}))
            items = part.positioned[t]
        return items

    def _positioned(self, part: _Part, topics: set[int]) -> dict[int, list[_Item]]:
        """Counted matches with their places, for the topics asked."""
        items: dict[int, list[_Item]] = {t: [] for t in topics}
        excl: dict[int, list[tuple[int, int]]] = {t: [] for t in topics}
        for stretch, starts in part.seen:
            for r in stretch.topics:
                if r.topic not in items:
                    continue
                for s in starts:
                    items[r.topic].extend([_Item(it.start + s, it.end + s, it.group, it.term, it.weight, it.order)
                                           for it in r.items])
                    excl[r.topic].extend((a + s, b + s) for a, b in r.exclusions)
        for found in items.values():
            found.sort()  # text order: a topic's matches never overlap, so no two start at the same place
        touched = set()
        for s, e, uid in part.found:
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


def _hits_by_topic(seen: list[tuple[_Stretch, list[int]]], wanted: int
                   ) -> dict[int, list[tuple[_Resolved, list[int]]]]:
    """For the topics wanted (a bit each): each stretch that counts for them (with where it occurs), in order."""
    out: dict[int, list[tuple[_Resolved, list[int]]]] = {}
    for stretch, starts in seen:
        if stretch.counted & wanted:
            for r in stretch.topics:
                if wanted >> r.topic & 1 and r.counts:
                    hits = out.get(r.topic)
                    if hits is None:
                        out[r.topic] = [(r, starts)]
                    else:
                        hits.append((r, starts))
    return out


def _snippet_places(body: _Part, t: int) -> Sequence[_Place]:
    """The matches of topic ``t`` in the body that its snippets are chosen from."""
    items = body.positioned.get(t)
    if items is not None:
        return items
    hits = body.hits.get(t)
    return _first_places(hits) if hits is not None else []


def _first_places(hits: list[tuple[_Resolved, list[int]]]) -> list[tuple[int, int, int]]:
    """(start, end, group) of the first few counted matches of a topic, in text order, for snippets."""
    # a stretch's later occurrences come after all matches of its earlier ones: only its first few can be
    # among the first few of the topic
    places = [(a + it[0], a + it[1], it[2]) for r, starts in hits for a in starts[:_SNIPPET_CANDIDATES]
              for it in r.items]
    places.sort()  # matches kept never overlap, so no two start at the same place
    return places[:_SNIPPET_CANDIDATES]


class _Rules:
    """The group rules of all topics (all / any / none) as bit operations over every topic at once.

    ``present`` has bit ``g * T + t`` set when group ``g`` of topic ``t`` has a counted match (T topics)."""

    def __init__(self, specs: list[TopicSpec]) -> None:
        self.n = n = len(specs)
        self.all_ = [_mask(s.all) for s in specs]
        self.any_ = [_mask(s.any) for s in specs]
        self.none = [_mask(s.none) for s in specs]
        n_groups = max((len(s.groups) for s in specs), default=0)
        self.full = (1 << n) - 1
        # per group g: the topics that need g (all), may use g (any), refuse g (none)
        self.need = _topics_per_group(self.all_, n_groups)
        self.may = _topics_per_group(self.any_, n_groups)
        self.refuse = _topics_per_group(self.none, n_groups)
        self.no_any = _bits(t for t, s in enumerate(specs) if not s.any)

    def holds(self, t: int, mask: int) -> bool:
        need_all, need_any, refuse = self.all_[t], self.any_[t], self.none[t]
        return (mask & need_all) == need_all and (not need_any or bool(mask & need_any)) and not mask & refuse

    def holding(self, present: int) -> list[int]:
        """The topics, in config order, whose rule holds on the groups ``present``."""
        if not present:
            return []
        n, full = self.n, self.full
        ok_all = full
        ok_any = self.no_any
        bad = 0
        touched = 0
        for g, need in enumerate(self.need):
            p = (present >> (g * n)) & full
            if not p and not need:
                continue
            touched |= p
            ok_all &= p | (full ^ need)
            ok_any |= p & self.may[g]
            bad |= p & self.refuse[g]
        ok = touched & ok_all & ok_any & ~bad
        out = []
        while ok:
            low = ok & -ok
            out.append(low.bit_length() - 1)
            ok ^= low
        return out


def _bits(indices: Iterable[int]) -> int:
    out = 0
    for i in indices:
        out |= 1 << i
    return out


def _mask(groups: Iterable[int]) -> int:
    out = 0
    for g in groups:
        out |= 1 << g
    return out


def _topics_per_group(masks: list[int], n_groups: int) -> list[int]:
    """Per-topic group masks turned around, per group the bits of the topics whose mask has it, so that
    ``holding`` tests a group for every topic at once."""
    return [_bits(t for t, mask in enumerate(masks) if mask >> g & 1) for g in range(n_groups)]


_PREFILTER_MAX_TERMS = 64


def _prefilter(specs: list[TopicSpec], terms: list[CompiledTerm], word_start: bool) -> Prefilter | None:
    """A quick test that no topic can match, when the rules allow a cheap one.

    Every topic needs some group: all of ``all``, or one of ``any``. An article with no term of the smallest
    group of ``all`` (or of any group of ``any``) cannot get the topic, whatever else it holds. When those
    terms are few (the shipped rules: both topics need the SCO group), looking for them alone decides, for
    most articles of a news stream, that the full scan can be skipped."""
    needed: dict[int, CompiledTerm] = {}
    for spec in specs:
        if spec.all:
            groups = [min((spec.groups[g] for g in spec.all),
                          key=lambda grp: (any(t.compiled.raw for t in grp.terms), len(grp.terms)))]
        else:
            groups = [spec.groups[g] for g in spec.any]
        for group in groups:
            for term in group.terms:
                needed[term.compiled.uid] = term.compiled
    if not needed or len(needed) > _PREFILTER_MAX_TERMS or 2 * len(needed) > len(terms):
        return None
    return Prefilter(needed.values(), word_start=word_start)


def _title_map(title: str, collapsed: str, scanned: str) -> OffsetMap | _Composed:
    """Places in ``scanned``, the title as classify scans it (``_normalize(collapsed)``, ``collapsed`` being
    ``" ".join(title.split())``), back to places in ``title``."""
    spaces = OffsetMap.collapsed(title) if collapsed != title else OffsetMap.identity()
    if scanned is collapsed:  # _normalize changed nothing
        return spaces
    return _Composed(OffsetMap.nfc(collapsed), spaces)


class _Composed:
    """Two OffsetMaps one after the other: ``first`` into the copy ``then`` maps back to the original."""

    __slots__ = ("first", "then")

    def __init__(self, first: OffsetMap, then: OffsetMap) -> None:
        self.first = first
        self.then = then

    def start(self, i: int) -> int:
        return self.then.start(self.first.start(i))

    def end(self, i: int) -> int:
        return self.then.end(self.first.end(i))


def _normalize(text: str) -> str:
    # normalize() returns the text itself when its quick check finds it normalized already
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _select(items: list[_Item], exclusions: list[tuple[int, int]]) -> list[_Item]:
    """Drop matches an exclusion overlaps, then keep the leftmost-longest of overlapping ones, so
    "SCO Plus" counts once (as "SCO Plus"), not also as "SCO"."""
    kept: list[_Item] = []
    last_end = -1
    for it in sorted(items, key=lambda i: (i.start, -i.end, i.order)):
        start, end = it.start, it.end
        if start < last_end:
            continue
        for a, b in exclusions:  # a loop, not any() over a generator, which costs more than the test
            if a < end and start < b:
                break
        else:
            kept.append(it)
            last_end = end
    return kept


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


def _most_first(counts: dict[str, int]) -> dict[str, int]:
    """The counts, the most frequent first, then in alphabetical order."""
    if len(counts) < 2:
        return counts
    return {key: -negative for negative, key in sorted([(-n, key) for key, n in counts.items()])}


def _word(found: str) -> str:
    """A match as a reader sees it: the text itself, a phrase broken over lines on one line."""
    return " ".join(found.split())


class _Snippets:
    """The passages of one article around its matches; topics that share matches share the work.

    A passage needs the sentence ends before and after a match. With a few matches to place they are looked
    for around each; with more, all sentence ends of the stretch of text concerned are listed once."""

    __slots__ = ("bounds", "ends", "reach", "starts", "text", "texts", "title")

    def __init__(self, text: str, title: str, found: Iterable[Sequence[_Place]]) -> None:
        self.text = text
        self.title = title
        self.bounds: dict[tuple[int, int], tuple[int, int, bool, bool]] = {}
        self.texts: dict[tuple[int, int, bool, bool], str] = {}
        self.starts: Sequence[int] = ()
        self.ends: Sequence[int] = ()
        self.reach = -1  # the sentence ends of text[:reach] are listed
        places = {(it[0], it[1]) for items in found for it in items[:_SNIPPET_CANDIDATES]}
        if len(places) >= _INDEX_FROM:
            self.reach = reach = min(len(text), max([end for _s, end in places]) + _SNIPPET_REACH)
            # One regex per mark, each starting with that literal character, which the engine finds by
            # skipping straight to it; _SENTENCE_END's matches are theirs together (they never overlap). A
            # mark most texts lack (! ? …) costs a find, not a match iterator.
            find = text.find
            marks = [m.span() for mark, regex in _SENTENCE_ENDS if find(mark, 0, reach) >= 0
                     for m in regex.finditer(text, 0, reach)]
            if marks:
                marks.sort()
                self.starts, self.ends = zip(*marks)

    def best(self, items: Sequence[_Place]) -> tuple[str, ...]:
        """Up to three passages; one showing matches of several groups (SCO *and* Azerbaijan) comes first.
        ``items`` are (start, end, group, ...) of the matches in the text, in text order."""
        if not items:
            return (self.title,) if self.title else ()
        firsts = items[:_SNIPPET_CANDIDATES]
        group = firsts[0][2]
        for o in firsts:
            if o[2] != group:
                return self._choose(self._ranked(firsts))
        # every passage shows one group, its own: they rank in text order, and only those looked at until
        # three are chosen need their bounds
        return self._choose_in_order(firsts)

    def _ranked(self, firsts: Sequence[_Place]) -> list[tuple[int, int, tuple[int, int, bool, bool]]]:
        """The passage of each match with its sort key: one that shows more groups first, then text order."""
        ranked = []
        for it in firsts:
            b = self._bounds_of(it[0], it[1])
            s0, s1 = b[0], b[1]
            shown = 0
            for o in firsts:  # in text order
                if o[0] >= s0:
                    if o[1] > s1:
                        break
                    shown |= 1 << o[2]
            ranked.append((-shown.bit_count(), it[0], b))
        ranked.sort()
        return ranked

    def _choose(self, ranked: list[tuple[int, int, tuple[int, int, bool, bool]]]) -> tuple[str, ...]:
        """The first passages in rank order that overlap none chosen before, up to MAX_SNIPPETS; the text of
        each is kept, since the topics of an article often show the same passage."""
        chosen: list[tuple[int, int, bool, bool]] = []
        for _groups, _first, b in ranked:
            if self._free(b, chosen):
                chosen.append(b)
                if len(chosen) == MAX_SNIPPETS:
                    break
        return self._texts_of(chosen)

    def _choose_in_order(self, firsts: Sequence[_Place]) -> tuple[str, ...]:
        """``_choose`` for passages in text order, each bounded only when its turn comes."""
        chosen: list[tuple[int, int, bool, bool]] = []
        for it in firsts:
            b = self._bounds_of(it[0], it[1])
            if self._free(b, chosen):
                chosen.append(b)
                if len(chosen) == MAX_SNIPPETS:
                    break
        return self._texts_of(chosen)

    @staticmethod
    def _free(b: tuple[int, int, bool, bool], chosen: list[tuple[int, int, bool, bool]]) -> bool:
        s0, s1 = b[0], b[1]
        for c in chosen:  # a loop, not all() over a generator: this runs for every passage looked at
            if c[1] > s0 and s1 > c[0]:
                break
        else:
            return True
        return False

    def _texts_of(self, chosen: list[tuple[int, int, bool, bool]]) -> tuple[str, ...]:
        texts = self.texts
        out = []
        for b in chosen:
            snippet = texts.get(b)
            if snippet is None:
                s0, s1, cut_lo, cut_hi = b
                body = " ".join(self.text[s0:s1].split())
                snippet = texts[b] = ("… " if cut_lo else "") + body + (" …" if cut_hi else "")
            out.append(snippet)
        return tuple(out)

    def _bounds_of(self, start: int, end: int) -> tuple[int, int, bool, bool]:
        b = self.bounds.get((start, end))
        if b is None:
            b = self.bounds[(start, end)] = self._bounds(start, end)
        return b

    def _bounds(self, start: int, end: int) -> tuple[int, int, bool, bool]:
        text = self.text
        lo = start - _SNIPPET_REACH if start > _SNIPPET_REACH else 0
        hi = end + _SNIPPET_REACH
        if hi > len(text):
            hi = len(text)
        if hi > self.reach:
            return _snippet_bounds(text, start, end)
        # The matches of _SENTENCE_END never overlap (a closing quote is never a mark), so those of a window
        # of the text are those of the whole text inside it, except that a mark's match needs the white
        # space after it (its end) to fall inside the window too.
        starts, ends = self.starts, self.ends
        s0 = lo
        i = bisect_left(starts, start) - 1
        if i >= 0 and ends[i] >= start and text[starts[i]] != "\n":
            i -= 1  # the quote and space after this mark are not before the match: the previous one ends it
        if i >= 0 and starts[i] >= lo:
            s0 = ends[i]
        s1 = -1
        i = bisect_left(starts, end)
        if i < len(starts) and (ends[i] < hi if text[starts[i]] != "\n" else starts[i] < hi):
            s1 = ends[i]
        return _finish_bounds(text, start, end, lo, hi, s0, s1)


def _last_sentence_end(text: str, lo: int, hi: int) -> int:
    """Where the last match of _SENTENCE_END in text[lo:hi] ends (lo if none), searching backwards.

    Its matches cannot overlap (a closing quote is never a mark), so the last one is the valid one that
    starts last: a line break, or a mark whose closing quotes are followed by white space before ``hi``.
    Each rfind searches only after the best candidate so far."""
    rfind = text.rfind
    while True:
        p = lo - 1
        for c in _SENTENCE_MARKS:
            q = rfind(c, p + 1, hi)
            if q > p:
                p = q
        nl = rfind("\n", p + 1, hi)
        if nl > p:
            return nl + 1
        if p < lo:
            return lo
        j = p + 1
        while j < hi and text[j] in _CLOSERS:
            j += 1
        if j < hi and text[j].isspace():
            return j
        hi = p


def _next_sentence_end(text: str, lo: int, hi: int) -> int:
    """Where the first match of _SENTENCE_END in text[lo:hi] ends, -1 if there is none."""
    find = text.find
    while True:
        p = hi
        for c in _SENTENCE_MARKS:
            q = find(c, lo, p)
            if q >= 0:
                p = q
        nl = find("\n", lo, p)
        if nl >= 0:
            return nl + 1
        if p == hi:
            return -1
        j = p + 1
        while j < hi and text[j] in _CLOSERS:
            j += 1
        if j < hi and text[j].isspace():
            return j
        lo = p + 1


def _snippet_bounds(text: str, start: int, end: int) -> tuple[int, int, bool, bool]:
    """The sentence around a match if it is short, else about a dozen words each side of it."""
    lo, hi = max(0, start - _SNIPPET_REACH), min(len(text), end + _SNIPPET_REACH)
    return _finish_bounds(text, start, end, lo, hi, _last_sentence_end(text, lo, start),
                          _next_sentence_end(text, end, hi))


def _finish_bounds(text: str, start: int, end: int, lo_limit: int, hi_limit: int, s0: int, s1: int
                   ) -> tuple[int, int, bool, bool]:
    """``s0``: where the sentence of the match starts (``lo_limit`` if not found); ``s1``: where it ends, -1
    if not found. A sentence of more than SENTENCE_MAX_WORDS words is cut to SNIPPET_SIDE_WORDS each side."""
    ended = s1 >= 0
    if not ended:
        s1 = hi_limit
    cut_lo = s0 == lo_limit and lo_limit > 0
    cut_hi = not ended and hi_limit < len(text)
    if text.count(" ", s0, s1) + text.count("\n", s0, s1) < SENTENCE_MAX_WORDS:  # short: no counting
        return s0, s1, cut_lo, cut_hi
    # words (runs of non-space, as str.split() cuts them) before and after the match
    before, after = text[s0:start], text[end:s1]
    n_before, n_after = len(before.split()), len(after.split())
    if n_before + n_after > SENTENCE_MAX_WORDS:
        if n_before > SNIPPET_SIDE_WORDS:  # start of the SNIPPET_SIDE_WORDS-th word before the match
            keep = before[len(before.rsplit(None, SNIPPET_SIDE_WORDS)[0]):].lstrip()
            s0, cut_lo = start - len(keep), True
        if n_after > SNIPPET_SIDE_WORDS:  # end of the SNIPPET_SIDE_WORDS-th word after it
            rest = after.split(None, SNIPPET_SIDE_WORDS)[-1]
            s1, cut_hi = end + len(after[:len(after) - len(rest)].rstrip()), True
    return s0, s1, cut_lo, cut_hi
