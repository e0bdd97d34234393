"""config.toml, read and validated once at start-up into typed, frozen objects.

Every error names the file and the key (`config.toml: sources[2].feeds[0]: ...`), so a user fixing a
typo at 3 a.m. need not guess. Defaults live here, beside their types; config.toml documents them.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsmon.errors import ConfigError

DEFAULT_USER_AGENT = "newsmon/0.1 (+https://github.com/newsmon/newsmon)"


@dataclass(frozen=True)
class StorageConfig:
    url: str = "sqlite:///newsmon.db"


@dataclass(frozen=True)
class FetchConfig:
    user_agent: str = DEFAULT_USER_AGENT
    timeout_seconds: float = 20.0
    connect_timeout_seconds: float = 10.0
    max_bytes: int = 5_000_000
    per_host_delay_seconds: float = 1.0
    retries: int = 2
    backoff_seconds: float = 1.0
    max_retry_after_seconds: float = 120.0


@dataclass(frozen=True)
class ExtractConfig:
    workers: int = 0
    timeout_seconds: float = 30.0
    max_html_bytes: int = 2_000_000

    @property
    def worker_count(self) -> int:
        return self.workers or max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class SourceConfig:
    name: str
    feeds: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()
    archives: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    article_url_pattern: re.Pattern[str] | None = None
    allowed_hosts: frozenset[str] = frozenset()
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Baku"))
    paywall_markers: tuple[str, ...] = ()
    max_pages: int = 10_000    # backfill: most pages walked per listing (or per archive day with {page})

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and (parts.hostname or "") in self.allowed_hosts


@dataclass(frozen=True)
class DigestConfig:
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Baku"))
    topics: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    sender: str = "newsmon@localhost"
    send_at: str = "mon 08:00"
    title: str = "SCO–Azerbaijan monitor"   # first words of the subject and the banner
    max_stories: int = 50                    # stories listed per topic (0: all); counts cover the whole week


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "localhost"
    port: int = 465
    security: str = "ssl"
    username: str = ""
    password_env: str = "NEWSMON_SMTP_PASSWORD"
    timeout_seconds: float = 30.0
    ca_file: Path | None = None


@dataclass(frozen=True)
class ScheduleConfig:
    fetch_every_seconds: float = 1800.0
    source_deadline_seconds: float | None = None   # None ("auto"): sized from [fetch], see ingest.source_deadline
    run_deadline_seconds: float | None = None      # None ("auto"): the longest source deadline plus two minutes
    digest_deadline_seconds: float = 600.0


@dataclass(frozen=True)
class LoggingConfig:
    file: Path | None = None
    level: str = "INFO"


@dataclass(frozen=True)
class AlertsConfig:
    recipients: tuple[str, ...] = ()   # none: no alert emails (health is still recorded and shown)
    failures: int = 3                  # consecutive failed runs of a source before the admins are told
    silent_days: float = 2.0           # days a source may store nothing before the admins are told


@dataclass(frozen=True)
class Config:
    path: Path
    storage: StorageConfig
    fetch: FetchConfig
    extract: ExtractConfig
    sources: tuple[SourceConfig, ...]
    topics: Mapping[str, Mapping[str, Any]]
    digest: DigestConfig
    smtp: SmtpConfig
    schedule: ScheduleConfig
    logging: LoggingConfig
    alerts: AlertsConfig = field(default_factory=AlertsConfig)

    def source(self, name: str) -> SourceConfig:
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)

    def select_sources(self, names: tuple[str, ...] | list[str]) -> tuple[SourceConfig, ...]:
        """The named sources (all when none are named); an unknown name is a usage error."""
        if not names:
            return self.sources
        known = [s.name for s in self.sources]
        for n in names:
            if n not in known:
                raise ConfigError(f"unknown source {n!r} (configured: {', '.join(known)})")
        return tuple(s for s in self.sources if s.name in names)


def listing_page(template: str, page: int) -> str:
    return template.replace("{page}", str(page))


def load_config(path: Path | str) -> Config:
    """Read and validate config.toml; raise ConfigError naming file and key on any problem."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read config file: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    return parse_config(raw, path)


def parse_config(raw: Mapping[str, Any], path: Path) -> Config:
    v = _Validator(path)
    v.known_keys(raw, "", {"storage", "fetch", "extract", "sources", "topics", "digest", "smtp", "schedule",
                           "logging", "alerts"})
    storage = _storage(v, v.table(raw, "storage"))
    fetch = _dataclass_from(v, FetchConfig, v.table(raw, "fetch"), "fetch", positive={
        "timeout_seconds", "connect_timeout_seconds", "max_bytes"})
    extract = _dataclass_from(v, ExtractConfig, v.table(raw, "extract"), "extract",
                              positive={"timeout_seconds", "max_html_bytes"})
    sources_raw = raw.get("sources", [])
    if not isinstance(sources_raw, list) or not all(isinstance(s, dict) for s in sources_raw):
        v.fail("sources", "must be an array of tables ([[sources]])")
    sources = tuple(_source(v, s, f"sources[{i}]") for i, s in enumerate(sources_raw))
    seen: set[str] = set()
    for i, s in enumerate(sources):
        if s.name in seen:
            v.fail(f"sources[{i}].name", f"duplicate source name {s.name!r}")
        seen.add(s.name)
    topics = v.table(raw, "topics")
    for name, table in topics.items():
        if not isinstance(table, dict):
            v.fail(f"topics.{name}", "must be a table ([topics.NAME])")
    digest = _digest(v, v.table(raw, "digest"), topics)
    smtp = _smtp(v, v.table(raw, "smtp"))
    schedule = _schedule(v, v.table(raw, "schedule"))
    logging_ = _logging(v, v.table(raw, "logging"))
    alerts = _alerts(v, v.table(raw, "alerts"))
    return Config(path=path, storage=storage, fetch=fetch, extract=extract, sources=sources, topics=topics,
                  digest=digest, smtp=smtp, schedule=schedule, logging=logging_, alerts=alerts)


class _Validator:
    """Small helpers that know the file name, so every message says where."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, key: str, message: str) -> None:
        where = f"{self.path}: {key}" if key else str(self.path)
        raise ConfigError(f"{where}: {message}")

    def table(self, raw: Mapping[str, Any], key: str) -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            self.fail(key, "must be a table")
        return value

    def known_keys(self, table: Mapping[str, Any], where: str, allowed: set[str]) -> None:
        for k in table:
            if k not in allowed:
                key = f"{where}.{k}" if where else k
                self.fail(key, f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def typed(self, table: Mapping[str, Any], key: str, where: str, kind: type | tuple[type, ...],
              default: Any) -> Any:
        if key not in table:
            return default
        value = table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if not ok:
            names = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            self.fail(f"{where}.{key}", f"must be {names}, got {_TYPE_NAMES.get(type(value), type(value).__name__)}"
                      f" {value!r}")
        return value

    def string_list(self, table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            self.fail(f"{where}.{key}", "must be a list of strings")
        return tuple(value)

    def url(self, value: str, key: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.fail(key, f"{value!r} is not an http(s) URL")
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            self.fail(key, f"{value!r} has an invalid port")
        return value

    def timezone(self, value: Any, key: str) -> ZoneInfo:
        if not isinstance(value, str):
            self.fail(key, "must be a time zone name such as 'Asia/Baku'")
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail(key, f"unknown time zone {value!r}")
        raise AssertionError  # unreachable


_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false",
               list: "a list", dict: "a table"}


def _dataclass_from(v: _Validator, cls: Callable[..., Any], table: Mapping[str, Any], where: str,
                    positive: set[str] = frozenset()) -> Any:  # type: ignore[assignment]
    defaults = cls()
    fields = {f: getattr(defaults, f) for f in defaults.__dataclass_fields__}
    v.known_keys(table, where, set(fields))
    values: dict[str, Any] = {}
    for key, default in fields.items():
        kind: type | tuple[type, ...] = (int, float) if isinstance(default, float) else type(default)
        value = v.typed(table, key, where, kind, default)
        if isinstance(default, float):
            value = float(value)
        if (isinstance(value, (int, float)) and not isinstance(value, bool)
                and (value < 0 or (key in positive and value == 0))):
            v.fail(f"{where}.{key}", f"must be {'> 0' if key in positive else '>= 0'}, got {value!r}")
        values[key] = value
    return cls(**values)


def _storage(v: _Validator, table: Mapping[str, Any]) -> StorageConfig:
    v.known_keys(table, "storage", {"url"})
    url = v.typed(table, "url", "storage", str, StorageConfig.url)
    if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", url):
        v.fail("storage.url", f"{url!r} is not a sqlite:/// or postgresql:// URL")
    if url.startswith("sqlite") and url not in ("sqlite://", "sqlite:///:memory:"):
        db = url.split(":///", 1)[1] if ":///" in url else ""
        if not db:
            v.fail("storage.url", f"{url!r} names no database file")
        db_path = Path(db)
        if not db_path.is_absolute():
            db_path = (v.path.parent / db_path).resolve()
        url = url.split(":///", 1)[0] + ":///" + str(db_path)
    return StorageConfig(url=url)


_SOURCE_KEYS = {"name", "feeds", "listings", "archives", "sitemaps", "article_url_pattern", "allowed_hosts",
                "timezone", "paywall_markers", "max_pages"}


def _source(v: _Validator, table: Mapping[str, Any], where: str) -> SourceConfig:
    v.known_keys(table, where, _SOURCE_KEYS)
    name = v.typed(table, "name", where, str, "")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        v.fail(f"{where}.name", f"must be a short name of letters, digits, '_', '-' or '.', got {name!r}")
    urls: dict[str, tuple[str, ...]] = {}
    for key in ("feeds", "listings", "archives", "sitemaps"):
        urls[key] = v.string_list(table, key, where)
        for i, u in enumerate(urls[key]):
            v.url(u, f"{where}.{key}[{i}]")
    for i, u in enumerate(urls["archives"]):
        if "{date" not in u:
            v.fail(f"{where}.archives[{i}]", f"{u!r} has no {{date:...}} placeholder")
        try:
            u.format(date=date(2000, 1, 2), page=1)
        except (KeyError, IndexError, ValueError) as e:
            v.fail(f"{where}.archives[{i}]", f"{u!r} is not a valid template ({{date:%Y-%m-%d}}, {{page}}): {e!r}")
    max_pages = v.typed(table, "max_pages", where, int, SourceConfig.max_pages)
    if max_pages < 1:
        v.fail(f"{where}.max_pages", f"must be >= 1, got {max_pages}")
    if not any(urls.values()):
        v.fail(where, f"source {name!r} has no feeds, listings, archives or sitemaps")
    pattern = None
    if "article_url_pattern" in table:
        text = v.typed(table, "article_url_pattern", where, str, "")
        try:
            pattern = re.compile(text)
        except re.error as e:
            v.fail(f"{where}.article_url_pattern", f"not a valid regular expression: {e}")
    elif urls["listings"] or urls["archives"]:
        v.fail(f"{where}.article_url_pattern", "is required when a source has listings or archives")
    hosts = v.string_list(table, "allowed_hosts", where)
    if not hosts:
        hosts = tuple(urlsplit(u).hostname or "" for key in urls for u in urls[key])
    tz = v.timezone(table["timezone"], f"{where}.timezone") if "timezone" in table else ZoneInfo("Asia/Baku")
    return SourceConfig(
        name=name, feeds=urls["feeds"], listings=urls["listings"], archives=urls["archives"],
        sitemaps=urls["sitemaps"], article_url_pattern=pattern,
        allowed_hosts=frozenset(h.lower() for h in hosts), timezone=tz,
        paywall_markers=v.string_list(table, "paywall_markers", where), max_pages=max_pages)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _digest(v: _Validator, table: Mapping[str, Any], topics: Mapping[str, Any]) -> DigestConfig:
    v.known_keys(table, "digest", {"timezone", "topics", "recipients", "sender", "send_at", "title",
                                   "max_stories"})
    tz = v.timezone(table.get("timezone", "Asia/Baku"), "digest.timezone")
    digest_topics = v.string_list(table, "topics", "digest")
    for i, t in enumerate(digest_topics):
        if t not in topics:
            v.fail(f"digest.topics[{i}]", f"unknown topic {t!r} (defined: {', '.join(topics) or 'none'})")
    recipients = v.string_list(table, "recipients", "digest")
    for i, r in enumerate(recipients):
        if not _EMAIL.match(r):
            v.fail(f"digest.recipients[{i}]", f"{r!r} is not an email address")
    sender = v.typed(table, "sender", "digest", str, DigestConfig.sender)
    if not _EMAIL.match(sender):
        v.fail("digest.sender", f"{sender!r} is not an email address")
    send_at = v.typed(table, "send_at", "digest", str, DigestConfig.send_at)
    m = re.fullmatch(r"(\w{3})\s+(\d{1,2}):(\d{2})", send_at.strip().lower())
    if not m or m.group(1) not in _DAYS or int(m.group(2)) > 23 or int(m.group(3)) > 59:
        v.fail("digest.send_at", f"{send_at!r} must look like 'mon 08:00' (day: {'/'.join(_DAYS)})")
    title = v.typed(table, "title", "digest", str, DigestConfig.title).strip()
    if not title or "\n" in title or "\r" in title:
        v.fail("digest.title", f"must be one line of text, got {title!r}")
    max_stories = v.typed(table, "max_stories", "digest", int, DigestConfig.max_stories)
    if max_stories < 0:
        v.fail("digest.max_stories", f"must be >= 0 (0: all), got {max_stories}")
    return DigestConfig(timezone=tz, topics=digest_topics, recipients=recipients, sender=sender,
                        send_at=send_at, title=title, max_stories=max_stories)


def _smtp(v: _Validator, table: Mapping[str, Any]) -> SmtpConfig:
    v.known_keys(table, "smtp", {"host", "port", "security", "username", "password_env", "timeout_seconds",
                                 "ca_file"})
    port = v.typed(table, "port", "smtp", int, SmtpConfig.port)
    if not 0 < port < 65536:
        v.fail("smtp.port", f"must be 1-65535, got {port}")
    security = v.typed(table, "security", "smtp", str, SmtpConfig.security)
    if security not in ("ssl", "starttls", "none"):
        v.fail("smtp.security", f"must be 'ssl', 'starttls' or 'none', got {security!r}")
    timeout = float(v.typed(table, "timeout_seconds", "smtp", (int, float), SmtpConfig.timeout_seconds))
    if timeout <= 0:
        v.fail("smtp.timeout_seconds", "must be > 0")
    ca = v.typed(table, "ca_file", "smtp", str, "")
    ca_file = None
    if ca:
        ca_file = Path(ca) if Path(ca).is_absolute() else (v.path.parent / ca).resolve()
    return SmtpConfig(host=v.typed(table, "host", "smtp", str, SmtpConfig.host), port=port, security=security,
                      username=v.typed(table, "username", "smtp", str, ""),
                      password_env=v.typed(table, "password_env", "smtp", str, SmtpConfig.password_env),
                      timeout_seconds=timeout, ca_file=ca_file)


def parse_duration(text: str) -> float:
    """'45s', '30m', '2h', '1d' -> seconds; ValueError otherwise."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def _schedule(v: _Validator, table: Mapping[str, Any]) -> ScheduleConfig:
    v.known_keys(table, "schedule", {"fetch_every", "source_deadline", "run_deadline", "digest_deadline"})
    return ScheduleConfig(fetch_every_seconds=_duration(v, table, "fetch_every", "30m"),
                          source_deadline_seconds=_duration(v, table, "source_deadline", "auto", auto=True),
                          run_deadline_seconds=_duration(v, table, "run_deadline", "auto", auto=True),
                          digest_deadline_seconds=_duration(v, table, "digest_deadline", "10m"))


def _duration(v: _Validator, table: Mapping[str, Any], key: str, default: str, auto: bool = False) -> Any:
    """A [schedule] duration in seconds; with `auto`, the word "auto" gives None (a computed value)."""
    text = v.typed(table, key, "schedule", str, default)
    if auto and text.strip() == "auto":
        return None
    try:
        seconds = parse_duration(text)
    except ValueError:
        v.fail(f"schedule.{key}", f"{text!r} must look like '45s', '30m', '2h' or '1d'"
               + (" or 'auto'" if auto else ""))
    if seconds <= 0:
        v.fail(f"schedule.{key}", "must be longer than 0")
    return seconds


def _logging(v: _Validator, table: Mapping[str, Any]) -> LoggingConfig:
    v.known_keys(table, "logging", {"file", "level"})
    file = v.typed(table, "file", "logging", str, "")
    level = v.typed(table, "level", "logging", str, "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        v.fail("logging.level", f"must be DEBUG, INFO, WARNING or ERROR, got {level!r}")
    path = None
    if file:
        path = Path(file) if Path(file).is_absolute() else (v.path.parent / file).resolve()
    return LoggingConfig(file=path, level=level)


def _alerts(v: _Validator, table: Mapping[str, Any]) -> AlertsConfig:
    v.known_keys(table, "alerts", {"recipients", "failures", "silent_days"})
    recipients = v.string_list(table, "recipients", "alerts")
    for i, r in enumerate(recipients):
        if not _EMAIL.match(r):
            v.fail(f"alerts.recipients[{i}]", f"{r!r} is not an email address")
    failures = v.typed(table, "failures", "alerts", int, AlertsConfig.failures)
    if failures < 1:
        v.fail("alerts.failures", f"must be >= 1, got {failures}")
    silent_days = float(v.typed(table, "silent_days", "alerts", (int, float), AlertsConfig.silent_days))
    if silent_days <= 0:
        v.fail("alerts.silent_days", f"must be > 0, got {silent_days:g}")
    return AlertsConfig(recipients=recipients, failures=failures, silent_days=silent_days)
