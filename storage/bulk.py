"""Statements every query module needs: insert-or-ignore on either backend, and long IN lists in chunks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from sqlalchemy.orm import Session

CHUNK = 500   # values per IN list: far below SQLite's and PostgreSQL's limits on bound parameters

T = TypeVar("T")


def insert_ignore(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on either backend: what makes a write safe to repeat.

    The rows go as parameters of one cached statement on the table (executemany, which SQLAlchemy batches into
    multi-row VALUES itself), not as literal VALUES of a new statement each time: compiling that costs more
    than the write (a reclassify batch's topics: ~5 ms of compiling for 40 rows). On the table, not the ORM
    class, so that the rows skip the ORM's bulk-insert bookkeeping."""
    if not rows:
        return
    table = model.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql  # ~25 ms of imports that SQLite does without

        session.execute(postgresql.insert(table).on_conflict_do_nothing(), rows)
    else:
        from sqlalchemy.dialects import sqlite

        session.execute(sqlite.insert(table).on_conflict_do_nothing(), rows)


def chunks(values: Iterable[T]) -> Iterator[list[T]]:
    """The distinct `values`, CHUNK at a time, in first-seen order."""
    unique = list(dict.fromkeys(values))
    for i in range(0, len(unique), CHUNK):
        yield unique[i:i + CHUNK]
