"""Text with its matches marked, as HTML a template can place as is: every character of the text escaped,
only the <mark> elements added here."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from markupsafe import Markup, escape

from newsmon.storage.search import MARK, UNMARK

_PARAGRAPHS = re.compile(r"\n\s*\n|\n")


def marked(text: str) -> Markup:
    """A search snippet or title whose matches the database wrapped in MARK ... UNMARK."""
    out: list[str] = []
    open_ = False
    for piece in re.split(f"([{MARK}{UNMARK}])", text):
        if piece == MARK:
            if not open_:
                out.append("<mark>")
                open_ = True
        elif piece == UNMARK:
            if open_:
                out.append("</mark>")
                open_ = False
        else:
            out.append(str(escape(piece)))
    if open_:
        out.append("</mark>")
    return Markup("".join(out))


def paragraph_bounds(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph of `text` with something in it: what the article page numbers ¶1, ¶2..."""
    bounds: list[tuple[int, int]] = []
    pos = 0
    for m in _PARAGRAPHS.finditer(text):
        if text[pos:m.start()].strip():
            bounds.append((pos, m.start()))
        pos = m.end()
    if text[pos:].strip():
        bounds.append((pos, len(text)))
    return bounds


def paragraph_of(bounds: Sequence[tuple[int, int]], offset: int) -> int:
    """The 1-based number of the paragraph holding `offset` (0 when none does)."""
    for i, (start, end) in enumerate(bounds, 1):
        if start <= offset < end:
            return i
    return 0


def highlighted_paragraphs(text: str, spans: Iterable[tuple[int, int, str]]) -> list[Markup]:
    """`text` as paragraphs of HTML (those of paragraph_bounds), each (start, end, label) span wrapped in
    <mark title="label">. Spans that overlap one already kept are dropped (two topics matching the same word
    mark it once)."""
    kept: list[tuple[int, int, str]] = []
    last_end = -1
    for start, end, label in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start >= last_end and 0 <= start < end <= len(text):
            kept.append((start, end, label))
            last_end = end
    out: list[Markup] = []
    i = 0
    for p_start, p_end in paragraph_bounds(text):
        parts: list[str] = []
        pos = p_start
        while i < len(kept) and kept[i][0] < p_end:
            start, end, label = kept[i]
            end = min(end, p_end)
            if start >= pos:
                parts.append(str(escape(text[pos:start])))
                parts.append(f'<mark title="{escape(label)}">{escape(text[start:end])}</mark>')
                pos = end
            i += 1
        parts.append(str(escape(text[pos:p_end])))
        out.append(Markup("".join(parts).strip()))
    return out
