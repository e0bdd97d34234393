"""The commands that must start fast import nothing they do not need (the issue "Start-up"; figures in
benchmarks/startup.py): `newsmon --help`, `newsmon status`, and a `newsmon run` that finds nothing new.

Each is run as a fresh process that writes down the modules it imported, so that a module-level import added
anywhere on these paths is caught here rather than as a slower start-up much later.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from newsmon.demo.configs import write_config

from .conftest import run_cli

# Never on these paths: article extraction and the digest's chart (seconds of imports between them), the
# digest's templates, chat delivery and the workbench.
HEAVY = ("trafilatura", "matplotlib", "numpy", "jinja2", "css_inline", "apprise", "starlette", "uvicorn")
# Not for a database already at the schema's head, nor on SQLite: Alembic, and the PostgreSQL dialect.
SCHEMA = ("alembic", "sqlalchemy.dialects.postgresql", "psycopg")
# Not for an unchanged run: a feed answering 304 is not parsed (feedparser, lxml), no alert is sent, nothing is
# printed with rich; and never httpx's command-line client or httpcore's trio support (pipeline.fetch hides them).
UNCHANGED_RUN = ("feedparser", "lxml", "smtplib", "rich", "httpx._main", "trio", "logging.handlers")


def imported(tmp_path: Path, *args: str) -> set[str]:
    """`newsmon ARGS` in a fresh process, which must succeed: every module it had imported when it exited."""
    out = tmp_path / "modules.json"
    code = ("import atexit, json, sys\n"
            f"atexit.register(lambda: open({str(out)!r}, 'w').write(json.dumps(sorted(sys.modules))))\n"
            "from newsmon.cli import main\n"
            f"main({list(args)!r})\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(out.read_text()))


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


@pytest.fixture
def stored(tmp_path: Path, sites: Any) -> Path:
    """A config whose database holds the sample sites' articles, so that the next run finds nothing new."""
    config = write_config(tmp_path, sites.source_config())
    code, out, err = run_cli("--config", str(config), "run")
    assert code == 0 and " new" in out, err
    return config


def test_help_imports_no_database_no_http_and_nothing_heavy(tmp_path: Path) -> None:
    modules = imported(tmp_path, "--help")
    assert not loaded(modules, (*HEAVY, *SCHEMA, *UNCHANGED_RUN, "sqlalchemy", "httpx", "newsmon.classifiers"))


def test_status_imports_nothing_heavy_and_no_alembic(tmp_path: Path, stored: Path) -> None:
    modules = imported(tmp_path, "--config", str(stored), "status")
    assert "sqlalchemy.orm" in modules   # it did read the database
    assert not loaded(modules, (*HEAVY, *SCHEMA, "feedparser", "httpx", "smtplib"))


def test_an_unchanged_run_imports_nothing_it_does_not_need(tmp_path: Path, stored: Path, sites: Any) -> None:
    sites.clear_requests()
    modules = imported(tmp_path, "--config", str(stored), "run")
    assert sites.requests and not [r.path for r in sites.requests if r.path.endswith(".html") or "/news/" in r.path]
    assert "httpx" in modules    # it did ask the feeds
    assert not loaded(modules, (*HEAVY, *SCHEMA, *UNCHANGED_RUN))
