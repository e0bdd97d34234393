"""Statements every query module needs: insert-or-ignore on either backend, and long IN lists in chunks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

CHUNK = 500   # values per IN list: far below SQLite's and PostgreSQL's limits on bound parameters

T = TypeVar("T")


def insert_ignore(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on either backend: what makes a write safe to repeat.

    One statement on the table, executed for many rows (the driver's executemany, batched by SQLAlchemy into
    multi-row VALUES where it can): compiled once and cached, where a VALUES list built from the rows would be
    compiled anew, with a parameter for every value, for every batch."""
    if not rows:
        return
    table = model.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    stmt = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    session.execute(stmt.on_conflict_do_nothing(), rows)


def chunks(values: Iterable[T]) -> Iterator[list[T]]:
    """The distinct `values`, CHUNK at a time, in first-seen order."""
    unique = list(dict.fromkeys(values))
    for i in range(0, len(unique), CHUNK):
        yield unique[i:i + CHUNK]
