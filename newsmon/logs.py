"""Logging for a command: stderr at the level `-v`/`-q` ask for, plus the `[logging] file` when set.

Configured here only (modules just `getLogger(__name__)`), once at start and again when the config is
known or reloaded; reconfiguring replaces exactly the handlers added here.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys

from newsmon.config import Config

NOISY = ("httpx", "httpcore", "trafilatura", "htmldate", "courlan", "charset_normalizer", "alembic")
# The daemon's own lines reach stderr at INFO (the rest of INFO only with -v, and in the log file)
DAEMON_LOGGERS = frozenset({"newsmon.commands.daemon", "newsmon.alerts", "newsmon.commands.digest"})
LOG_FILE_BYTES, LOG_FILES_KEPT = 5_000_000, 5

_ours: list[logging.Handler] = []


def configure(verbose: int, quiet: bool, cfg: Config | None) -> None:
    """stderr at WARNING (-v INFO, -vv DEBUG, -q ERROR); the [logging] file, if any, at its level."""
    root = logging.getLogger()
    while _ours:
        h = _ours.pop()
        root.removeHandler(h)
        h.close()
    stderr_level = logging.ERROR if quiet else {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.setLevel(stderr_level)
    _add(handler)
    level = stderr_level
    if cfg is not None and cfg.logging.file is not None:
        cfg.logging.file.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.handlers.RotatingFileHandler(cfg.logging.file, maxBytes=LOG_FILE_BYTES,
                                                  backupCount=LOG_FILES_KEPT, encoding="utf-8")
        fh.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
        file_level = getattr(logging, cfg.logging.level)
        fh.setLevel(file_level)
        _add(fh)
        level = min(level, file_level)
    root.setLevel(level)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


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


def _add(handler: logging.Handler) -> None:
    _ours.append(handler)
    logging.getLogger().addHandler(handler)
