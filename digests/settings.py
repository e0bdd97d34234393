"""What the digests are told by config.toml: `[digest]`, `[[subscriptions]]` and `[smtp]`, typed.

The shell (newsmon.config) reads and validates the file and builds these; the defaults of every key live
there, in one table.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class SubscriptionSettings:
    """One reader's (or desk's) choice of topics, cadence and destinations (`[[subscriptions]]`); the `[digest]`
    table is the weekly one named LEGACY_NAME, with its send log of before."""

    name: str
    topics: tuple[str, ...]       # reported, in this order (never empty: the shell fills in every topic)
    cadence: str                  # weekly | daily | instant
    recipients: tuple[str, ...]   # email, through [smtp]
    notify: tuple[ChatTarget, ...]   # chat and webhooks, through Apprise
    send_at: str                  # weekly: "mon 08:00"; daily: "08:00"; instant: "" (after each run)
    timezone: ZoneInfo            # the period's bounds, the send time and the dates shown
    title: str                    # first words of the subject and the banner
    sender: str
    max_stories: int              # digests: stories listed per topic (0: all)
    min_score: float              # instant: the least classifier score that is sent
    max_age_days: float           # instant: older news (by publication, against storing and now) is not sent

    @property
    def legacy(self) -> bool:
        return self.name == LEGACY_NAME

    @property
    def label(self) -> str:
        """How messages and logs name it: 'digest' for [digest], 'subscription NAME' otherwise."""
        return "digest" if self.legacy else f"subscription {self.name}"


@dataclass(frozen=True)
class ChatTarget:
    """An Apprise URL as config.toml writes it (`template`, with `${VAR}` for secrets) and as it is used (`url`,
    the secrets filled in from the environment). Only `template` is ever shown or stored."""

    template: str
    url: str = field(repr=False)

    @property
    def channel(self) -> str:
        """The send log's name for this destination: stable while the line in config.toml is unchanged, and
        free of secrets."""
        return "chat:" + hashlib.sha256(self.template.encode("utf-8")).hexdigest()[:12]

    @property
    def shown(self) -> str:
        """What logs and `status` show: the scheme, and the host of a plain web hook. Everything else may be a
        token (slack://TokenA/TokenB/..., tgram://bottoken/...): 'slack://…', 'json://hooks.example.org/…'."""
        scheme, _, rest = self.template.partition("://")
        host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
        if scheme.lower() in _WEBHOOK_SCHEMES and host and "$" not in host:
            return f"{scheme}://{host}/…"
        return f"{scheme}://…"


LEGACY_NAME = "digest"
_WEBHOOK_SCHEMES = {"json", "jsons", "xml", "xmls", "form", "forms"}   # Apprise's generic web hooks
