"""All terms of all topics in one regex, so an article is scanned once however many topics there are.

Python's regex engine tries the alternatives of a big ``a|b|c`` one after the other at every position, which
gets slow with thousands of terms. Merging the terms into a trie (``az(?:erbaijan|ərbaycan)``) makes the work
per position depend on the text, not on the number of terms, and starting every top-level branch with a
literal character lets the engine skip straight to positions where some term could begin.

The combined regex only finds *where* terms are. Which terms (of which topics) a found stretch of text stands
for is worked out by ``Matcher.hits_in`` with each term's own regex, once per distinct stretch: the same
"Azerbaijan" or "SCO" recurs in thousands of articles, so callers cache the answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from classifiers.terms import Atom, CompiledTerm, is_word_char

__all__ = ["Matcher"]

_END_BOUNDARY = "(?!\\w)"


class _Node:
    __slots__ = ("_depth", "children", "end")

    def __init__(self) -> None:
        self.children: dict[str, tuple[Atom, _Node]] = {}
        self.end: str | None = None  # the assertion a term ending here needs ("" or the end boundary)
        self._depth: int | None = None

    def depth(self) -> int:
        """Longest continuation below; a wildcard counts as long, so longer matches are tried first."""
        if self._depth is None:
            self._depth = max((((50 if atom.kind == "wild" else 1) + child.depth())
                               for atom, child in self.children.values()), default=0)
        return self._depth


class Matcher:
    """Finds every term; a stretch found is resolved into term occurrences by ``hits_in``."""

    def __init__(self, terms: Iterable[CompiledTerm]) -> None:
        terms = list(terms)
        self.raw = tuple(t for t in terms if t.raw)
        plain = [t for t in terms if not t.raw]
        self.by_first: dict[str, list[CompiledTerm]] = {}
        for t in plain:
            for c in t.atoms[0].chars:
                self.by_first.setdefault(c, []).append(t)
        # run over fold_view(text), never over the text itself
        self.pattern: re.Pattern[str] | None = re.compile(_trie_regex(plain)) if plain else None

    def hits_in(self, surface: str) -> list[tuple[int, int, int]]:
        """Every (start, end, term uid) of a plain term inside ``surface``, a stretch the pattern found.

        Terms that begin inside the stretch count too: "SCO" inside "SCO Plus" belongs to a topic that lists
        only "SCO", and "Azerbaijan" inside an excluded "BAKU, Azerbaijan" must be seen to be excluded."""
        hits = []
        for i, c in enumerate(surface):
            if i and is_word_char(surface[i - 1]) and is_word_char(c):
                continue
            for term in self.by_first.get(c, ()):
                m = term.regex.match(surface, i)
                if m:
                    hits.append((i, m.end(), term.uid))
        return hits


def _trie_regex(terms: list[CompiledTerm]) -> str:
    """The combined pattern, run over the folded copy of the text (``fold_view``), so a term is a plain
    string of lower-case letters there and terms merge into a trie keyed by letter.

    Shape: ``[every first letter](?<!\\w.)`` then a branch per *second* letter, then a lookbehind that
    re-checks the first letter, then the rest of the trie. The leading class lets the engine skip fast over
    characters no term begins with; the boundary check drops the many candidates in mid-word before any
    dispatch; dispatching on the second letter with literal branches is cheap, whereas one lookbehind per
    first letter would be tried one after the other at every word start."""
    roots: dict[str, _Node] = {}
    for term in terms:
        first, rest = term.atoms[0], term.atoms[1:]
        node = roots.setdefault(first.key, _Node())
        for atom in rest:
            node = node.children.setdefault(atom.key_regex, (atom, _Node()))[1]
        node.end = _END_BOUNDARY if term.right_boundary else ""
    # second letter -> [(first letter, node after the second letter)]
    by_second: dict[str, list[tuple[str, _Node]]] = {}
    direct: list[tuple[str, _Node]] = []  # first letter whose next step is not a letter (or the end)
    for f, node in roots.items():
        for key, (atom, child) in node.children.items():
            if atom.kind == "chars":
                by_second.setdefault(key, []).append((f, child))
        if node.end is not None or any(a.kind != "chars" for a, _c in node.children.values()):
            rest = _Node()
            rest.end = node.end
            rest.children = {k: ac for k, ac in node.children.items() if ac[0].kind != "chars"}
            direct.append((f, rest))
    word, other = [], []
    for second, pairs in sorted(by_second.items(), key=lambda kv: -max(n.depth() for _f, n in kv[1])):
        alts = ["(?<=" + re.escape(f) + second + ")" + _emit(n)
                for f, n in sorted(pairs, key=lambda fn: -fn[1].depth())]
        branch = second + (alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")")
        (word if any(is_word_char(f) for f, _n in pairs) else other).append(branch)
        if not all(is_word_char(f) for f, _n in pairs) and any(is_word_char(f) for f, _n in pairs):
            other.append(branch)
    for f, n in direct:
        (word if is_word_char(f) else other).append("(?<=" + re.escape(f) + ")" + _emit(n))
    parts = []
    if word:
        parts.append("(?<!\\w.)(?:" + "|".join(word) + ")")
    if other:
        parts.append("(?:" + "|".join(other) + ")")
    lead = "[" + "".join(re.escape(c) for c in sorted(roots)) + "]"
    return lead + (parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")")


def _emit(node: _Node) -> str:
    alternatives = [atom.key_regex + _emit(child) for atom, child in
                    sorted(node.children.values(), key=lambda ac: (-ac[1].depth(), ac[0].kind != "chars"))]
    if node.end is not None:
        alternatives.append(node.end)  # last: a longer match at the same place wins
    if len(alternatives) == 1:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")"
