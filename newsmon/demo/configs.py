"""config.toml files for the local sample sites: the demo's, the test suite's and the benchmarks'.

Each is the shipped config's topic rules under [storage], [fetch], [extract] and [[sources]] tables that
point at a `SampleSites` server (or wherever the caller says), plus any further tables as TOML text.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

TOPICS_MARKER = "# ---- topics (classifier rules) ----"
# Limits for sites on this machine: no politeness delay, quick to give up, one retry.
LOCAL_FETCH = {"timeout_seconds": 5, "connect_timeout_seconds": 2, "per_host_delay_seconds": 0, "retries": 1,
               "backoff_seconds": 0.05, "max_retry_after_seconds": 2}
LOCAL_EXTRACT = {"workers": 2, "timeout_seconds": 10}


def toml_value(value: Any) -> str:  # noqa: ANN401 - any TOML value
    """A TOML literal: strings in double quotes (escaped), lists, booleans, numbers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)


def shipped_topics() -> str:
    """The [topics.*] tables of the shipped config.toml, verbatim (comments included)."""
    text = resources.files("newsmon").joinpath("config.toml").read_text(encoding="utf-8")
    return text[text.index(TOPICS_MARKER):]


def config_text(sources: Sequence[Mapping[str, Any]], *, storage_url: str = "sqlite:///newsmon.db",
                fetch: Mapping[str, Any] | None = None, extract: Mapping[str, Any] | None = None,
                topics: str | None = None, extra: str = "") -> str:
    """A whole config.toml: the tables given, the shipped topics unless `topics`, then `extra` (TOML text)."""
    lines = ["[storage]", f"url = {toml_value(storage_url)}"]
    for name, table in (("fetch", fetch), ("extract", extract)):
        if table:
            lines += ["", f"[{name}]", *(f"{k} = {toml_value(v)}" for k, v in table.items())]
    for src in sources:
        lines += ["", "[[sources]]", *(f"{k} = {toml_value(v)}" for k, v in src.items())]
    lines += ["", topics if topics is not None else shipped_topics(), "", extra]
    return "\n".join(lines)


def write_config(directory: Path, sources: Sequence[Mapping[str, Any]], *, storage_url: str | None = None,
                 fetch: Mapping[str, Any] | None = None, extract: Mapping[str, Any] | None = None,
                 topics: str | None = None, extra: str = "") -> Path:
    """`directory`/config.toml for local sites: LOCAL_FETCH and LOCAL_EXTRACT updated with `fetch` and
    `extract`, the shipped topics unless `topics`, then `extra` (TOML text, dedented)."""
    path = directory / "config.toml"
    path.write_text(config_text(sources, storage_url=storage_url or "sqlite:///newsmon.db",
                                fetch={**LOCAL_FETCH, **(fetch or {})}, extract={**LOCAL_EXTRACT, **(extract or {})},
                                topics=topics, extra=textwrap.dedent(extra)), encoding="utf-8")
    return path
