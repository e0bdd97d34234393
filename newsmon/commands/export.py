"""`newsmon export`: stored articles as records (the contract's shape) in JSON Lines or CSV (lists joined
with ';', nested matches and judgements as JSON), to stdout or atomically to a file."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from newsmon.config import Config
from newsmon.files import atomic_text
from newsmon.pipeline.walk import day_bounds
from newsmon.storage import articles
from newsmon.storage.engine import Store

CSV_COLUMNS = ["id", "source", "url", "title", "author", "published", "fetched", "text", "language", "extraction",
               "topics", "matches", "judgements"]


def export(cfg: Config, store: Store, *, topic: str | None, since: date | None, until: date | None, fmt: str,
           out: Path | None, stdout: TextIO) -> int:
    """Write the articles tagged with `topic` (any, if None) published on the days `since`..`until` (digest
    time zone, inclusive); returns how many."""
    start, end = day_bounds(since, until, cfg.digest.timezone)
    with store.read() as session:
        return write_records(articles.export_records(session, topic=topic, since=start, until=end), fmt, out, stdout)


def csv_row(record: dict[str, Any]) -> dict[str, Any]:
    """Flatten a record: lists joined with ';', the nested matches and judgements as JSON ("" for none)."""
    row = dict(record)
    row["topics"] = ";".join(record["topics"])
    for nested in ("matches", "judgements"):
        row[nested] = json.dumps(record[nested], ensure_ascii=False) if record.get(nested) else ""
    return {k: "" if row.get(k) is None else row[k] for k in CSV_COLUMNS}


def write_records(records: Iterable[dict[str, Any]], fmt: str, out: Path | None, stdout: TextIO) -> int:
    """Write to `out` atomically (a temp file renamed into place), or to stdout; returns the count."""
    if out is None:
        return _write(records, fmt, stdout)
    with atomic_text(out) as f:
        return _write(records, fmt, f)


def _write(records: Iterable[dict[str, Any]], fmt: str, f: TextIO) -> int:
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for record in records:
            writer.writerow(csv_row(record))
            count += 1
    else:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count
