"""Shared fixtures: every test gets its own directory, database and environment; servers are local."""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

POSTGRES_URL = os.environ.get("NEWSMON_TEST_POSTGRES_URL", "")


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing from the developer's machine leaks in: cwd, config path, SMTP password."""
    monkeypatch.chdir(tmp_path)
    for var in ("NEWSMON_CONFIG", "NEWSMON_SMTP_PASSWORD", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


def _postgres_schema_url() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each backend (PostgreSQL skipped without NEWSMON_TEST_POSTGRES_URL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'newsmon.db'}"
        return
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("NEWSMON_TEST_POSTGRES_URL must be set in CI")
        pytest.skip("NEWSMON_TEST_POSTGRES_URL not set")
    yield from _postgres_schema_url()


@pytest.fixture
def sites() -> Iterator[Any]:
    from pipeline.samplesites import SampleSites

    with SampleSites() as s:
        yield s


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)


def write_config(directory: Path, sources: list[dict[str, Any]], *, storage_url: str | None = None,
                 fetch: dict[str, Any] | None = None, extract: dict[str, Any] | None = None,
                 topics: str | None = None, extra: str = "") -> Path:
    """A config.toml for tests: fast limits, local sources, the shipped topics unless given."""
    fetch_table = {"timeout_seconds": 5, "connect_timeout_seconds": 2, "per_host_delay_seconds": 0,
                   "retries": 1, "backoff_seconds": 0.05, "max_retry_after_seconds": 2, **(fetch or {})}
    extract_table = {"workers": 2, "timeout_seconds": 10, **(extract or {})}
    lines = ["[storage]", f"url = {toml_value(storage_url or 'sqlite:///newsmon.db')}", "", "[fetch]"]
    lines += [f"{k} = {toml_value(v)}" for k, v in fetch_table.items()]
    lines += ["", "[extract]"] + [f"{k} = {toml_value(v)}" for k, v in extract_table.items()]
    for src in sources:
        lines += ["", "[[sources]]"] + [f"{k} = {toml_value(v)}" for k, v in src.items()]
    lines += ["", topics if topics is not None else shipped_topics(), "", textwrap.dedent(extra)]
    path = directory / "config.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def shipped_topics() -> str:
    """The [topics.*] tables of the shipped config.toml, verbatim."""
    text = (Path(__file__).parent.parent / "config.toml").read_text(encoding="utf-8")
    marker = "# ---- topics (classifier rules) ----"
    return text[text.index(marker):]


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run `newsmon ARGS` in a subprocess: (exit code, stdout, stderr)."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr
