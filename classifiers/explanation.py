"""Why an article carries a topic, for people: the matches with their places, and the rule in words.

``Classifier.explain`` (classifier.py) fills ``Explanation`` and ``Hit``; this module holds them, the rule
put into words (``describe_rule``), and ``OffsetMap``, which carries a place in the copy of a string that the
classifier scans back to the string as given.

The classifier scans the title as ``" ".join(title.split())`` and both title and text in Unicode NFC (only
when they hold non-ASCII characters), so a scanned place is not always the same number in the string as
stored. ``OffsetMap`` gives it back exactly wherever the two strings agree, which is everywhere outside
runs of white space of the title and characters NFC changed. Where NFC composed several characters into one
("S" + COMBINING CEDILLA into "Ş"), a match that starts or ends inside the composed character takes all of
it: a hit never cuts a letter off its combining marks. Leading and trailing white space of the title is never
part of a hit; a phrase over a run of spaces and line breaks in the title spans the whole run.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

from newsmon.classifiers.rules import GroupSpec, TermSpec, TopicSpec
from newsmon.classifiers.terms import RAW_PREFIX

__all__ = ["Explanation", "Hit", "OffsetMap", "describe_rule"]

_TERMS_SHOWN = 3  # terms of a group named in the description of a rule, before "and N more"
_TERM_MAX_CHARS = 40  # a longer term (a long regex) is cut, with "…"
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


@dataclass(frozen=True)
class Hit:
    """One counted match: ``part[start:end]`` of the title or text exactly as given to ``explain``.

    ``weight`` is what it added to the score: its term's weight × its group's weight, × the topic's
    title_weight in the title; the hits of a topic add up to its score."""

    part: str  # "title" | "text"
    start: int
    end: int
    group: str  # the group's name in the rule
    term: str  # the rule term as written in config.toml (a key of TopicMatch.terms)
    weight: float = 1.0


@dataclass(frozen=True)
class Explanation:
    """Why an article carries ``topic``: the groups of the rule that matched, each with its hits.

    ``groups``: every group with a counted match, in the rule's order, -> its hits in text order, the
    title's first. ``excluded``: (part, start, end) of every exclusion term found, in the same order (a match
    that overlaps one is not counted). ``rule``: the rule in a sentence, by group names
    (``describe_rule(spec, terms=False)``)."""

    topic: str
    score: float  # the same as classify()'s
    threshold: float
    groups: dict[str, list[Hit]]
    excluded: list[tuple[str, int, int]]
    rule: str = ""

    @property
    def hits(self) -> list[Hit]:
        """Every hit of every group, in text order (the title's first): what a page highlights."""
        order = {"title": 0, "text": 1}
        return sorted((h for hits in self.groups.values() for h in hits),
                      key=lambda h: (order.get(h.part, 2), h.start, h.end))

    @property
    def terms(self) -> dict[str, int]:
        """Each rule term that matched with its number of hits (TopicMatch.terms, in another order)."""
        out: dict[str, int] = {}
        for hits in self.groups.values():
            for h in hits:
                out[h.term] = out.get(h.term, 0) + 1
        return out


class OffsetMap:
    """Places in a scanned copy of a string, back to places in the string.

    Kept as the stretches where the two differ, each ``(scanned start, scanned end, start, end)``, sorted;
    between them the two strings agree character for character. A place inside a stretch (never one
    ``explain`` asks for, except inside a character NFC composed) is widened: a start to the stretch's start,
    an end to its end."""

    __slots__ = ("_edits", "_starts")

    def __init__(self, edits: list[tuple[int, int, int, int]]) -> None:
        self._edits = edits
        self._starts = [e[0] for e in edits]

    @classmethod
    def identity(cls) -> OffsetMap:
        return cls([])

    @classmethod
    def collapsed(cls, original: str) -> OffsetMap:
        """For ``" ".join(original.split())``: each run of white space between words became one space, the
        runs at either end went away."""
        edits: list[tuple[int, int, int, int]] = []
        scanned = 0  # where the next word starts in the collapsed copy
        prev_end = -1  # where the previous word ends in the original; -1: none yet
        for m in _WORDS.finditer(original):
            a, b = m.span()
            if prev_end < 0:
                if a:
                    edits.append((0, 0, 0, a))  # leading white space: a hit at 0 starts at the first word
            else:
                if a - prev_end != 1 or original[prev_end] != " ":
                    edits.append((scanned - 1, scanned, prev_end, a))
            scanned += b - a + 1
            prev_end = b
        return cls(edits)

    @classmethod
    def nfc(cls, original: str) -> OffsetMap:
        """For ``unicodedata.normalize("NFC", original)``.

        NFC works on each run of non-ASCII characters with the ASCII character before it (which may take
        combining marks) on its own: an ASCII character is never composed with what precedes it, never
        reordered, never changed. Inside a run, each character with its combining marks is normalized on its
        own; if that does not give the run's NFC (two characters that compose without being marks: Hangul
        jamo, some Indic vowel signs), the run is one stretch."""
        edits: list[tuple[int, int, int, int]] = []
        shift = 0  # scanned place minus original place, after the runs so far
        for m in _NON_ASCII.finditer(original):
            a, b = m.span()
            if a:
                a -= 1
            run = original[a:b]
            out = unicodedata.normalize("NFC", run)
            if out == run:
                continue
            s = a + shift
            clusters = _clusters(run)
            outs = [unicodedata.normalize("NFC", c) for c in clusters]
            if "".join(outs) == out:
                o = a
                for cluster, done in zip(clusters, outs):
                    if done != cluster:
                        edits.append((s, s + len(done), o, o + len(cluster)))
                    s += len(done)
                    o += len(cluster)
            else:
                edits.append((s, s + len(out), a, b))
            shift += len(out) - len(run)
        return cls(edits)

    def __bool__(self) -> bool:
        return bool(self._edits)

    def start(self, i: int) -> int:
        """The place in the original of a match that starts at ``i`` in the scanned copy."""
        return self._map(i, end=False)

    def end(self, i: int) -> int:
        """The place in the original of a match that ends at ``i`` in the scanned copy."""
        return self._map(i, end=True)

    def _map(self, i: int, *, end: bool) -> int:
        k = bisect_right(self._starts, i) - 1
        if k < 0:
            return i
        s0, s1, o0, o1 = self._edits[k]
        if i >= s1:
            return o1 + (i - s1)
        if i == s0:
            return o0
        return o1 if end else o0


_WORDS = re.compile(r"\S+")


def _clusters(run: str) -> list[str]:
    """``run`` cut before every character of canonical combining class 0: a character and its marks."""
    out: list[str] = []
    start = 0
    for i in range(1, len(run)):
        if not unicodedata.combining(run[i]):
            out.append(run[start:i])
            start = i
    out.append(run[start:])
    return out


# -- the rule in words ------------------------------------------------------------------------------------


def describe_rule(spec: TopicSpec, *, terms: bool = True) -> str:
    """The rule of a topic in words, for a topic page: which groups it needs (with their first terms), what
    refuses it, what is excluded, proximity, threshold and title weight. ``terms=False``: by group names
    only, a short sentence."""
    groups = spec.groups

    def named(indices: tuple[int, ...], joiner: str) -> str:
        shown = [_group_words(groups[g], terms) for g in indices]
        if len(shown) < 2:
            return "".join(shown)
        return ", ".join(shown[:-1]) + f" {joiner} " + shown[-1]

    clauses: list[str] = []
    if spec.all:
        if len(spec.all) == 1:
            clauses.append("Needs a term of group " + named(spec.all, "and"))
        else:
            clauses.append("Needs a term of every group: " + named(spec.all, "and"))
    if spec.any:
        head = "a term of group " if len(spec.any) == 1 else "a term of at least one group: "
        clauses.append(("and " if spec.all else "Needs ") + head + named(spec.any, "or"))
    extra = tuple(g for g in range(len(groups)) if g not in spec.all and g not in spec.any and g not in spec.none)
    if extra:
        clauses.append("also counted: " + named(extra, "and"))
    if spec.none:
        clauses.append("refused if any of these matches: " + named(spec.none, "or"))
    if spec.exclude:
        if terms:
            clauses.append("matches inside these do not count: " + _term_list(spec.exclude))
        else:
            n = len(spec.exclude)
            clauses.append(f"{n} exclusion{'s' if n != 1 else ''}")
    if spec.near:
        where = []
        if spec.near_words is not None:
            where.append(f"within {spec.near_words} word{'s' if spec.near_words != 1 else ''}")
        if spec.near_paragraph:
            where.append("in one paragraph")
        near = [groups[g].name for g in spec.near]
        clauses.append(f"terms of groups {', '.join(near[:-1])} and {near[-1]} {' and '.join(where)}")
    clauses.append(f"score at least {_number(spec.threshold)}")
    if spec.title_weight != 1.0:
        clauses.append(f"title matches count ×{_number(spec.title_weight)}")
    return "; ".join(clauses) + "."


def _group_words(group: GroupSpec, terms: bool) -> str:
    weight = f"weight {_number(group.weight)}" if group.weight != 1.0 else ""
    if not terms:
        return group.name + (f" ({weight})" if weight else "")
    return f"{group.name} ({weight + ': ' if weight else ''}{_term_list(group.terms)})"


def _term_list(specs: tuple[TermSpec, ...]) -> str:
    shown = [_term_words(t) for t in specs[:_TERMS_SHOWN]]
    more = len(specs) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


def _term_words(term: TermSpec) -> str:
    text = " ".join(term.text.split())
    if len(text) > _TERM_MAX_CHARS:
        text = text[:_TERM_MAX_CHARS - 1].rstrip() + "…"
    notes = []
    if term.text.startswith(RAW_PREFIX):
        notes.append("regular expression")
    elif term.sensitive and any(c.islower() for c in term.text):
        notes.append("exact case")  # an all-capitals term is exact anyway, as a reader expects
    if term.weight != 1.0:
        notes.append(f"×{_number(term.weight)}")
    return text + (f" [{', '.join(notes)}]" if notes else "")


def _number(x: float) -> str:
    return f"{x:g}"
