"""config.toml, read and validated once at start-up into each layer's typed settings.

Every default lives in `DEFAULTS` below, beside a word on what it means (config.toml documents each key at
length, and a test keeps the two in step). Every error names the file and the key
(`config.toml: sources[2].feeds[0]: ...`), so a user fixing a typo at 3 a.m. need not guess.

    load_config(path) -> Config      ConfigError on any problem
    TopicRules(cfg)                  the [topics] rules checked (ConfigError), compiled when first used
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsmon.digests.period import CADENCES
from newsmon.digests.settings import LEGACY_NAME, ChatTarget, DigestSettings, SmtpSettings, SubscriptionSettings
from newsmon.errors import ConfigError, RuleError
from newsmon.pipeline.settings import ExtractSettings, FetchSettings, SourceSettings

if TYPE_CHECKING:
    from newsmon.classifiers import Classifier, TopicMatch

DEFAULTS: Mapping[str, Mapping[str, Any]] = {
    "storage": {
        "url": "sqlite:///newsmon.db",              # relative to the config file; or postgresql+psycopg://...
    },
    "fetch": {
        "user_agent": "newsmon/0.1 (+https://github.com/newsmon/newsmon)",
        "timeout_seconds": 20.0,                    # the whole request: connect, headers and body
        "connect_timeout_seconds": 10.0,
        "max_bytes": 5_000_000,                     # decoded bytes; larger answers are refused
        "per_host_delay_seconds": 1.0,              # between two requests to one host name
        "retries": 2,                               # extra attempts after a connection error or a 5xx
        "backoff_seconds": 1.0,                     # the first retry's wait, doubled each time
        "max_retry_after_seconds": 120.0,           # a longer Retry-After gives up instead of waiting
    },
    "extract": {
        "workers": 0,                               # extraction processes; 0: one per CPU core
        "timeout_seconds": 30.0,                    # per page; the worker is killed past it
        "max_html_bytes": 2_000_000,
    },
    "sources": {                                    # each [[sources]] table
        "name": "",                                 # required; what commands take (--source NAME)
        "title": "",                                # what readers see; empty: the name
        "feeds": [],
        "listings": [],                             # templates with {page}
        "archives": [],                             # templates with {date:%Y-%m-%d} (and maybe {page})
        "sitemaps": [],
        "article_url_pattern": "",                  # required with listings or archives
        "allowed_hosts": [],                        # empty: the hosts of the source's own URLs
        "timezone": "Asia/Baku",                    # for page dates without an offset
        "paywall_markers": [],
        "max_pages": 10_000,                        # pages walked per listing (or archive day with {page})
    },
    "digest": {
        "timezone": "Asia/Baku",
        "topics": [],                               # empty: every [topics.*] table, in order
        "recipients": [],
        "sender": "newsmon@localhost",
        "send_at": "mon 08:00",                     # in `timezone`; the daemon's send time
        "title": "SCO–Azerbaijan monitor",          # first words of the subject and the banner
        "max_stories": 50,                          # stories listed per topic; 0: all
    },
    "subscriptions": {                              # each [[subscriptions]] table
        "name": "",                                 # required; what `digest --subscription NAME` takes
        "topics": [],                               # empty: every [topics.*] table, in order
        "cadence": "weekly",                        # weekly | daily | instant (after each run)
        "recipients": [],                           # email addresses, through [smtp]
        "notify": [],                               # Apprise URLs; secrets as ${ENV_VAR}
        "send_at": "",                              # weekly "mon 08:00", daily "08:00"; empty: these
        "timezone": "",                             # empty: [digest] timezone
        "title": "",                                # empty: [digest] title
        "max_stories": 50,                          # weekly, daily: stories listed per topic; 0: all
        "min_score": 0.0,                           # instant: the least classifier score sent
        "max_age_days": 2.0,                        # instant: articles published longer ago are not sent
    },
    "smtp": {
        "host": "localhost",
        "port": 465,
        "security": "ssl",                          # ssl | starttls | none
        "username": "",                             # log in when set
        "password_env": "NEWSMON_SMTP_PASSWORD",    # the password is never in the file
        "timeout_seconds": 30.0,
        "ca_file": "",                              # a private CA (PEM) instead of the system's
    },
    "schedule": {
        "fetch_every": "30m",                       # the daemon's run interval
        "source_deadline": "auto",                  # auto: sized from [fetch], see commands.run
        "run_deadline": "auto",                     # auto: the longest source deadline + 2 min
        "digest_deadline": "10m",
    },
    "logging": {
        "file": "",                                 # a rotating log file; empty: stderr only
        "level": "INFO",                            # of the file
    },
    "alerts": {
        "recipients": [],                           # empty: no alert emails
        "failures": 3,                              # consecutive failed runs that make an alert
        "silent_days": 2.0,                         # days without a stored article that make an alert
    },
    "serve": {
        "host": "127.0.0.1",                        # `newsmon serve` binds here; off loopback needs users or a token
        "port": 8080,
        "public_url": "",                           # where readers reach the workbench; digests link stories to it
        "users": [],                                # [{name = "ana", password_hash = "$argon2id$..."}]
        "token_env": "",                            # an environment variable holding a bearer token
    },
}
TABLES = (*DEFAULTS, "topics")
SEND_AT = {"weekly": "mon 08:00", "daily": "08:00"}
_INSTANT_ONLY = ("min_score", "max_age_days")
_SCHEDULED_ONLY = ("send_at", "max_stories")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class StorageSettings:
    url: str                     # a SQLAlchemy URL; a SQLite path is absolute


@dataclass(frozen=True)
class ScheduleSettings:
    fetch_every_seconds: float
    source_deadline_seconds: float | None   # None ("auto"): sized from [fetch]
    run_deadline_seconds: float | None      # None ("auto"): the longest source deadline plus two minutes
    digest_deadline_seconds: float


@dataclass(frozen=True)
class LoggingSettings:
    file: Path | None
    level: str


@dataclass(frozen=True)
class AlertsSettings:
    recipients: tuple[str, ...]  # none: no alert emails (health is still recorded and shown)
    failures: int                # consecutive failed runs of a source before the admins are told
    silent_days: float           # days a source may store nothing before the admins are told


@dataclass(frozen=True)
class ServeSettings:
    host: str
    port: int
    public_url: str                         # "" or an http(s) URL ending in "/"
    users: Mapping[str, str]                # user name -> argon2 hash of the password
    token_env: str                          # "" or the name of the variable holding the bearer token

    @property
    def authenticates(self) -> bool:
        return bool(self.users or self.token_env)


@dataclass(frozen=True)
class Config:
    path: Path
    storage: StorageSettings
    fetch: FetchSettings
    extract: ExtractSettings
    sources: tuple[SourceSettings, ...]
    topics: Mapping[str, Mapping[str, Any]]
    digest: DigestSettings
    smtp: SmtpSettings
    schedule: ScheduleSettings
    logging: LoggingSettings
    alerts: AlertsSettings
    subscriptions: tuple[SubscriptionSettings, ...] = ()     # [[subscriptions]]; see `deliveries`
    serve: ServeSettings = ServeSettings("127.0.0.1", 8080, "", {}, "")

    @property
    def legacy_subscription(self) -> SubscriptionSettings:
        """The `[digest]` table as the weekly subscription it always was (named LEGACY_NAME)."""
        d = self.digest
        return SubscriptionSettings(
            name=LEGACY_NAME, topics=d.topics or tuple(self.topics), cadence="weekly", recipients=d.recipients,
            notify=(), send_at=d.send_at, timezone=d.timezone, title=d.title, sender=d.sender,
            max_stories=d.max_stories, min_score=0.0, max_age_days=0.0)

    @property
    def deliveries(self) -> tuple[SubscriptionSettings, ...]:
        """What is sent: the `[digest]` table when it has recipients, then every `[[subscriptions]]`."""
        legacy = (self.legacy_subscription,) if self.digest.recipients else ()
        return legacy + self.subscriptions

    def subscription(self, name: str) -> SubscriptionSettings:
        """A subscription by name (LEGACY_NAME: the `[digest]` table); an unknown name is a usage error."""
        if name == LEGACY_NAME:
            return self.legacy_subscription
        for sub in self.subscriptions:
            if sub.name == name:
                return sub
        known = ", ".join(s.name for s in self.subscriptions) or "none; see [[subscriptions]] in config.toml"
        raise ConfigError(f"unknown subscription {name!r} (configured: {known})")

    def source(self, name: str) -> SourceSettings:
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)

    def select_sources(self, names: Sequence[str]) -> tuple[SourceSettings, ...]:
        """The named sources (all when none are named); an unknown name is a usage error."""
        if not names:
            return self.sources
        known = [s.name for s in self.sources]
        for n in names:
            if n not in known:
                raise ConfigError(f"unknown source {n!r} (configured: {', '.join(known)})")
        return tuple(s for s in self.sources if s.name in names)

    def topic_title(self, topic: str) -> str:
        """What readers see of a topic: its `title`, else its `description`, else its name."""
        table = self.topics.get(topic, {})
        for key in ("title", "description"):
            value = table.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return topic


def load_config(path: Path | str, *, named_by: str = "--config", environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate config.toml; raise ConfigError naming file and key on any problem. `named_by` says
    where the path came from (`--config`, `$NEWSMON_CONFIG`, the default), for the messages about the file.
    `environ` (default: os.environ) fills in the `${VAR}` of notify URLs."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path} (from {named_by}) is a directory; name the config file itself") from None
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (from {named_by}); `newsmon init` writes one, "
                          "`newsmon demo` tries newsmon offline without one") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read config file: {getattr(e, 'strerror', None) or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    return parse_config(raw, path, environ=environ)


def parse_config(raw: Mapping[str, Any], path: Path, *, environ: Mapping[str, str] | None = None) -> Config:
    """Config from an already parsed TOML document; `path` is where it came from (messages, relative paths).
    An empty document gives every default."""
    v = _Validator(path)
    v.known_keys(raw, "", set(TABLES))
    topics = v.table(raw, "topics")
    for name, table in topics.items():
        if not isinstance(table, dict):
            v.fail(f"topics.{name}", "must be a table ([topics.NAME])")
    digest = _digest(v, v.table(raw, "digest"), topics)
    return Config(
        path=path, storage=_storage(v, v.table(raw, "storage")),
        fetch=FetchSettings(**v.simple_table(raw, "fetch", positive={
            "timeout_seconds", "connect_timeout_seconds", "max_bytes"})),
        extract=ExtractSettings(**v.simple_table(raw, "extract", positive={"timeout_seconds", "max_html_bytes"})),
        sources=_sources(v, raw.get("sources", [])), topics=topics,
        digest=digest, smtp=_smtp(v, v.table(raw, "smtp")),
        schedule=_schedule(v, v.table(raw, "schedule")), logging=_logging(v, v.table(raw, "logging")),
        alerts=_alerts(v, v.table(raw, "alerts")),
        subscriptions=_subscriptions(v, raw.get("subscriptions", []), topics, digest,
                                     os.environ if environ is None else environ),
        serve=_serve(v, v.table(raw, "serve")))


def parse_duration(text: str) -> float:
    """'45s', '30m', '2h', '1d' -> seconds; ValueError otherwise."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false",
               list: "a list", dict: "a table"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class _Validator:
    """Small helpers that know the file name, so every message says where; `context` follows the key
    (' (subscription "desk")'), for a table known by its name rather than its place in an array."""

    def __init__(self, path: Path, context: str = ""):
        self.path = path
        self.context = context

    def fail(self, key: str, message: str) -> NoReturn:
        where = f"{self.path}: {key}{self.context}" if key else str(self.path)
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

    def value(self, table: Mapping[str, Any], key: str, where: str) -> Any:  # noqa: ANN401 - as the TOML gives
        """`table[key]` checked against the type of its default in DEFAULTS[where] (an integer where a number
        is expected is fine), or the default."""
        default = DEFAULTS[where.split("[")[0]][key]
        if key not in table:
            return default
        value: Any = table[key]
        kinds: tuple[type, ...] = (int, float) if isinstance(default, float) else (type(default),)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            self.fail(f"{where}.{key}", f"must be {names}, got {_TYPE_NAMES.get(type(value), type(value).__name__)}"
                      f" {value!r}")
        if isinstance(default, float) and isinstance(value, (int, float)):
            return float(value)
        return value

    def simple_table(self, raw: Mapping[str, Any], name: str, positive: set[str]) -> dict[str, Any]:
        """A table of plain numbers and strings: known keys, types, no negative number (nor zero where
        `positive`)."""
        table = self.table(raw, name)
        self.known_keys(table, name, set(DEFAULTS[name]))
        values = {key: self.value(table, key, name) for key in DEFAULTS[name]}
        for key, value in values.items():
            if isinstance(value, (int, float)) and (value < 0 or (key in positive and value == 0)):
                self.fail(f"{name}.{key}", f"must be {'> 0' if key in positive else '>= 0'}, got {value!r}")
        return values

    def string_list(self, table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            self.fail(f"{where}.{key}", "must be a list of strings")
        return tuple(value)

    def emails(self, table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        addresses = self.string_list(table, key, where)
        for i, address in enumerate(addresses):
            if not _EMAIL.match(address):
                self.fail(f"{where}.{key}[{i}]", f"{address!r} is not an email address")
        return addresses

    def unique_names(self, names: Sequence[str], array: str, noun: str) -> None:
        """The `name` of each table of an array of tables is its key for commands: one of each."""
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name in seen:
                self.fail(f"{array}[{i}].name", f"duplicate {noun} name {name!r}")
            seen.add(name)

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

    def path_value(self, table: Mapping[str, Any], key: str, where: str) -> Path | None:
        """A file name relative to the config file; None when empty."""
        text = self.value(table, key, where)
        if not text:
            return None
        return Path(text) if Path(text).is_absolute() else (self.path.parent / text).resolve()


def _storage(v: _Validator, table: Mapping[str, Any]) -> StorageSettings:
    v.known_keys(table, "storage", set(DEFAULTS["storage"]))
    url = v.value(table, "url", "storage")
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
    return StorageSettings(url=url)


def _sources(v: _Validator, raw: Any) -> tuple[SourceSettings, ...]:
    if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
        v.fail("sources", "must be an array of tables ([[sources]])")
    sources = tuple(_source(v, s, f"sources[{i}]") for i, s in enumerate(raw))
    v.unique_names([s.name for s in sources], "sources", "source")
    return sources


def _source(v: _Validator, table: Mapping[str, Any], where: str) -> SourceSettings:
    v.known_keys(table, where, set(DEFAULTS["sources"]))
    name = v.value(table, "name", where)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        v.fail(f"{where}.name", f"must be a short name of letters, digits, '_', '-' or '.', got {name!r}")
    urls = _source_urls(v, table, where)
    if not any(urls.values()):
        v.fail(where, f"source {name!r} has no feeds, listings, archives or sitemaps")
    max_pages = v.value(table, "max_pages", where)
    if max_pages < 1:
        v.fail(f"{where}.max_pages", f"must be >= 1, got {max_pages}")
    hosts = v.string_list(table, "allowed_hosts", where) or tuple(
        urlsplit(u).hostname or "" for key in urls for u in urls[key])
    title = v.value(table, "title", where).strip() or name
    if "\n" in title:
        v.fail(f"{where}.title", f"must be one line of text, got {title!r}")
    return SourceSettings(
        name=name, title=title, feeds=urls["feeds"], listings=urls["listings"], archives=urls["archives"],
        sitemaps=urls["sitemaps"], article_url_pattern=_article_pattern(v, table, where, urls),
        allowed_hosts=frozenset(h.lower() for h in hosts),
        timezone=v.timezone(v.value(table, "timezone", where), f"{where}.timezone"),
        paywall_markers=v.string_list(table, "paywall_markers", where), max_pages=max_pages)


def _source_urls(v: _Validator, table: Mapping[str, Any], where: str) -> dict[str, tuple[str, ...]]:
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
    return urls


def _article_pattern(v: _Validator, table: Mapping[str, Any], where: str,
                     urls: Mapping[str, tuple[str, ...]]) -> re.Pattern[str] | None:
    if "article_url_pattern" not in table:
        if urls["listings"] or urls["archives"]:
            v.fail(f"{where}.article_url_pattern", "is required when a source has listings or archives")
        return None
    try:
        return re.compile(v.value(table, "article_url_pattern", where))
    except re.error as e:
        v.fail(f"{where}.article_url_pattern", f"not a valid regular expression: {e}")


def _digest(v: _Validator, table: Mapping[str, Any], topics: Mapping[str, Any]) -> DigestSettings:
    v.known_keys(table, "digest", set(DEFAULTS["digest"]))
    digest_topics = v.string_list(table, "topics", "digest")
    for i, t in enumerate(digest_topics):
        if t not in topics:
            v.fail(f"digest.topics[{i}]", f"unknown topic {t!r} (defined: {', '.join(topics) or 'none'})")
    sender = v.value(table, "sender", "digest")
    if not _EMAIL.match(sender):
        v.fail("digest.sender", f"{sender!r} is not an email address")
    send_at = _send_at(v, v.value(table, "send_at", "digest"), "weekly", "digest.send_at")
    title = _title(v, v.value(table, "title", "digest"), "digest.title")
    max_stories = v.value(table, "max_stories", "digest")
    if max_stories < 0:
        v.fail("digest.max_stories", f"must be >= 0 (0: all), got {max_stories}")
    return DigestSettings(timezone=v.timezone(v.value(table, "timezone", "digest"), "digest.timezone"),
                          topics=digest_topics, recipients=v.emails(table, "recipients", "digest"), sender=sender,
                          send_at=send_at, title=title, max_stories=max_stories)


def _send_at(v: _Validator, send_at: str, cadence: str, key: str) -> str:
    """'mon 08:00' (weekly) or '08:00' (daily), checked."""
    text = send_at.strip().lower()
    if cadence == "weekly":
        m = re.fullmatch(r"(\w{3})\s+(\d{1,2}):(\d{2})", text)
        if not m or m.group(1) not in DAYS or int(m.group(2)) > 23 or int(m.group(3)) > 59:
            v.fail(key, f"{send_at!r} must look like 'mon 08:00' (day: {'/'.join(DAYS)})")
    else:
        m = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
        if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
            v.fail(key, f"{send_at!r} must look like '08:00' (a daily subscription is sent every day)")
    return send_at


def _title(v: _Validator, title: str, key: str) -> str:
    title = title.strip()
    if not title or "\n" in title or "\r" in title:
        v.fail(key, f"must be one line of text, got {title!r}")
    return title


def _subscriptions(v: _Validator, raw: Any, topics: Mapping[str, Any], digest: DigestSettings,
                   environ: Mapping[str, str]) -> tuple[SubscriptionSettings, ...]:
    if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
        v.fail("subscriptions", "must be an array of tables ([[subscriptions]])")
    subs = tuple(_subscription(v, table, f"subscriptions[{i}]", topics, digest, environ)
                 for i, table in enumerate(raw))
    v.unique_names([sub.name for sub in subs], "subscriptions", "subscription")
    return subs


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _subscription(v: _Validator, table: Mapping[str, Any], where: str, topics: Mapping[str, Any],
                  digest: DigestSettings, environ: Mapping[str, str]) -> SubscriptionSettings:
    v.known_keys(table, where, set(DEFAULTS["subscriptions"]))
    name = v.value(table, "name", where)
    if not name:
        v.fail(f"{where}.name", "is required: the name `newsmon digest --subscription NAME` takes")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        v.fail(f"{where}.name", f"must be a short name of letters, digits, '_', '-' or '.', got {name!r}")
    sv = _Validator(v.path, f' (subscription "{name}")')
    if name == LEGACY_NAME:
        sv.fail(f"{where}.name", f"{LEGACY_NAME!r} is the [digest] table's; choose another name")
    cadence = sv.value(table, "cadence", where)
    if cadence not in CADENCES:
        sv.fail(f"{where}.cadence", f"must be {', '.join(map(repr, CADENCES[:-1]))} or {CADENCES[-1]!r}, "
                f"got {cadence!r}")
    chosen = sv.string_list(table, "topics", where)
    for i, t in enumerate(chosen):
        if t not in topics:
            sv.fail(f"{where}.topics[{i}]", f"unknown topic {t!r} (defined: {', '.join(topics) or 'none'})")
    for key in _INSTANT_ONLY if cadence != "instant" else _SCHEDULED_ONLY:
        if key in table:
            sv.fail(f"{where}.{key}", f"applies to {'instant' if key in _INSTANT_ONLY else 'weekly and daily'} "
                    f"subscriptions only; this one is {cadence}")
    recipients = sv.emails(table, "recipients", where)
    notify = tuple(_chat_target(sv, u, f"{where}.notify[{i}]", environ)
                   for i, u in enumerate(sv.string_list(table, "notify", where)))
    if not recipients and not notify:
        sv.fail(where, "has neither recipients (email) nor notify (chat, web hooks): nobody would get it")
    send_at = sv.value(table, "send_at", where) or SEND_AT.get(cadence, "")
    if cadence != "instant":
        _send_at(sv, send_at, cadence, f"{where}.send_at")
    zone = sv.value(table, "timezone", where)
    max_stories, min_score = sv.value(table, "max_stories", where), sv.value(table, "min_score", where)
    max_age = sv.value(table, "max_age_days", where)
    for key, value in (("max_stories", max_stories), ("min_score", min_score)):
        if value < 0:
            sv.fail(f"{where}.{key}", f"must be >= 0, got {value!r}")
    if max_age <= 0:
        sv.fail(f"{where}.max_age_days", f"must be > 0, got {max_age!r}")
    return SubscriptionSettings(
        name=name, topics=chosen or tuple(topics), cadence=cadence, recipients=recipients, notify=notify,
        send_at=send_at, timezone=sv.timezone(zone, f"{where}.timezone") if zone else digest.timezone,
        title=_title(sv, sv.value(table, "title", where) or digest.title, f"{where}.title"),
        sender=digest.sender, max_stories=max_stories, min_score=min_score, max_age_days=max_age)


def _chat_target(v: _Validator, template: str, key: str, environ: Mapping[str, str]) -> ChatTarget:
    """An Apprise URL with its `${VAR}` filled in. Whether Apprise understands it is checked by
    `check_notify`, which imports Apprise; here only its shape and the variables."""
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://\S", template):
        v.fail(key, f"{_shown(template)!r} is not an Apprise URL such as 'slack://...' or 'json://host/path'")

    def fill(m: re.Match[str]) -> str:
        value = environ.get(m.group(1))
        if not value:
            v.fail(key, f"${{{m.group(1)}}} is not set in the environment (notify URLs take secrets from it)")
        return value

    return ChatTarget(template=template, url=_ENV_REF.sub(fill, template))


def _shown(template: str) -> str:
    return ChatTarget(template=template, url="").shown if "://" in template else template[:40]


def check_notify(cfg: Config) -> None:
    """Every notify URL is one Apprise can send to; ConfigError naming the subscription and key otherwise.
    Called by the commands that deliver (Apprise is imported only there)."""
    from newsmon.digests.chat import problem

    for i, sub in enumerate(cfg.subscriptions):
        for j, target in enumerate(sub.notify):
            why = problem(target)
            if why:
                raise ConfigError(f'{cfg.path}: subscriptions[{i}].notify[{j}] (subscription "{sub.name}"): '
                                  f"{target.shown!r} {why}")


def _smtp(v: _Validator, table: Mapping[str, Any]) -> SmtpSettings:
    v.known_keys(table, "smtp", set(DEFAULTS["smtp"]))
    port = v.value(table, "port", "smtp")
    if not 0 < port < 65536:
        v.fail("smtp.port", f"must be 1-65535, got {port}")
    security = v.value(table, "security", "smtp")
    if security not in ("ssl", "starttls", "none"):
        v.fail("smtp.security", f"must be 'ssl', 'starttls' or 'none', got {security!r}")
    timeout = v.value(table, "timeout_seconds", "smtp")
    if timeout <= 0:
        v.fail("smtp.timeout_seconds", "must be > 0")
    ca_file = v.path_value(table, "ca_file", "smtp")
    if ca_file is not None and not ca_file.is_file():
        v.fail("smtp.ca_file", f"{ca_file}: no such file")
    return SmtpSettings(host=v.value(table, "host", "smtp"), port=port, security=security,
                        username=v.value(table, "username", "smtp"),
                        password_env=v.value(table, "password_env", "smtp"), timeout_seconds=timeout,
                        ca_file=ca_file)


def _schedule(v: _Validator, table: Mapping[str, Any]) -> ScheduleSettings:
    v.known_keys(table, "schedule", set(DEFAULTS["schedule"]))
    return ScheduleSettings(fetch_every_seconds=_duration(v, table, "fetch_every"),
                            source_deadline_seconds=_auto_duration(v, table, "source_deadline"),
                            run_deadline_seconds=_auto_duration(v, table, "run_deadline"),
                            digest_deadline_seconds=_duration(v, table, "digest_deadline"))


def _auto_duration(v: _Validator, table: Mapping[str, Any], key: str) -> float | None:
    """A [schedule] duration in seconds, or None for "auto" (a value computed from other settings)."""
    if v.value(table, key, "schedule").strip() == "auto":
        return None
    return _duration(v, table, key, auto=True)


def _duration(v: _Validator, table: Mapping[str, Any], key: str, auto: bool = False) -> float:
    """A [schedule] duration in seconds; `auto` only says that "auto" would have been fine too."""
    text = v.value(table, key, "schedule")
    try:
        seconds = parse_duration(text)
    except ValueError:
        v.fail(f"schedule.{key}", f"{text!r} must look like '45s', '30m', '2h' or '1d'"
               + (" or 'auto'" if auto else ""))
    if seconds <= 0:
        v.fail(f"schedule.{key}", "must be longer than 0")
    return seconds


def _logging(v: _Validator, table: Mapping[str, Any]) -> LoggingSettings:
    v.known_keys(table, "logging", set(DEFAULTS["logging"]))
    level = v.value(table, "level", "logging").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        v.fail("logging.level", f"must be DEBUG, INFO, WARNING or ERROR, got {level!r}")
    return LoggingSettings(file=v.path_value(table, "file", "logging"), level=level)


def _alerts(v: _Validator, table: Mapping[str, Any]) -> AlertsSettings:
    v.known_keys(table, "alerts", set(DEFAULTS["alerts"]))
    failures = v.value(table, "failures", "alerts")
    if failures < 1:
        v.fail("alerts.failures", f"must be >= 1, got {failures}")
    silent_days = v.value(table, "silent_days", "alerts")
    if silent_days <= 0:
        v.fail("alerts.silent_days", f"must be > 0, got {silent_days:g}")
    return AlertsSettings(recipients=v.emails(table, "recipients", "alerts"), failures=failures,
                          silent_days=silent_days)


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _serve(v: _Validator, table: Mapping[str, Any]) -> ServeSettings:
    v.known_keys(table, "serve", set(DEFAULTS["serve"]))
    host = v.value(table, "host", "serve").strip()
    if not host:
        v.fail("serve.host", "must not be empty (127.0.0.1: this machine only)")
    port = v.value(table, "port", "serve")
    if not 0 < port < 65536:
        v.fail("serve.port", f"must be a port number (1-65535), got {port}")
    public_url = v.value(table, "public_url", "serve").strip()
    if public_url:
        public_url = v.url(public_url, "serve.public_url").rstrip("/") + "/"
    users: dict[str, str] = {}
    raw_users = table.get("users", [])
    if not isinstance(raw_users, list):
        v.fail("serve.users", "must be a list of tables {name = ..., password_hash = ...}")
    for i, user in enumerate(raw_users):
        where = f"serve.users[{i}]"
        if not isinstance(user, dict):
            v.fail(where, "must be a table {name = ..., password_hash = ...}")
        v.known_keys(user, where, {"name", "password_hash"})
        name, hashed = user.get("name"), user.get("password_hash")
        if not isinstance(name, str) or not name.strip() or ":" in name:
            v.fail(f"{where}.name", "must be a user name (a non-empty string without ':')")
        if name in users:
            v.fail(f"{where}.name", f"user {name!r} is listed twice")
        if not isinstance(hashed, str) or not hashed.startswith("$argon2"):
            v.fail(f"{where}.password_hash", "must be an argon2 hash ($argon2id$...); "
                   "`newsmon serve --hash-password` makes one")
        users[name] = hashed
    token_env = v.value(table, "token_env", "serve").strip()
    if token_env and not _ENV_NAME.fullmatch(token_env):
        v.fail("serve.token_env", f"must be the name of an environment variable, got {token_env!r}")
    return ServeSettings(host=host, port=port, public_url=public_url, users=users, token_env=token_env)


def compile_rules(cfg: Config) -> Classifier:
    """The [topics] tables compiled once; a bad rule is a config error naming the file, topic and term."""
    return TopicRules(cfg).classifier


class TopicRules:
    """The [topics] tables, checked now — a bad rule is a config error naming the file, topic and term, at the
    start of any command — and compiled into a Classifier only when something is first classified: a command
    or a run that stores no new article does not pay for it (~30 ms for the shipped topics)."""

    def __init__(self, cfg: Config) -> None:
        from newsmon.classifiers.rules import parse_topics

        try:
            self._specs, self._terms = parse_topics(cfg.topics)
        except RuleError as e:
            raise ConfigError(f"{cfg.path}: {e}") from None
        self._classifier: Classifier | None = None

    @property
    def classifier(self) -> Classifier:
        if self._classifier is None:
            from newsmon.classifiers import Classifier

            self._classifier = Classifier(self._specs, self._terms)
        return self._classifier

    def classify(self, title: str, text: str) -> dict[str, TopicMatch]:
        return self.classifier.classify(title, text)
