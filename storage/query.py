"""The search query language: what a person types, parsed into clauses each backend turns into its own query.

Pure (no SQL): the same parse gives the same meaning on SQLite and PostgreSQL. The language itself is
described in `newsmon.storage.search`, which is what callers import.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from newsmon.errors import QueryError

MAX_QUERY_CHARS = 300
MIN_PREFIX_CHARS = 2      # "a*" would match a good part of the dictionary and rank nothing

# PostgreSQL's English stop list (tsearch_data/english.stop): words too common to search for on their own.
# Both backends leave them out of a query, so that a query means the same on each.
_STOP_LIST = """
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself
it its itself they them their theirs themselves what which who whom this that these those am is are was were be
been being have has had having do does did doing a an the and but if or because as until while of at by for with
about against between into through during before after above below to from up down in out on off over under
again further then once here there when where why how all any both each few more most other some such no nor not
only own same so than too very s t can will just don should now
"""
STOPWORDS = frozenset(_STOP_LIST.split())

_WORD = re.compile(r"[^\W_]+")   # letters and digits: what both backends' parsers index


@dataclass(frozen=True)
class Term:
    """A word, a phrase (quoted, or a word with punctuation inside: Azerbaijan's), or a prefix."""

    tokens: tuple[str, ...]     # lowercase letters and digits, in text order
    prefix: bool = False        # the last token is the start of a word
    quoted: bool = False

    @property
    def common(self) -> bool:
        """Made only of stop words: nothing either backend can search for."""
        return all(t in STOPWORDS for t in self.tokens)


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query: every group must match, a group when any of its terms does, and no excluded term may."""

    text: str                                   # as typed
    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()


@dataclass(frozen=True)
class _Item:
    term: Term
    negated: bool
    at: int                     # 1-based character position, for messages


@dataclass(frozen=True)
class _Or:
    at: int


def parse_query(q: str) -> SearchQuery:
    """Parse a query as typed; QueryError (one line: what is wrong and where) when it cannot be searched."""
    text = unicodedata.normalize("NFC", q)
    if not text.strip():
        raise QueryError("empty query: type one or more words to search for")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long: {len(text)} characters, at most {MAX_QUERY_CHARS}")
    elements = _lex(text)
    _check_operators(elements)
    groups, excluded = _group(elements)
    return _without_common_words(q, groups, excluded)


def _lex(text: str) -> list[_Item | _Or]:
    out: list[_Item | _Or] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        negated = text[i] == "-"
        if negated:
            i += 1
            if i == n or text[i].isspace():
                raise QueryError(f"'-' at character {start + 1} excludes nothing: write -word or -\"a phrase\"")
        if text[i] == '"':
            term, i = _phrase(text, i)
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] != '"':
                j += 1
            word, at, i = text[i:j], i, j
            if word == "OR" and not negated:
                out.append(_Or(start + 1))
                continue
            term = _word(word, at)
        out.append(_Item(term, negated, start + 1))
    return out


def _phrase(text: str, i: int) -> tuple[Term, int]:
    """The quoted phrase opening at `i` (a * right after the closing quote makes its last word a prefix)."""
    close = text.find('"', i + 1)
    if close < 0:
        raise QueryError(f"unbalanced quote at character {i + 1}: close the phrase with another \"")
    body = text[i + 1:close]
    end = close + 1
    prefix = end < len(text) and text[end] == "*"
    tokens = _tokens(body)
    if not tokens:
        raise QueryError(f"the phrase at character {i + 1} has nothing to search for: no letters or digits")
    if prefix:
        _check_prefix(tokens[-1], f'"{body}"*', i)
        end += 1
    return Term(tokens, prefix=prefix, quoted=True), end


def _word(word: str, start: int) -> Term:
    prefix = word.endswith("*")
    stem = word.rstrip("*")
    if prefix and not stem:
        raise QueryError(f"'*' at character {start + 1} follows no word: write the start of a word, as in azerb*")
    tokens = _tokens(stem)
    if not tokens:
        raise QueryError(f"{word!r} at character {start + 1} has nothing to search for: no letters or digits")
    if prefix:
        _check_prefix(tokens[-1], word, start)
    return Term(tokens, prefix=prefix)


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(t.lower() for t in _WORD.findall(text))


def _check_prefix(token: str, shown: str, start: int) -> None:
    if len(token) < MIN_PREFIX_CHARS:
        raise QueryError(f"{shown!r} at character {start + 1} is too short a prefix: give at least "
                         f"{MIN_PREFIX_CHARS} letters before the *")


def _check_operators(elements: list[_Item | _Or]) -> None:
    """Every OR stands between two terms that must occur."""
    for k, e in enumerate(elements):
        if not isinstance(e, _Or):
            continue
        before = elements[k - 1] if k else None
        after = elements[k + 1] if k + 1 < len(elements) else None
        if before is None:
            raise QueryError(f"OR at character {e.at} has no term before it")
        if isinstance(before, _Or):
            raise QueryError(f"OR at character {e.at} follows another OR")
        if after is None:
            raise QueryError(f"OR at character {e.at} has no term after it")
        if before.negated or (isinstance(after, _Item) and after.negated):
            raise QueryError(f"OR at character {e.at} joins an excluded term: "
                             "write the alternatives without -, and exclude separately")


def _group(elements: list[_Item | _Or]) -> tuple[list[list[_Item]], list[_Item]]:
    """Terms joined by OR go into one group; every other term must occur on its own."""
    groups: list[list[_Item]] = []
    excluded: list[_Item] = []
    joined = False
    for e in elements:
        if isinstance(e, _Or):
            joined = True
        elif e.negated:
            excluded.append(e)
        elif joined:
            groups[-1].append(e)
            joined = False
        else:
            groups.append([e])
    return groups, excluded


def _without_common_words(text: str, groups: list[list[_Item]], excluded: list[_Item]) -> SearchQuery:
    """Leave stop words out (PostgreSQL would, silently); refuse a phrase or a query made only of them."""
    for item in (*(i for g in groups for i in g), *excluded):
        if item.term.quoted and item.term.common and not item.term.prefix:
            raise QueryError(f"the phrase at character {item.at} is made only of common words (such as "
                             "'the', 'of', 'and'), which are not searched: add a more specific word")
    if not groups:
        raise QueryError("only excluded terms: add a word that must occur")
    kept = tuple(g for g in (tuple(i.term for i in group if _searched(i.term)) for group in groups) if g)
    if not kept:
        raise QueryError("only common words (such as 'the', 'of', 'and'), which are not searched: "
                         "add a more specific word")
    return SearchQuery(text, tuple(tuple(_trimmed(t) for t in g) for g in kept),
                       tuple(_trimmed(i.term) for i in excluded if _searched(i.term)))


def _searched(term: Term) -> bool:
    return term.prefix or not term.common


def _trimmed(term: Term) -> Term:
    """Without the stop words at either end ("Azerbaijan's", "the SCO"): PostgreSQL drops them with no place to
    hold, so that SQLite must not require them either. A prefix stays, whatever it is."""
    tokens = list(term.tokens)
    while tokens[0] in STOPWORDS and len(tokens) > 1:
        tokens.pop(0)
    while tokens[-1] in STOPWORDS and len(tokens) > 1 and not term.prefix:
        tokens.pop()
    return Term(tuple(tokens), prefix=term.prefix, quoted=term.quoted)
