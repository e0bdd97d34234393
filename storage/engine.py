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
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, ProgrammingError
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


def open_store(url: str, *, migrate: bool = True, read_only: bool = False) -> Store:
    """Connect, and bring the schema up to date (a no-op when it already is).

    `read_only` (status, export): nothing is created or changed — not a missing database, not its folder, not
    the schema — and a database the user may read but not write is read all the same."""
    if read_only:
        return _open_read_only(url)
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


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:" and not read_only:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})
    pragmas = [f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}"]
    if not read_only:  # setting the journal mode writes to the file
        pragmas += ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON"]

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get("newsmon_read_only", False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


# A read-only SQLite open: as is; then, when the database is in WAL mode and its folder cannot be written
# (no -shm file can be made), as an immutable file — what a user with read access only can do.
_READ_ONLY_MODES = ("mode=ro", "mode=ro&immutable=1")


def _open_read_only(url: str) -> Store:
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        store = Store(make_engine(url, read_only=True))
        try:
            _check_schema(store, shown)
        except OperationalError as e:
            store.close()
            raise StorageError(f"cannot open database {shown}: {str(e.orig).strip().splitlines()[0]}") from None
        return store
    path = Path(parsed.database)
    if not path.is_file():
        raise StorageError(f"no database at {path} (storage.url): `newsmon run` creates it; nothing was created")
    problem = ""
    for mode in _READ_ONLY_MODES:
        store = Store(make_engine(f"sqlite:///file:{quote(str(path))}?{mode}&uri=true", read_only=True))
        try:
            _check_schema(store, str(path))
            return store
        except OperationalError as e:
            store.close()
            problem = str(e.orig).strip().splitlines()[0]
    raise StorageError(f"cannot read database {path}: {problem}")


def _check_schema(store: Store, shown: str) -> None:
    """StorageError unless the database holds newsmon's schema at SCHEMA_HEAD (a read-only open migrates
    nothing)."""
    from newsmon.storage.migrations import SCHEMA_HEAD

    try:
        with store.read() as session:
            current = session.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except OperationalError as e:
        if "no such table" not in str(e.orig) and "does not exist" not in str(e.orig):
            raise
        raise StorageError(f"{shown} is not a newsmon database (no schema); check storage.url") from None
    except ProgrammingError:
        raise StorageError(f"{shown} is not a newsmon database (no schema); check storage.url") from None
    if current != [SCHEMA_HEAD]:
        raise StorageError(f"{shown} has schema {', '.join(current) or 'none'}, this newsmon reads {SCHEMA_HEAD}: "
                           "run `newsmon run` once to upgrade it")


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
    with store.engine.connect() as conn:
        raw = conn.connection.dbapi_connection if store.is_sqlite else None
        if raw is not None:  # a migration that copies a table must not cascade-delete its children
            raw.execute("PRAGMA foreign_keys = OFF")
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys = ON")
