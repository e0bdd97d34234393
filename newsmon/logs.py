"""Logging for a command: stderr at the level `-v`/`-q` ask for, plus the `[logging] file` when set.

Configured here only (modules just `getLogger(__name__)`), once at start and again when the config is
known or reloaded; reconfiguring replaces exactly the handlers added here, and only once the new ones could
be made (a log file that cannot be opened leaves the old set in place and is a config error).

What reaches the terminal is meant for people: `warning: ...`, no logger names, and not the records a
command's summary repeats (`in_summary`); the log file gets everything, with time, process and logger.
"""

from __future__ import annotations

import logging
import sys

from newsmon import files
from newsmon.config import Config
from newsmon.errors import ConfigError

NOISY = ("httpx", "httpcore", "trafilatura", "htmldate", "courlan", "charset_normalizer", "alembic")
# The daemon's own lines reach stderr at INFO (the rest of INFO only with -v, and in the log file)
DAEMON_LOGGERS = frozenset({"newsmon.commands.daemon", "newsmon.alerts", "newsmon.commands.digest"})
LOG_FILE_BYTES, LOG_FILES_KEPT = 5_000_000, 5

_ours: list[logging.Handler] = []


class _ForPeople(logging.Formatter):
    """`warning: message`. An unexpected exception is named on the same line; its traceback is for the log
    file, and for the terminal only with -vv."""

    def __init__(self, tracebacks: bool) -> None:
        super().__init__()
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        text = f"{record.levelname.lower()}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            if self.tracebacks:
                return f"{text}\n{self.formatException(record.exc_info)}"
            text += f" ({record.exc_info[1]!r}; -vv shows where)"
        return text


def _not_in_summary(record: logging.LogRecord) -> bool:
    return not getattr(record, "in_summary", False)


def configure(verbose: int, quiet: bool, cfg: Config | None) -> None:
    """stderr at WARNING (-v INFO, -vv DEBUG, -q ERROR); the [logging] file, if any, at its level.
    ConfigError (naming the file and the key) when the log file cannot be opened."""
    stderr_level = logging.ERROR if quiet else {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ForPeople(tracebacks=verbose >= 2))
    handler.setLevel(stderr_level)
    handler.addFilter(_not_in_summary)
    handlers: list[logging.Handler] = [handler]
    level = stderr_level
    if cfg is not None and cfg.logging.file is not None:
        handlers.append(_file_handler(cfg))
        level = min(level, handlers[-1].level)
    root = logging.getLogger()
    while _ours:
        old = _ours.pop()
        root.removeHandler(old)
        old.close()
    for h in handlers:
        _ours.append(h)
        root.addHandler(h)
    root.setLevel(level)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _file_handler(cfg: Config) -> logging.Handler:
    import logging.handlers  # ~10 ms (socket, pickle, queue): only when there is a log file

    path = cfg.logging.file
    assert path is not None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILES_KEPT,
                                                  encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{cfg.path}: logging.file: cannot write {path}: {files.cause(e, path)}") from None
    fh.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    fh.setLevel(getattr(logging, cfg.logging.level))
    return fh


def configure_daemon(verbose: int, quiet: bool, cfg: Config) -> None:
    """As `configure`, and the daemon's own lines (start, stop, runs, digests, alerts) on stderr at INFO."""
    configure(verbose, quiet, cfg)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    if quiet or verbose:
        return
    root = logging.getLogger()
    root.setLevel(min(root.level, logging.INFO))
    for h in _ours:
        if not isinstance(h, logging.FileHandler):
            h.setLevel(logging.INFO)   # the daemon's own lines; per-request detail stays for -v and the file
            h.addFilter(lambda r: r.levelno >= logging.WARNING or r.name in DAEMON_LOGGERS)
