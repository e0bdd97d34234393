"""What a command shows on the terminal while it works and when it is done: rich tables at a sensible width,
progress bars on a terminal, a plain progress line every so often elsewhere (logs, cron), nothing with -q."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsmon.commands.backfill import BackfillReport

BACKFILL_LOG_EVERY = 15.0  # seconds between plain progress lines when stderr is not a terminal
PIPE_WIDTH = 200           # columns of a table written to a pipe or file


def width() -> int:
    """Columns to write for: $COLUMNS when set, the terminal's width, else PIPE_WIDTH (a pipe, a file)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return shutil.get_terminal_size((PIPE_WIDTH, 24)).columns if sys.stdout.isatty() else PIPE_WIDTH


def print_lines(lines: Iterable[tuple[str, bool]]) -> None:
    """Lines already wrapped, as they are; the `bad` ones in red on a terminal."""
    from rich.console import Console
    from rich.text import Text

    console = Console(width=width(), highlight=False)
    for text, bad in lines:
        console.print(Text(text, style="red" if bad else ""), soft_wrap=True)


@contextmanager
def progress_bar(label: str, *, quiet: bool) -> Iterator[Callable[[int, int], None] | None]:
    """update(done, total) for a rich progress bar on a terminal; None (nothing shown) elsewhere or with -q."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


@contextmanager
def backfill_progress(*, quiet: bool, echo: Callable[[str], None]) -> Iterator[Callable[[BackfillReport], None] | None]:
    """A rich progress bar on a terminal; `echo` of a status line every BACKFILL_LOG_EVERY s otherwise;
    nothing with -q."""
    if quiet:
        yield None
        return
    if not sys.stderr.isatty():
        last = [time.monotonic()]

        def plain(report: BackfillReport) -> None:
            if time.monotonic() - last[0] >= BACKFILL_LOG_EVERY:
                last[0] = time.monotonic()
                echo(report.status_line())

        yield plain
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("backfill"), BarColumn(bar_width=20), MofNCompleteColumn(),
               TextColumn("{task.fields[detail]}"), TimeRemainingColumn())
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("backfill", total=None, detail="")

        def update(report: BackfillReport) -> None:
            bar.update(task, completed=report.total("fetched"), total=report.total("queued") or None,
                       detail=f"found {report.total('discovered'):,} · stored {report.total('new'):,} · "
                              f"tagged {report.total('tagged'):,} · failed {report.total('failed'):,} · "
                              f"pages {report.total('pages'):,}")

        yield update
