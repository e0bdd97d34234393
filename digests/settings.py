"""What the digests are told by config.toml: `[digest]` and `[smtp]`, typed.

The shell (newsmon.config) reads and validates the file and builds these; the defaults of every key live
there, in one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class DigestSettings:
    """The weekly email (`[digest]`)."""

    timezone: ZoneInfo            # the week's bounds and the dates shown
    topics: tuple[str, ...]       # reported, in this order (empty: every configured topic)
    recipients: tuple[str, ...]
    sender: str
    send_at: str                  # "mon 08:00", in `timezone`: when the daemon sends
    title: str                    # first words of the subject and the banner
    max_stories: int              # stories listed per topic (0: all); counts cover the whole week


@dataclass(frozen=True)
class SmtpSettings:
    """The mail server every message goes through (`[smtp]`); the password is read from `password_env`."""

    host: str
    port: int
    security: str                 # ssl | starttls | none
    username: str
    password_env: str
    timeout_seconds: float
    ca_file: Path | None          # a private CA to trust instead of the system's
