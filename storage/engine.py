"""Opening the database: engine set-up per backend, schema migrations, transactions.

SQLite is tuned for one writer and many readers across processes: WAL, a busy timeout, and write
transactions that take the write lock at BEGIN (BEGIN IMMEDIATE), so a reader that later writes never
fails with "database is locked" half-way. PostgreSQL needs none of this; the same code runs on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from newsmon.errors import StorageError

__all__ = ["Session", "Store", "make_engine", "open_store", "upgrade"]   # Session: for type hints above storage

BUSY_TIMEOUT_MS = 60_000


class Store:
    """The database of one newsmon installation."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._write = sessionmaker(engine, expire_on_commit=False)
        self._read = sessionmaker(engine.execution_options(newsmon_read_only=True), expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        db = self.engine.url.database
        return Path(db) if self.is_sqlite and db and db != ":memory:" else None

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits whole or not at all."""
        with self._write() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Connect, and bring the schema up to date (a no-op when it already is)."""
    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as e:
        raise StorageError(f"storage.url {url!r}: {e}") from None
    except OSError as e:
        raise StorageError(f"cannot create the folder of database {url}: {e.strerror or e}") from None
    store = Store(engine)
    if migrate:
        try:
            upgrade(store)
        except OperationalError as e:
            engine.dispose()
            raise StorageError(f"cannot open database {make_url(url).render_as_string(hide_password=True)}: "
                               f"{str(e.orig).strip().splitlines()[0]}") from None
    return store


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get("newsmon_read_only", False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def upgrade(store: Store) -> None:
    """Apply pending migrations; a database already at SCHEMA_HEAD is left alone without loading Alembic."""
    from newsmon.storage.migrations import SCHEMA_HEAD

    with store.engine.connect() as conn:
        conn.execution_options(newsmon_read_only=True)
        if inspect(conn).has_table("alembic_version"):
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            if current == [SCHEMA_HEAD]:
                return
    from alembic import command
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
