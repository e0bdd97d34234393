"""Files the user asks for (`--out`): written whole or not at all, and a failure is one line naming the path.

A write goes to a temporary file beside the target, renamed into place when complete (the rename is atomic),
so an interrupted command never leaves half a file where the old one was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from newsmon.errors import WriteError


def cause(e: OSError, path: Path) -> str:
    """Why `path` could not be made or written, in words: `permission denied`, `... is a file, not a folder`."""
    where = Path(str(e.filename)) if e.filename else path
    if isinstance(e, (FileExistsError, NotADirectoryError)):
        blocker = next((p for p in (where, *where.parents) if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            return f"{blocker} is a file, not a folder"
    words = (e.strerror or str(e)).lower()
    return f"{words} ({where})" if where != path else words


def cannot(path: Path, e: OSError, what: str = "write") -> WriteError:
    """One line: the path, and the cause in words."""
    return WriteError(f"cannot {what} {path}: {cause(e, path)}")


def make_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise cannot(path, e, "create the folder") from None
    return path


@contextmanager
def atomic_text(path: Path) -> Iterator[TextIO]:
    """A text file to write to; it replaces `path` only when the block ends without an exception."""
    make_dir(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as e:
        raise cannot(path, e) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            yield f
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise cannot(path, e) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes(path: Path, data: bytes) -> Path:
    """`data` into `path`, atomically."""
    make_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise cannot(path, e) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
