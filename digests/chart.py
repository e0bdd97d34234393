"""The small chart of a topic: tagged articles per week (or day, for a daily digest) and source over the last
weeks (days), as PNG bytes.

Drawn for a phone: the message shows it at most WIDTH_PX wide and narrower on a small screen (about 290 px
at 320), so the text is large for its size, the legend sits below the bars rather than beside them, and
only every other week is labelled (the bars carry their totals, so no axis is needed to read them).

matplotlib's object API with the Agg canvas: no pyplot, no global figure state, no display needed.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from newsmon.digests.period import Period

WIDTH_PX, HEIGHT_PX, DPI = 360, 250, 100   # the size shown, in CSS pixels
SCALE = 2  # drawn at twice the size shown, for sharp text on high-density screens
FONT_PT = 10.5  # 14.5 CSS px at full size, about 11.5 px at a 320 px wide screen
PALETTE = ("#1f5f8b", "#e07b39", "#3c9d5d", "#8e5ea2", "#c9b037", "#c2484d", "#5f7d8e", "#9c755f")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def weekly_chart(history: Sequence[tuple[Period, dict[str, int]]], titles: Mapping[str, str] | None = None) -> bytes:
    """Stacked bars: one bar per week with its total on top, one colour per source (named by `titles`,
    name -> what readers see), the last week's label in bold."""
    fig = chart_figure(history, titles or {})
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def chart_figure(history: Sequence[tuple[Period, dict[str, int]]], titles: Mapping[str, str]) -> Figure:
    """The chart as a matplotlib Figure (weekly_chart turns it into PNG; tests look at its parts)."""
    sources = list(history[0][1]) if history else []
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI * SCALE)
    FigureCanvasAgg(fig)
    rows = -(-len(sources) // 3)  # legend rows, three sources a row
    legend_share = 0.1 * rows
    ax = fig.add_axes((0.04, 0.14 + legend_share, 0.92, 0.84 - legend_share))
    totals = _bars(ax, history, sources, titles)
    _axes(ax, history, totals)
    if sources:
        fig.legend(loc="lower center", bbox_to_anchor=(0.5, 0.0), ncols=min(len(sources), 3), frameon=False,
                   fontsize=FONT_PT, handlelength=1.0, handletextpad=0.4, columnspacing=1.2)
    return fig


def _bars(ax: Axes, history: Sequence[tuple[Period, dict[str, int]]], sources: Sequence[str],
          titles: Mapping[str, str]) -> list[int]:
    """One stacked bar per week; returns the totals."""
    bottom = [0] * len(history)
    x = list(range(len(history)))
    for i, source in enumerate(sources):
        values = [counts.get(source, 0) for _, counts in history]
        ax.bar(x, values, bottom=bottom, width=0.7, color=PALETTE[i % len(PALETTE)],
               label=titles.get(source, source), linewidth=0)
        bottom = [b + v for b, v in zip(bottom, values)]
    for xi, total in zip(x, bottom):
        if total:
            ax.text(xi, total, str(total), ha="center", va="bottom", fontsize=FONT_PT,
                    color="#333333")
    return bottom


def _axes(ax: Axes, history: Sequence[tuple[Period, dict[str, int]]], totals: Sequence[int]) -> None:
    """Every other week labelled with its Monday, counting back from the last one (this week, in bold);
    no y axis, the totals are on the bars."""
    last = len(history) - 1
    shown = [i for i in range(len(history)) if (last - i) % 2 == 0]
    labels = [_day(history[i][0]) for i in shown]
    ax.set_xticks(shown, labels, fontsize=FONT_PT, color="#444444")
    if labels:
        ax.get_xticklabels()[-1].set_fontweight("bold")
    ax.set_xlim(-0.6, max(last, 0) + 0.6)
    ax.set_ylim(0, max([*totals, 1]) * 1.3)
    ax.yaxis.set_visible(False)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color("#bbbbbb")
    ax.tick_params(axis="x", length=0, pad=4)


def _day(period: Period) -> str:
    """'3 Nov': the week's Monday, which readers place faster than 'W45' (or the day itself)."""
    return f"{period.first_day.day} {_MONTHS[period.first_day.month - 1]}"
