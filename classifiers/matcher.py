"""All terms of all topics found in one pass, so an article is scanned once however many topics there are.

The terms are merged into a trie over the folded copy of the text (``fold_view``: lower case, diacritics
dropped, same length), where a term is a plain string of letters: ``az(?:erbaijan|ərbaycan)``. As one regex
(``_consuming_regex``) it defines which stretch of text a place holds where terms overlap: the alternatives in
their order, the longest first. A stretch starts at the start of a word (a rule with a term that itself starts
with punctuation gets the older shape, ``_legacy_regex``, run as it is).

Python's regex engine would try that regex at every non-word character of an article, which costs more than
everything else the classifier does. Instead (``_Keys``), one Aho-Corasick pass (the ``ahocorasick_rs``
extension) finds where the first word of some term occurs, and only there the regex's piece for that word
(``_key_regex``) says where the stretch ends, when the word alone does not tell.

Which terms (of which topics) a found stretch of text stands for is worked out by ``Matcher.hits_in`` with
each term's own regex, once per distinct stretch: the same "Azerbaijan" or "SCO" recurs in thousands of
articles, so callers cache the answer.

``Prefilter`` is a much smaller test for rules that all need some group: can any of its terms occur in a text
at all? Most articles of a news stream have none of them, and everything else is skipped for those.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache

from ahocorasick_rs import AhoCorasick, MatchKind

from newsmon.classifiers.fold import fold_char, fold_view, lower_view, view_folds
from newsmon.classifiers.terms import SEP_RE, Atom, CompiledTerm, is_word_char

__all__ = ["Matcher", "Prefilter"]

# Word-initial letters, most frequent first: the first-letter alternatives of the whole pattern are in this order
# (they exclude each other, so the order changes only the speed).
_INITIALS = "tasocpbmfdwhrielngvukyjqzxпсвнокмдтрабгиэзчлеушфяжцхйщюыъ"


_SEP = re.compile(SEP_RE)


def _is_sep(c: str) -> bool:
    return bool(_SEP.match(c))


@cache
def _only(chars: frozenset[str]) -> re.Pattern[str]:
    """fold_view's ``only`` for these letters; none: a pattern that skips to U+FFFF and fails there."""
    return re.compile(_class(chars) if chars else "\uffff(?!)")


def _view_word_class() -> str:
    """A character of the text as written that is a word character in the folded view: ``\\w`` except
    the modifier-letter apostrophes ʼ ʻ, which fold to ' (no word character)."""
    lost = sorted(c for c, f in view_folds().items() if is_word_char(c) and not is_word_char(f))
    return "[^\\W" + "".join(re.escape(c) for c in lost) + "]"


_VIEW_WORD = _view_word_class()
_NOT_BEFORE_WORD = f"(?!{_VIEW_WORD})"


def _class(chars: Iterable[str]) -> str:
    chars = sorted(set(chars))
    if len(chars) == 1:
        return re.escape(chars[0])
    return "[" + "".join(re.escape(c) for c in chars) + "]"


class _Node:
    __slots__ = ("_depth", "children", "end")

    def __init__(self) -> None:
        self.children: dict[str, tuple[Atom, _Node]] = {}
        self.end: bool | None = None  # a term ends here; True: it needs the end-of-word boundary
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
        self.by_first = _by_first_char(plain)
        # The fast shape needs every term to start with a word character (see _Keys).
        self._consuming = all(is_word_char(t.atoms[0].key) for t in plain)
        self.word_start = self._consuming  # every stretch starts after a non-word character
        self._roots = roots = _trie(plain)
        self._pattern: re.Pattern[str] | None = None
        self._keys: _Keys | None = None
        if plain:
            if self._consuming:
                self._keys = _Keys(roots)
            else:
                self._pattern = re.compile(_legacy_regex(roots))
        self._fold_only = _letters_to_fold(plain)
        self._joinable = all("\x00" not in t.text for t in plain)

    @property
    def pattern(self) -> re.Pattern[str] | None:
        """The combined regex: the older shape (``_legacy_regex``), or, for the fast shape, the whole trie
        (``_consuming_regex``), which ``_Keys`` runs only where a key occurs, a piece at a time. None
        without plain terms."""
        if self._pattern is None and self._keys is not None:
            self._pattern = re.compile(_consuming_regex(self._roots))
        return self._pattern

    @pattern.setter
    def pattern(self, pattern: re.Pattern[str] | None) -> None:
        self._pattern = pattern

    def spans_of_pair(self, head: str, body: str, joined: str | None = None, lowered: str | None = None
                      ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """``spans`` of two texts (title and body) in one pass over ``joined = head + NUL + body``: the NUL is
        neither a word character nor a separator, so no stretch crosses it and it bounds words as the end of a
        string does (for fold_view too: it is not cased, so a Σ before it still folds as at the end).
        ``lowered``: ``lower_view(joined)``, if the caller has it already."""
        if not head:
            return [], self.spans(body, lowered)  # joined is the body alone
        if not self._joinable:
            return self.spans(head), self.spans(body)
        if not body:
            return self.spans(head), []
        cut = len(head)
        both = self.spans(head + "\x00" + body if joined is None else joined, lowered)
        for i, (a, _b) in enumerate(both):
            if a > cut:
                shift = cut + 1
                return both[:i], [(a - shift, b - shift) for a, b in both[i:]]
        return both, []

    def places_of_pair(self, head: str, body: str, joined: str, lowered: str | None = None
                       ) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        """What ``spans_of_pair`` finds, as each distinct stretch of the title and of the body (the text as
        given, not folded) with where it starts, in order of first occurrence: what the classifier looks up.
        In the fast shape the stretches are gathered as they are found, without the lists of spans."""
        if self._keys is None or not self._joinable or not joined:
            head_spans, body_spans = self.spans_of_pair(head, body, joined, lowered)
            return _places(head, head_spans), _places(body, body_spans)
        folded = fold_view(joined, _only(self._fold_only), lowered=lowered)
        return self._keys.places(folded, joined, len(head) if head else -1)

    def spans(self, text: str, lowered: str | None = None) -> list[tuple[int, int]]:
        """(start, end) of each stretch the pattern finds in ``text``, in order."""
        if not text or (self._keys is None and self._pattern is None):
            return []
        folded = fold_view(text, _only(self._fold_only), lowered=lowered)
        if self._keys is not None:
            return self._keys.spans(folded)
        assert self._pattern is not None
        return [m.span() for m in self._pattern.finditer(folded)]

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


def _places(text: str, spans: list[tuple[int, int]]) -> dict[str, list[int]]:
    places: dict[str, list[int]] = {}
    for a, b in spans:
        surface = text[a:b]
        starts = places.get(surface)
        if starts is None:
            places[surface] = [a]
        else:
            starts.append(a)
    return places


_MatchAt = Callable[[str, int], "re.Match[str] | None"]


def _no_match(_text: str, _pos: int) -> re.Match[str] | None:
    return None


class _Keys:
    """Where the fast shape's pattern matches, without trying it at every non-word character.

    Every stretch starts with the literal first word (or stem) of some term, a run of word characters of the
    folded view: its *key*. One Aho-Corasick pass (leftmost-longest) finds the keys; since a key holds no
    non-word character, no key found can cover the start of a word, so every word start where some key occurs
    is reported, with the longest key there. At each word start from the end of the previous stretch on, the
    stretch is:

    - for a key where a term ends and that leads on only to letters (to a longer key, which would have been
      found instead), the key itself if no word character follows it: the pattern tries the end of the term
      before anything shorter. If a word character follows and nothing along the key ends a term or leads
      anywhere but to its next letter (a *plain* key), there is no stretch;
    - otherwise, what the pattern matches there (``_key_regex``).

    That is the older scan's answer (a regex that tried each non-word character as the lead of a stretch, in
    order, and went on after a stretch, or from its last character when that is a non-word one, the '+' of
    "SCO+"): a stretch may start where the previous one ended, never inside it."""

    __slots__ = ("_automaton", "_keys", "_plain", "_regexes", "_sources")

    def __init__(self, roots: dict[str, _Node]) -> None:
        found: dict[str, int] = {}
        for f, node in roots.items():
            _collect_keys(f, node, True, found)
        # per key, what it alone tells (_PLAIN, _ENDS or 0), and its part of the pattern for where it does not
        self._build(list(found), list(found.values()),
                    [None if kind == _PLAIN else _key_regex(key, roots) for key, kind in found.items()])

    def _build(self, keys: list[str], plain: list[int], sources: list[str | None]) -> None:
        self._keys = keys
        self._plain = plain
        self._sources = sources
        self._automaton = AhoCorasick(keys, matchkind=MatchKind.LeftmostLongest)
        self._regexes: list[_MatchAt] = [_no_match if source is None else re.compile(source).match
                                         for source in sources]

    def __getstate__(self) -> tuple[list[str], list[int], list[str | None]]:
        """Pickled as its keys and regexes (the automaton, an extension object, is built again)."""
        return self._keys, self._plain, self._sources

    def __setstate__(self, state: tuple[list[str], list[int], list[str | None]]) -> None:
        self._build(*state)

    def spans(self, folded: str) -> list[tuple[int, int]]:
        """(start, end) of each stretch, in order: ``places`` with no title, unfolded. Off the classifier's
        hot path (that reads ``places``), so the one scan loop lives there."""
        _, found = self.places(folded, folded, -1)
        return sorted((a, a + len(surface)) for surface, starts in found.items() for a in starts)

    def places(self, folded: str, text: str, cut: int
               ) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        """``spans`` of ``folded`` gathered by stretch of ``text`` (same length) on each side of ``cut``, the
        NUL between title and body (-1: no title), with the places in the body counted from after it."""
        head: dict[str, list[int]] = {}
        body: dict[str, list[int]] = {}
        shift = cut + 1
        plain = self._plain
        regexes = self._regexes
        n = len(folded)
        after = 0
        for k, a, e in self._automaton.find_matches_as_indexes(folded):
            if a < after:
                continue
            if a:
                c = folded[a - 1]
                if c.isalnum() or c == "_":
                    continue
            kind = plain[k]
            if kind and (e == n or not ((c := folded[e]).isalnum() or c == "_")):
                after = e
            elif kind != _PLAIN:
                m = regexes[k](folded, a)
                if m is None:
                    continue
                after = m.end()
            else:
                continue
            surface = text[a:after]
            if a < cut:
                starts = head.get(surface)
                if starts is None:
                    head[surface] = [a]
                else:
                    starts.append(a)
            else:
                starts = body.get(surface)
                if starts is None:
                    body[surface] = [a - shift]
                else:
                    starts.append(a - shift)
        return head, body


_ENDS = 1  # a term ends at the key, which leads on only to letters
_PLAIN = 2  # that, and nothing before it along the key ends a term or leads anywhere but to its next letter


def _collect_keys(prefix: str, node: _Node, clean: bool, out: dict[str, int]) -> None:
    """Each key below ``node`` (reached by the letters ``prefix``), and what it alone tells (``_Keys``):
    ``clean`` says that no node before this one ends a term or leads on to anything but a letter."""
    letters = [(atom.key, child) for atom, child in node.children.values()
               if atom.kind == "chars" and is_word_char(atom.key)]
    if node.end is not None or len(letters) < len(node.children):
        # a term's first word (or stem) ends here: a key
        ends = node.end is True and len(letters) == len(node.children)
        out[prefix] = (_PLAIN if clean else _ENDS) if ends else 0
        clean = False
    for key, child in letters:
        _collect_keys(prefix + key, child, clean, out)


def _by_first_char(terms: list[CompiledTerm]) -> dict[str, list[CompiledTerm]]:
    """The terms each character can start, so that ``hits_in`` tries at each place only those."""
    by_first: dict[str, list[CompiledTerm]] = {}
    for t in terms:
        for c in t.atoms[0].chars:
            by_first.setdefault(c, []).append(t)
    return by_first


def _letters_to_fold(terms: list[CompiledTerm]) -> frozenset[str]:
    """fold_view folds only the letters the pattern could tell from their folded form: those that fold into
    a letter of some term, or into a character that is a word character, a separator or a tail when they
    are not (typographic apostrophes fold to ' and mean the same to a pattern without ')."""
    keys = {a.key for t in terms for a in t.atoms if a.kind == "chars"}
    table = view_folds()
    return frozenset(
        c for c, f in table.items()
        if f in keys or c in keys or is_word_char(c) != is_word_char(f) or _is_sep(c) != _is_sep(f)
    ) | _outside_table(terms, table)


def _outside_table(terms: list[CompiledTerm], table: dict[str, str]) -> set[str]:
    """The letters of terms that fold (to their key) but that fold_view's table does not hold, such as a
    Vietnamese "ạ": in the text they must be folded too, or the key of a term that has them ("canh" for
    "Cạnh") is never found where they stand. Rules without such a letter fold as before."""
    out = set()
    for t in terms:
        for a in t.atoms:
            if a.kind == "chars":
                for c in a.chars:
                    low = c.lower()
                    if len(low) == 1 and low not in table and fold_char(low) != low:
                        out.add(low)
    return out


def _trie(terms: list[CompiledTerm]) -> dict[str, _Node]:
    """First folded letter -> the trie of what follows, keyed by folded letter (or separator / wildcard)."""
    roots: dict[str, _Node] = {}
    for term in terms:
        first, rest = term.atoms[0], term.atoms[1:]
        node = roots.setdefault(first.key, _Node())
        for atom in rest:
            node = node.children.setdefault(atom.key_regex, (atom, _Node()))[1]
        node.end = term.right_boundary
    return roots


def _initial_rank(key: str) -> int:
    i = _INITIALS.find(key)
    return i if i >= 0 else len(_INITIALS)


def _consuming_regex(roots: dict[str, _Node]) -> str:
    """``(first letter (continuations)|...)``: the whole trie, the term as group 1.

    At each first letter the alternatives are tried in the order of the older shape (``_legacy_regex``), which
    defined which of several overlapping terms a stretch is: letters first (they exclude each other), then
    separators and wildcards, longest first, then the end of a term."""
    alts = [re.escape(f) + _emit(roots[f], first=True) for f in sorted(roots, key=lambda k: (_initial_rank(k), k))]
    return "(" + "|".join(alts) + ")"


def _key_regex(key: str, roots: dict[str, _Node]) -> str:
    """``_consuming_regex`` for a place where ``key`` occurs and is the longest key there (``_Keys``).

    Only the alternatives that can match there are kept, in their order: along the key, those that are not a
    letter (a term that ends, a wildcard) besides the key's next letter, which is the text's; after it, all
    but letters, which could only lead to a longer key."""
    path = [roots[key[0]]]
    for c in key[1:]:
        path.append(path[-1].children[re.escape(c)][1])
    tail = ""
    for i in range(len(key) - 1, -1, -1):
        node = path[i]
        following = key[i + 1] if i + 1 < len(key) else None
        parts = []
        for atom, child in _ordered(node, first=i == 0):
            if atom.kind == "chars" and is_word_char(atom.key):
                if atom.key == following:
                    parts.append(atom.key_regex + tail)
                continue
            parts.append(atom.key_regex + _emit(child))
        if node.end is not None:
            parts.append(_end(node.end))
        tail = _group(parts)
    return re.escape(key[0]) + tail


def _legacy_regex(roots: dict[str, _Node]) -> str:
    """The shape for rules with a term that starts with punctuation (no word boundary before it).

    ``[every first letter](?<!\\w.)`` then a branch per *second* letter, then a lookbehind that re-checks the
    first letter, then the rest of the trie. The leading class lets the engine skip over characters no term
    begins with; the boundary check drops the many candidates in mid-word before any dispatch."""
    by_second, direct = _by_second_letter(roots)
    word, other = _second_letter_branches(by_second)
    for f, n in direct:
        (word if is_word_char(f) else other).append("(?<=" + re.escape(f) + ")" + _emit(n))
    lead = "[" + "".join(re.escape(c) for c in sorted(roots)) + "]"
    return lead + _word_or_other(word, other)


def _by_second_letter(roots: dict[str, _Node]
                      ) -> tuple[dict[str, list[tuple[str, _Node]]], list[tuple[str, _Node]]]:
    """The trie regrouped for ``_legacy_regex``'s dispatch on the second letter: each second letter with the
    (first letter, rest of the trie) pairs it continues; and ``direct``, each first letter whose next step is
    not a letter, or which ends a term, with that part of its trie (no second letter to dispatch on)."""
    by_second: dict[str, list[tuple[str, _Node]]] = {}
    direct: list[tuple[str, _Node]] = []
    for f, node in roots.items():
        for atom, child in node.children.values():
            if atom.kind == "chars":
                by_second.setdefault(atom.key, []).append((f, child))
        if node.end is not None or any(a.kind != "chars" for a, _c in node.children.values()):
            direct.append((f, _without_letters(node)))
    return by_second, direct


def _without_letters(node: _Node) -> _Node:
    """A copy of ``node`` without the letter steps, which ``_legacy_regex`` reaches by the second letter."""
    rest = _Node()
    rest.end = node.end
    rest.children = {k: ac for k, ac in node.children.items() if ac[0].kind != "chars"}
    return rest


def _second_letter_branches(by_second: dict[str, list[tuple[str, _Node]]]) -> tuple[list[str], list[str]]:
    """A branch per second letter, the one with the longest continuation first. A branch reached from a
    word character goes into ``word``, the branches behind the word-boundary check; one reached only from
    punctuation, or from both kinds, into ``other``, where the terms that start with punctuation (no word
    boundary before them) can match."""
    word: list[str] = []
    other: list[str] = []
    for second, pairs in sorted(by_second.items(), key=lambda kv: -max(n.depth() for _f, n in kv[1])):
        s = re.escape(second)
        alts = ["(?<=" + re.escape(f) + s + ")" + _emit(n)
                for f, n in sorted(pairs, key=lambda fn: -fn[1].depth())]
        branch = s + _group(alts)
        (word if any(is_word_char(f) for f, _n in pairs) else other).append(branch)
        if not all(is_word_char(f) for f, _n in pairs) and any(is_word_char(f) for f, _n in pairs):
            other.append(branch)
    return word, other


def _word_or_other(word: list[str], other: list[str]) -> str:
    """What follows the leading class: the check that the first letter starts a word guards only the
    branches reached from a word character."""
    parts = []
    if word:
        parts.append("(?<!\\w.)(?:" + "|".join(word) + ")")
    if other:
        parts.append("(?:" + "|".join(other) + ")")
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


def _end(boundary: bool) -> str:
    return "(?!\\w)" if boundary else ""


def _group(alternatives: list[str]) -> str:
    if len(alternatives) == 1:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")"


def _ordered(node: _Node, *, first: bool = False) -> list[tuple[Atom, _Node]]:
    """The steps from ``node`` in the order the pattern tries them: the longest continuation first, a letter
    before a separator or wildcard of the same length; below a term's first letter (``first``), letters
    before anything else."""
    steps = node.children.values()
    if not first:
        return sorted(steps, key=lambda ac: (-ac[1].depth(), ac[0].kind != "chars"))
    letters = [ac for ac in steps if ac[0].kind == "chars"]
    others = [ac for ac in steps if ac[0].kind != "chars"]
    return sorted(letters, key=lambda ac: -ac[1].depth()) + sorted(
        others, key=lambda ac: (-ac[1].depth(), ac[0].kind != "chars"))


def _emit(node: _Node, *, first: bool = False) -> str:
    alternatives = [atom.key_regex + _emit(child) for atom, child in _ordered(node, first=first)]
    if node.end is not None:
        alternatives.append(_end(node.end))  # last: a longer match at the same place wins
    return _group(alternatives)


class Prefilter:
    """Could any of ``terms`` occur in a text? ``False`` is certain; ``True`` means "maybe, look closer".

    Built from what each term's own regex demands of the text as written (``hits_in`` checks every
    occurrence with it), in three kinds of test, each of which the engine runs by skipping straight to one
    exact character (a class such as ``[sSşŞ…]`` costs a look-up at every character of the article):

    - a term that starts with exact characters (the acronyms "SCO", "ШОС", "ŞƏT"): a substring test, then a
      check of what comes before and after it: not inside a word (UNESCO, ШОССЕ), and followed by the rest
      of the term;
    - any other term, in the lower-cased text, where most letters of a term still come in several forms
      (ş s š…) but some in one only ("p" in "Cooperation", "x" in "Şanxay", all of "шанхайск"): the longest
      run of those, with the rest of the term's word before it and everything after it;
    - a term without any such letter, in one regex of classes; a raw regex term: searched.

    ``word_start``: every stretch the matcher finds starts after a non-word character of the folded view (the
    fast shape), so an occurrence can be required not to follow a word character."""

    def __init__(self, terms: Iterable[CompiledTerm], *, word_start: bool) -> None:
        tails: dict[str, set[str]] = {}
        anchored: dict[tuple[bool, str], set[str]] = {}
        classed: list[CompiledTerm] = []
        raw = []
        for term in terms:
            if term.raw:
                raw.append(term.regex)
                continue
            lead = _exact_lead(term)
            if lead:
                tails.setdefault("".join(lead), set()).add(_after_lead(term, len(lead)))
                continue
            found = _anchor(term)
            if found is None:
                classed.append(term)
            else:
                anchored.setdefault(found[:2], set()).add(found[2])
        self.literals = _literal_tests(tails, word_start)
        self.anchored = _anchored_tests(anchored, backwards=False)
        self.anchored_back = _anchored_tests(anchored, backwards=True)
        self.pattern = re.compile(_presence_regex(classed)) if classed else None
        self.raw = tuple(raw)

    def maybe_in(self, title: str, text: str, joined: str | None = None, lowered: str | None = None) -> bool:
        """Whether a term may occur in the title or the text (both normalized as the matcher sees them).
        ``joined``: ``title + NUL + text`` (or the text alone without a title), ``lowered``: its
        ``lower_view``, if the caller has them already."""
        # One pass over both, joined by a NUL, for all but the raw regexes: the NUL is no word character, no
        # separator and in no term, so it only bounds words as the end of a string does; a regex match in
        # either part is one in the joined string.
        both = joined if joined is not None else title + "\x00" + text if title else text
        for lit, regex in self.literals:
            if lit in both and regex.search(both):
                return True
        if (self.anchored or self.anchored_back) and self._anchored_in(both, lowered):
            return True
        if self.pattern is not None and self.pattern.search(both):
            return True
        return any(r.search(title) or r.search(text) for r in self.raw)

    def _anchored_in(self, both: str, lowered: str | None) -> bool:
        """The tests of the lower-cased text. It is lower-cased here only if the caller has not done it yet,
        and reversed only when some test checks what precedes its anchor."""
        low = lower_view(both) if lowered is None else lowered
        for regex in self.anchored:
            if regex.search(low):
                return True
        if self.anchored_back:
            low = low[::-1]
            for regex in self.anchored_back:
                if regex.search(low):
                    return True
        return False

    @property
    def lowers(self) -> bool:
        """Whether maybe_in lower-cases the text."""
        return bool(self.anchored or self.anchored_back)


def _exact_lead(term: CompiledTerm) -> list[str]:
    """The characters a term starts with that have one form only (all of "SCO"), each a substring test can
    look for as it is."""
    lead = []
    for atom in term.atoms:
        if atom.kind != "chars" or len(atom.chars) != 1:
            break
        lead.append(next(iter(atom.chars)))
    return lead


def _literal_tests(tails: dict[str, set[str]], word_start: bool) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(literal, regex of what surrounds it) for each exact lead with what may follow it in ``tails``. A
    literal that extends a shorter one ("SCO", "SCO+") goes into the shorter one's regex: one substring test
    and one regex for both."""
    groups: dict[str, list[str]] = {}
    for lit in sorted(tails, key=len):
        base = next((b for b in groups if lit.startswith(b)), lit)
        groups.setdefault(base, []).extend(re.escape(lit[len(base):]) + t for t in tails[lit])
    return tuple(
        (lit, re.compile(re.escape(lit) + (f"(?<!{_VIEW_WORD}{re.escape(lit)})" if word_start else "")
                         + _group(sorted(set(alts)))))
        for lit, alts in sorted(groups.items()))


def _anchored_tests(anchored: dict[tuple[bool, str], set[str]], *, backwards: bool
                    ) -> tuple[re.Pattern[str], ...]:
    """One regex per anchor of the lower-cased text, for the anchors of one direction (see ``_anchor``)."""
    return tuple(re.compile(re.escape(lit) + _group(sorted(alts)))
                 for (back, lit), alts in sorted(anchored.items()) if back == backwards)


def _after_lead(term: CompiledTerm, n: int) -> str:
    """What must follow the exact first ``n`` characters of a term."""
    rest = term.atoms[n:]
    if not rest:
        return _NOT_BEFORE_WORD if term.right_boundary else ""
    if rest[0].kind == "chars":
        return "(?=" + rest[0].regex + ")"
    if rest[0].kind == "sep":
        return "(?=" + SEP_RE + ")"
    return ""  # a wildcard: any further letters


def _lowered(atom: Atom) -> frozenset[str]:
    """The characters of an atom as ``str.lower()`` leaves them, İ having been replaced by i first. Only the
    capital sigma lower-cases by context (ς at the end of a word, σ elsewhere)."""
    out = set()
    for c in atom.chars:
        out.add("i" if c == "İ" else c.lower())
        if c == "Σ":
            out.update("σς")
    return frozenset(out)


def _anchor(term: CompiledTerm) -> tuple[bool, str, str] | None:
    """(backwards?, run of one-form letters, regex of what surrounds it) for the lower-cased text, or None.

    The regex starts with the run and checks the rest of the term after it, and the letters of its word
    before it (a lookbehind has a fixed width, and a separator's has not). Or it does so in the reversed text,
    which checks everything before the run: for "SCO Plus" the run is "p", and "plus" alone is a common word.
    The direction that checks more of the term is used."""
    atoms = term.atoms
    lowered = [_lowered(a) if a.kind == "chars" else frozenset() for a in atoms]
    run = _longest_run([len(low) == 1 and len(next(iter(low))) == 1 for low in lowered])
    if run is None:
        return None
    i, j = run
    anchor = "".join(next(iter(lowered[k])) for k in range(i, j))
    steps = [_class(low) if a.kind == "chars" else a.regex for a, low in zip(atoms, lowered)]
    forwards_checks, forwards = _forwards(atoms, steps, i, j, anchor)
    backwards_checks, backwards = _backwards(atoms, steps, i, j, anchor[::-1])
    if backwards_checks > forwards_checks:
        return True, anchor[::-1], backwards
    return False, anchor, forwards


def _longest_run(flags: list[bool]) -> tuple[int, int] | None:
    """(start, end) of the first of the longest runs of True, None if there is none."""
    best: tuple[int, int] | None = None
    i = 0
    while i < len(flags):
        if not flags[i]:
            i += 1
            continue
        j = i
        while j < len(flags) and flags[j]:
            j += 1
        if best is None or j - i > best[1] - best[0]:
            best = (i, j)
        i = j
    return best


def _forwards(atoms: tuple[Atom, ...], steps: list[str], i: int, j: int, anchor: str) -> tuple[int, str]:
    """The number of atoms checked, and the regex: the letters of the word before the run atoms[i:j] (and a
    separator before the word) in a lookbehind, the run, the rest of the term."""
    start = i
    while start > 0 and atoms[start - 1].kind == "chars":
        start -= 1
    behind = "".join(steps[start:i])
    if start > 0 and atoms[start - 1].kind == "sep":
        behind = SEP_RE[:-1] + behind
    end = len(atoms)
    while end > j and atoms[end - 1].kind == "wild":
        end -= 1
    return end - start, _preceded_by(behind, anchor) + "".join(steps[j:end])


def _backwards(atoms: tuple[Atom, ...], steps: list[str], i: int, j: int, rev: str) -> tuple[int, str]:
    """The same in the reversed text: the letters of the word after the run (reversed), the run, what
    precedes it."""
    stop = j
    while stop < len(atoms) and atoms[stop].kind == "chars":
        stop += 1
    behind = "".join(reversed(steps[j:stop]))
    if stop < len(atoms) and atoms[stop].kind == "sep":
        behind = SEP_RE[:-1] + behind
    return stop, _preceded_by(behind, rev) + "".join(reversed(steps[:i]))


def _preceded_by(behind: str, literal: str) -> str:
    """A lookbehind, for right after ``literal`` has matched, that checks what comes before it; nothing if
    there is nothing to check."""
    return "(?<=" + behind + re.escape(literal) + ")" if behind else ""


def _presence_regex(terms: list[CompiledTerm]) -> str:
    """``[every first character](?:(?<=[first])rest|...)``: a leading class lets the engine skip fast."""
    rests: dict[str, list[str]] = {}
    firsts: set[str] = set()
    for term in terms:
        atoms = list(term.atoms)
        while atoms[-1].kind == "wild":
            atoms.pop()
        first = atoms[0]
        firsts |= first.chars
        rests.setdefault(first.regex, []).append("".join(a.regex for a in atoms[1:]))
    if len(rests) == 1:
        body = _group(sorted(set(next(iter(rests.values())))))
    else:
        body = "(?:" + "|".join("(?<=" + f + ")" + _group(sorted(set(r))) for f, r in rests.items()) + ")"
    return _class(firsts) + body
