"""Case and diacritic folding: which characters a rule term treats as the same letter.

Folding is one character to one character, so a folded string keeps the offsets of the original and snippets
can be cut from the text the reader sees. Unicode decomposition (NFKD, then dropping combining marks) handles
é, ñ, ž and friends, but not the Azerbaijani and Turkish letters that are letters of their own (ə, ı) or the
ones a Russian writer swaps freely (ё); those are listed explicitly in ``EXTRA_FOLDS``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

__all__ = ["EXTRA_FOLDS", "case_variants", "fold_char", "fold_text", "fold_variants", "fold_view", "lower_char",
           "lower_view", "view_folds"]

# Letters NFKD leaves alone (or folds to something a reader would not expect), folded by hand.
# ə → e because Azerbaijani typed on a Latin keyboard writes "Azerbaycan" for "Azərbaycan".
EXTRA_FOLDS: dict[str, str] = {
    "ə": "e",  # Azerbaijani schwa (Ə)
    "ı": "i",  # dotless i (I in Turkish/Azerbaijani upper case)
    "ł": "l",
    "đ": "d",
    "ø": "o",
    "ħ": "h",
    "ŧ": "t",
    "ё": "е",  # Russian yo → ye (Cyrillic)
    "’": "'",  # typographic apostrophes and the Turkic modifier letter → ASCII apostrophe
    "‘": "'",
    "ʼ": "'",
    "ʻ": "'",
}

# Characters a term letter may stand for when folding: Latin-1, Latin Extended-A, Ə/ə, Romanian Ș/Ț, basic
# Cyrillic and apostrophes. A letter outside these (Vietnamese, say) folds only to itself and its case pair.
_UNIVERSE = [*range(0x20, 0x180), 0x18F, 0x259, *range(0x218, 0x21C), *range(0x400, 0x460),
             0x2018, 0x2019, 0x2BB, 0x2BC]


def lower_char(c: str) -> str:
    """Lower case that stays one character (Python lower-cases İ to 'i' plus a combining dot)."""
    low = c.lower()
    if len(low) == 1:
        return low
    return "i" if c == "İ" else c


@cache
def fold_char(c: str) -> str:
    """The folded form of one character: lower case, diacritics dropped, ə/ı/ё by the table."""
    low = lower_char(c)
    if low in EXTRA_FOLDS:
        return EXTRA_FOLDS[low]
    decomposed = unicodedata.normalize("NFKD", low)
    base = decomposed[:1]
    if len(decomposed) > 1 and base.isascii() and base.isalpha() and all(
            unicodedata.combining(x) for x in decomposed[1:]):
        return base
    return low


def fold_text(s: str) -> str:
    return "".join(fold_char(c) for c in s)


@cache
def _reverse_folds() -> dict[str, frozenset[str]]:
    rev: dict[str, set[str]] = {}
    for cp in _UNIVERSE:
        ch = chr(cp)
        rev.setdefault(fold_char(ch), set()).add(ch)
    return {k: frozenset(v) for k, v in rev.items()}


@cache
def case_variants(c: str) -> frozenset[str]:
    """Every single character that is ``c`` apart from case, Turkish dotted/dotless i included."""
    out = {c}
    for x in (c.lower(), c.upper(), c.casefold(), c.title()):
        if len(x) == 1:
            out.add(x)
    for x in list(out):
        if x in "iİ":
            out.update("iIİ")
        elif x in "ıI":
            out.update("ıI")
    return frozenset(out)


@cache
def fold_variants(c: str) -> frozenset[str]:
    """Every character that folds to the same letter as ``c`` (both cases)."""
    out = set(case_variants(c))
    out.update(_reverse_folds().get(fold_char(c), ()))
    for x in list(out):
        out.update(case_variants(x))
    return frozenset(x for x in out if fold_char(x) == fold_char(c) or x in case_variants(c))


@cache
def _view_table() -> tuple[dict[str, str], re.Pattern[str]]:
    table = {}
    for cp in _UNIVERSE:
        ch = chr(cp)
        if ch == ch.lower() and fold_char(ch) != ch:
            table[ch] = fold_char(ch)
    return table, re.compile("[" + "".join(re.escape(c) for c in sorted(table)) + "]")


def view_folds() -> dict[str, str]:
    """The replacements fold_view makes after lower-casing: character -> folded character."""
    return dict(_view_table()[0])


def lower_view(text: str) -> str:
    """The first step of fold_view: lower case, with İ as i (Python lower-cases it to two characters)."""
    return (text.replace("İ", "i") if "İ" in text else text).lower()


def fold_view(text: str, only: re.Pattern[str] | None = None, *, lowered: str | None = None) -> str:
    """The text folded for the combined matcher, same length as the original so offsets carry over.

    ``str.translate`` is slow on non-ASCII text, so each foldable letter that occurs is replaced in one
    ``str.replace`` pass instead: an article holds only a handful of distinct ones. ``only``: a class of the
    foldable letters to fold, for a caller whose pattern cannot tell the others from their folded form.
    ``lowered``: ``lower_view(text)``, if the caller has it already. A letter outside the table that a caller
    asks for (a term's Vietnamese "ạ") is folded as ``fold_char`` folds it."""
    low = lower_view(text) if lowered is None else lowered
    if low.isascii():
        return low
    table, foldable = _view_table()
    if only is not None:
        foldable = only
    m = foldable.search(low)
    while m is not None:
        ch = m.group()
        low = low.replace(ch, table.get(ch) or fold_char(ch))
        m = foldable.search(low, m.start())
    return low
