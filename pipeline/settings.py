"""What the pipeline is told by config.toml: `[fetch]`, `[extract]` and each `[[sources]]` table, typed.

The shell (newsmon.config) reads and validates the file and builds these; the defaults of every key live
there, in one table. Here are only the shapes the stages work with.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class FetchSettings:
    """The politeness and safety limits of every request (`[fetch]`)."""

    user_agent: str
    timeout_seconds: float            # the whole request: connect, headers and body
    connect_timeout_seconds: float
    max_bytes: int                    # decoded bytes; larger answers are refused
    per_host_delay_seconds: float     # between two requests to one host name
    retries: int                      # extra attempts after a connection error, a 5xx or a 429
    backoff_seconds: float            # the first retry's wait, doubled each time
    max_retry_after_seconds: float    # a longer Retry-After gives up instead of waiting


@dataclass(frozen=True)
class ExtractSettings:
    """The extraction worker processes (`[extract]`)."""

    workers: int                      # 0: one per CPU core
    timeout_seconds: float            # per page; the worker is killed past it
    max_html_bytes: int

    @property
    def worker_count(self) -> int:
        return self.workers or max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class SourceSettings:
    """One site (`[[sources]]`): where its articles are listed and which hosts its links may lead to."""

    name: str
    title: str                                # what readers see
    feeds: tuple[str, ...]
    listings: tuple[str, ...]                 # templates with {page}
    archives: tuple[str, ...]                 # templates with {date:...} and maybe {page}
    sitemaps: tuple[str, ...]
    article_url_pattern: re.Pattern[str] | None
    allowed_hosts: frozenset[str]
    timezone: ZoneInfo                        # for page dates without an offset
    paywall_markers: tuple[str, ...]
    max_pages: int                            # most pages walked per listing (or per archive day with {page})

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and (parts.hostname or "") in self.allowed_hosts
