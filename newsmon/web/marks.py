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


def plain(text: str) -> str:
    """The same text without marks (for CSV, the Atom feed, titles of links)."""
    return text.replace(MARK, "").replace(UNMARK, "")


def highlighted_paragraphs(text: str, spans: Iterable[tuple[int, int, str]]) -> list[Markup]:
    """`text` as paragraphs of HTML, each (start, end, label) span wrapped in <mark title="label">. Spans that
    overlap one already kept are dropped (two topics matching the same word mark it once)."""
    kept: list[tuple[int, int, str]] = []
    last_end = -1
    for start, end, label in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start >= last_end and 0 <= start < end <= len(text):
            kept.append((start, end, label))
            last_end = end
    paragraphs: list[Markup] = []
    current: list[str] = []
    pos = 0

    def plain_run(chunk: str) -> None:
        parts = _PARAGRAPHS.split(chunk)
        for i, part in enumerate(parts):
            if i:
                paragraphs.append(Markup("".join(current)))
                current.clear()
            current.append(str(escape(part)))

    for start, end, label in kept:
        plain_run(text[pos:start])
        current.append(f'<mark title="{escape(label)}">{escape(" ".join(text[start:end].split()))}</mark>')
        pos = end
    plain_run(text[pos:])
    paragraphs.append(Markup("".join(current)))
    return [p for p in paragraphs if p.strip()]


def labels(hits: Sequence[tuple[str, str]]) -> str:
    """'sco: SCO; azerbaijan: Baku' for a mark's tooltip."""
    return "; ".join(f"{group}: {term}" for group, term in hits)
