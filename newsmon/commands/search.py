"""`newsmon search`: the workbench's search on the command line — a table to read, or the export records
(JSON Lines, CSV) to hand on. A malformed query is a QueryError: one line, exit 2."""

from __future__ import annotations

from datetime import date
from itertools import islice
from typing import Any, TextIO

from newsmon.config import Config
from newsmon.pipeline.walk import day_bounds
from newsmon.storage import search as fts
from newsmon.storage.engine import Store


def search(cfg: Config, store: Store, query_text: str, *, topic: str | None, source: str | None,
           since: date | None, until: date | None, lang: str | None, fmt: str, limit: int | None,
           stdout: TextIO) -> tuple[int, str]:
    """Print the results; returns (shown, how many match: "1,234", or "more than 10,000")."""
    from newsmon.commands.export import write_records

    query = fts.parse_query(query_text)
    start, end = day_bounds(since, until, cfg.digest.timezone)
    filters: dict[str, Any] = {"topic": topic, "source": source, "since": start, "until": end, "lang": lang}
    with store.read() as session:
        if fmt != "table":
            records = fts.search_records(session, query, **filters)
            shown = write_records(islice(records, limit) if limit else records, fmt, None, stdout)
            return shown, f"{shown:,}"
        page = fts.search(session, query, limit=limit or 20, offset=0, **filters)
    titles = {s.name: s.title for s in cfg.sources}
    for hit in page.hits:
        when = hit.published or hit.fetched
        stdout.write(f"{hit.id:>7}  {when:%Y-%m-%d}  {titles.get(hit.source, hit.source)[:14]:<14}  "
                     f"{fts.unmarked(hit.title) or hit.url}\n")
        snippet = " ".join(fts.unmarked(hit.snippet).split())
        if snippet:
            stdout.write(f"{'':>7}  {snippet}\n")
    return len(page.hits), f"{'' if page.exact else 'more than '}{page.total:,}" if page.total else ""
