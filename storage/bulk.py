"""Statements every query module needs: insert-or-ignore on either backend, and long IN lists in chunks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from sqlalchemy.orm import Session

CHUNK = 500   # values per IN list: far below SQLite's and PostgreSQL's limits on bound parameters

T = TypeVar("T")


def insert_ignore(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on either backend: what makes a write safe to repeat."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql  # ~25 ms of imports that SQLite does without

        session.execute(postgresql.insert(model).values(rows).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects import sqlite

        session.execute(sqlite.insert(model).values(rows).on_conflict_do_nothing())


def chunks(values: Iterable[T]) -> Iterator[list[T]]:
    """The distinct `values`, CHUNK at a time, in first-seen order."""
    unique = list(dict.fromkeys(values))
    for i in range(0, len(unique), CHUNK):
        yield unique[i:i + CHUNK]
