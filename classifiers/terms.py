"""One rule term turned into regex atoms: the shared vocabulary of the combined matcher and its checker.

A term is kept as a list of atoms (a set of characters, a separator, a wildcard) rather than as a regex string
so the combined matcher can merge terms into a trie: one pass over the text finds every term of every topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from newsmon.classifiers.fold import case_variants, fold_char, fold_variants

__all__ = ["RAW_PREFIX", "SEP_RE", "WILD_RE", "Atom", "CompiledTerm", "TermSyntaxError", "compile_term",
           "is_word_char"]

RAW_PREFIX = "re:"
# A space or hyphen inside a term matches any run of white space, hyphens and dashes: "SCO Plus" finds
# "SCO-Plus", "Co-operation" finds "Co operation" and "Co–operation".
_SEPARATORS = r"\s\-\u00ad\u2010-\u2015"
SEP_RE = f"[{_SEPARATORS}]+"
WILD_RE = r"\w*"
_SPLIT = re.compile(f"[{_SEPARATORS}]+")
_WORD = re.compile(r"\w")


class TermSyntaxError(ValueError):
    """A term that cannot be compiled; the rule parser adds topic and group to the message."""


def is_word_char(c: str) -> bool:
    return bool(_WORD.match(c))


@dataclass(frozen=True)
class Atom:
    """One step of a term: ``chars`` (any one of them), a separator run, or a trailing wildcard.

    ``key`` is the folded letter the combined matcher looks for in the folded copy of the text; ``chars``
    is what the term really accepts in the original text."""

    kind: str  # "chars" | "sep" | "wild"
    chars: frozenset[str] = frozenset()
    key: str = ""

    @property
    def key_regex(self) -> str:
        return re.escape(self.key) if self.kind == "chars" else self.regex

    @property
    def regex(self) -> str:
        if self.kind == "sep":
            return SEP_RE
        if self.kind == "wild":
            return WILD_RE
        if len(self.chars) == 1:
            return re.escape(next(iter(self.chars)))
        return "[" + "".join(re.escape(c) for c in sorted(self.chars)) + "]"


@dataclass(frozen=True)
class CompiledTerm:
    """A distinct term (text plus matching mode) shared by every topic and group that uses it."""

    uid: int
    text: str
    atoms: tuple[Atom, ...]  # empty for raw regex terms
    left_boundary: bool
    right_boundary: bool
    pattern: str  # the term alone: checks a candidate found by the combined matcher

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """`pattern` compiled when first used: the rules of a command that classifies nothing (`status`, an
        unchanged `run`) are checked without paying for it (~40 ms for the shipped topics). A word term's
        pattern is built from escaped atoms, so only a raw one can fail, and that one is compiled to check it."""
        return re.compile(self.pattern)

    @property
    def raw(self) -> bool:
        return not self.atoms


def compile_term(uid: int, text: str, *, sensitive: bool, fold: bool) -> CompiledTerm:
    """Raises TermSyntaxError with a reason that fits after "term 'X': "."""
    if text.startswith(RAW_PREFIX):
        return _compile_raw(uid, text)
    words = [w for w in _SPLIT.split(text.strip()) if w]
    if not words:
        raise TermSyntaxError("empty term")
    atoms = _atoms(words, sensitive=sensitive, fold=fold)
    first = words[0][0]
    last = words[-1][-1]
    left = is_word_char(first)
    right = last == "*" or is_word_char(last)
    pattern = ("(?<!\\w)" if left else "") + "".join(a.regex for a in atoms) + ("(?!\\w)" if right else "")
    return CompiledTerm(uid, text, atoms, left, right, pattern)


def _compile_raw(uid: int, text: str) -> CompiledTerm:
    source = text[len(RAW_PREFIX):]
    if not source:
        raise TermSyntaxError("empty regex")
    try:
        regex = re.compile(source)
    except re.error as e:
        raise TermSyntaxError(f"bad regex: {e.msg}") from None
    if regex.match(""):
        raise TermSyntaxError("bad regex: it matches the empty string")
    return CompiledTerm(uid, text, (), False, False, source)   # compiled again from re's own cache


def _atoms(words: list[str], *, sensitive: bool, fold: bool) -> tuple[Atom, ...]:
    atoms: list[Atom] = []
    for n, word in enumerate(words):
        if n:
            atoms.append(Atom("sep"))
        stem, wild = (word[:-1], True) if word.endswith("*") else (word, False)
        if "*" in stem:
            raise TermSyntaxError("'*' is allowed only at the end of a word")
        if not stem:
            raise TermSyntaxError("'*' needs a stem before it, as in 'Azerbaijan*'")
        for c in stem:
            chars = frozenset({c}) if sensitive else fold_variants(c) if fold else case_variants(c)
            atoms.append(Atom("chars", chars, fold_char(c)))
        if wild:
            atoms.append(Atom("wild"))
    return tuple(atoms)
