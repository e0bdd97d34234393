"""The small chart of a topic: tagged articles per week and source over the last weeks, as PNG bytes.

matplotlib's object API with the Agg canvas: no pyplot, no global figure state, no display needed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from newsmon.digests.week import Week

WIDTH_PX, HEIGHT_PX, DPI = 560, 180, 100
SCALE = 2  # drawn at twice the size shown, for sharp text on high-density screens
PALETTE = ("#1f5f8b", "#e07b39", "#3c9d5d", "#8e5ea2", "#c9b037", "#c2484d", "#5f7d8e", "#9c755f")


def weekly_chart(history: Sequence[tuple[Week, dict[str, int]]]) -> bytes:
    """Stacked bars: one bar per week, one colour per source, the last week highlighted by its label."""
    sources = list(history[0][1]) if history else []
    labels = [f"W{w.number:02d}\n{w.monday.day} {w.monday.strftime('%b')}" for w, _ in history]
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI * SCALE)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.06, 0.26, 0.74, 0.68))
    bottom = [0] * len(history)
    x = list(range(len(history)))
    for i, source in enumerate(sources):
        values = [counts.get(source, 0) for _, counts in history]
        ax.bar(x, values, bottom=bottom, width=0.65, color=PALETTE[i % len(PALETTE)], label=source, linewidth=0)
        bottom = [b + v for b, v in zip(bottom, values)]
    for xi, total in zip(x, bottom):
        if total:
            ax.text(xi, total, str(total), ha="center", va="bottom", fontsize=7, color="#333333")
    ax.set_xticks(x, labels, fontsize=6.5, color="#555555")
    if labels:
        ax.get_xticklabels()[-1].set_fontweight("bold")
    ax.set_ylim(0, max([*bottom, 1]) * 1.25)
    ax.yaxis.set_visible(False)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color("#bbbbbb")
    ax.tick_params(axis="x", length=0)
    if sources:
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=7)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()
