"""The run lock: one ingesting process per database, whatever the backend.

SQLite: an flock on `<database>.lock`; PostgreSQL: a session advisory lock. Both vanish with the process
that holds them, so a run killed with -9 never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from newsmon.errors import LockedError
from newsmon.storage.engine import Store


@contextmanager
def run_lock(store: Store, name: str = "run") -> Iterator[None]:
    """Hold the lock named `name` for the duration, or raise LockedError at once."""
    if store.is_sqlite:
        path = store.sqlite_path
        if path is None:  # in-memory database: private to this process anyway
            yield
            return
        lock_path = path.with_name(path.name + f".{name}.lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                raise LockedError(f"another newsmon {name} is in progress on {path}"
                                  f"{f' (pid {holder})' if holder else ''}; exiting") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            try:
                yield
            finally:
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
        return
    key = zlib.crc32(f"newsmon:{name}".encode())
    with store.engine.connect() as conn:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        conn.commit()
        if not got:
            raise LockedError(f"another newsmon {name} is in progress on this database; exiting")
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()
