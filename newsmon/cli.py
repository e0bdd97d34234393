"""The `newsmon` command: Click only. Each command parses its options, calls one function of
newsmon.commands, prints what it returns, and exits with its code; `main` turns the domain errors into
one line on stderr and an exit code (0 ok, 1 partial failure, 2 usage or config, 130 interrupted).

Heavy modules are imported inside the commands, so `newsmon --help` starts fast.
"""

from __future__ import annotations

import gc
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from newsmon import logs
from newsmon.config import Config, TopicRules, load_config
from newsmon.errors import ConfigError, NewsmonError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from newsmon.classifiers import Classifier
    from newsmon.digests.period import Period
    from newsmon.digests.settings import SubscriptionSettings
    from newsmon.pipeline.settings import SourceSettings
    from newsmon.storage.engine import Store

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _State:
    """The options every command shares (given before or after the command name), and the config they
    lead to, read and checked once — topic rules included, whatever the command."""

    def __init__(self, config_path: Path, named_by: str, verbose: int, quiet: bool):
        self.config_path = config_path
        self.named_by = named_by
        self.verbose = verbose
        self.quiet = quiet
        self._config: Config | None = None
        self._rules: TopicRules | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            cfg = load_config(self.config_path, named_by=self.named_by)
            logs.configure(self.verbose, self.quiet, cfg)
            self._rules = TopicRules(cfg)
            self._config = cfg
        return self._config

    @property
    def sending_config(self) -> Config:
        """The config of a command that delivers: its notify URLs checked by Apprise too."""
        from newsmon.config import check_notify

        cfg = self.config
        check_notify(cfg)
        return cfg

    @property
    def rules(self) -> TopicRules:
        """The topic rules, checked with the config, compiled when first used."""
        self.config  # noqa: B018 - reading the config checks the rules
        assert self._rules is not None
        return self._rules

    @property
    def classifier(self) -> Classifier:
        return self.rules.classifier


_NAMED_BY = {click.core.ParameterSource.COMMANDLINE: "--config",
             click.core.ParameterSource.ENVIRONMENT: "$NEWSMON_CONFIG",
             click.core.ParameterSource.DEFAULT: "the default, as neither --config nor $NEWSMON_CONFIG is given"}


def _set_config(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None and ctx.get_parameter_source(param.name or "") == click.core.ParameterSource.COMMANDLINE:
        state = _state()
        state.config_path, state.named_by = value, "--config"


def _more_verbose(ctx: click.Context, param: click.Parameter, value: int) -> None:
    if value:
        state = _state()
        state.verbose += value
        logs.configure(state.verbose, state.quiet, None)


def _set_quiet(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        _state().quiet = True
        logs.configure(_state().verbose, True, None)


def shared_options(command: Callable[..., None]) -> Callable[..., None]:
    """--config, -v and -q after the command name too (`newsmon run -q` is `newsmon -q run`)."""
    for option in reversed((
            click.option("--config", type=click.Path(path_type=Path), expose_value=False, callback=_set_config,
                         help="The config file (the same as before the command)."),
            click.option("-v", "--verbose", count=True, expose_value=False, callback=_more_verbose,
                         help="More detail: -v logs each request, -vv debug."),
            click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=_set_quiet,
                         help="Print only errors (for cron)."))):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(path_type=Path), envvar="NEWSMON_CONFIG",
              default=Path("config.toml"), show_default="$NEWSMON_CONFIG or ./config.toml",
              help="The config file.")
@click.option("-v", "--verbose", count=True, help="More detail: -v logs each request, -vv debug.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors (for cron).")
@click.version_option(package_name="newsmon")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, verbose: int, quiet: bool) -> None:
    """Monitor Azerbaijani news sites for SCO–Azerbaijan coverage and email a weekly digest.

    New here? `newsmon demo` shows it all offline; `newsmon init` writes a config.toml to start from.
    """
    logs.configure(verbose, quiet, None)
    source = ctx.get_parameter_source("config_path")
    ctx.obj = _State(config_path, _NAMED_BY.get(source, "--config") if source else "--config", verbose, quiet)


def _state() -> _State:
    state = click.get_current_context().find_object(_State)
    assert state is not None
    return state


def _echo(text: str = "") -> None:
    if not _state().quiet:
        click.echo(text)


def _echo_outcome(lines: list[str], failed: bool) -> None:
    """The summary lines: on stdout, or on stderr when something failed and -q asked for errors only."""
    for line in lines:
        if failed and _state().quiet:
            click.echo(line, err=True)
        else:
            _echo(line)


@contextmanager
def _importing() -> Iterator[None]:
    """A command's own imports with the cyclic garbage collector paused. They make some 100,000 objects that
    live as long as the process, and each full collection they set off walks all made so far; afterwards they
    are put out of the collector's sight for good (gc.freeze), so that no later collection walks them either.
    Both together: ~130 ms of CPU of an unchanged `run` (of ~620), ~90 ms of `status`."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _sources(cfg: Config, names: tuple[str, ...]) -> tuple[SourceSettings, ...]:
    try:
        return cfg.select_sources(names)
    except ConfigError as e:
        raise click.UsageError(str(e)) from None


def _day(value: str | None, param: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2025-09-01", param_hint=param) from None


def _open_store(cfg: Config, *, read_only: bool = False) -> Store:
    from newsmon.storage.engine import open_store  # SQLAlchemy: only for the commands that use the database

    return open_store(cfg.storage.url, read_only=read_only)


@cli.command(epilog="""\b
Examples:
  newsmon run                     all sources, a line each
  newsmon run --source trend      one source
  newsmon run -q                  for cron: prints only what failed
""")
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only this source (repeatable).")
@shared_options
def run(sources: tuple[str, ...]) -> None:
    """One pass over all (or the named) sources: discover, fetch, extract, classify, store; then the
    [alerts] emails due and the instant subscriptions' alerts (a failed one waits for the next run)."""
    with _importing():
        from newsmon.commands import run as command
        from newsmon.commands.instant import send_instant
        from newsmon.signals import interrupt_on_sigterm, run_cancellable

    cfg = _state().sending_config
    selected = _sources(cfg, sources)
    rules = _state().rules
    interrupt_on_sigterm()
    with _open_store(cfg) as store:
        report = command.run_then_alert(
            cfg, store, ingest=lambda: run_cancellable(command.ingest(cfg, store, selected, classifier=rules)))
        assert report is not None
        outcomes = send_instant(cfg, store, now=datetime.now(UTC))
    for line, bad in [*((r.line(), r.worth_telling) for r in report.sources),
                      *((o.line(), o.worth_telling) for o in outcomes if o.queued or o.delivered or o.failed)]:
        if bad:
            click.echo(line, err=_state().quiet)
        else:
            _echo(line)
    sys.exit(report.exit_code)


@cli.command()
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only this source (repeatable).")
@shared_options
def check(sources: tuple[str, ...]) -> None:
    """Probe every configured discovery URL: HTTP status, items found, newest item. Stores nothing."""
    import asyncio

    from newsmon.commands.check import probe_lines, probe_sources
    from newsmon.console import print_lines, width

    cfg = _state().config
    selected = _sources(cfg, sources)
    probes = asyncio.run(probe_sources(cfg, selected, datetime.now(UTC)))
    print_lines(probe_lines(probes, width(), selected))
    sys.exit(EXIT_OK if all(p.ok for p in probes) else EXIT_PARTIAL)


@cli.command(epilog="""\b
Examples:
  newsmon export --topic sco_azerbaijan --since 2025-09-01 --until 2025-09-30 > september.jsonl
  newsmon export --format csv --out all.csv
  newsmon export --since 2025-09-01 | jq -r .title
""")
@click.option("--topic", metavar="NAME", help="Only articles tagged with this topic.")
@click.option("--since", metavar="DATE", help="First published day (YYYY-MM-DD, digest time zone).")
@click.option("--until", metavar="DATE", help="Last published day, inclusive.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True,
              help="JSON Lines, or CSV with lists joined by ';'.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@shared_options
def export(topic: str | None, since: str | None, until: str | None, fmt: str, out: Path | None) -> None:
    """Write stored articles, one record each (JSON Lines or CSV)."""
    from newsmon.commands.export import export as command

    cfg = _state().config
    if topic and topic not in cfg.topics:
        raise click.BadParameter(f"unknown topic {topic!r} (defined: {', '.join(cfg.topics) or 'none'})",
                                 param_hint="--topic")
    first, last = _day(since, "--since"), _day(until, "--until")
    if first is not None and last is not None and last < first:
        raise click.BadParameter(f"{until} is before --since {since}", param_hint="--until")
    with _open_store(cfg, read_only=True) as store:
        count = command(cfg, store, topic=topic, since=first, until=last, fmt=fmt, out=out, stdout=sys.stdout)
    if out is not None:
        _echo(f"wrote {count} articles to {out}")
    elif count == 0:
        click.echo("0 articles", err=True)   # stdout stays a clean (empty) export


@cli.command(epilog="""\b
Query syntax: words (all must occur), "exact phrases", prefix*, OR between two terms, -excluded.
Examples:
  newsmon search '"Shanghai Cooperation" Baku'
  newsmon search 'SCO OR BRICS -football' --since 2026-01-01 --format csv > results.csv
""")
@click.argument("query")
@click.option("--topic", metavar="NAME", help="Only articles tagged with this topic.")
@click.option("--source", metavar="NAME", help="Only articles of this source.")
@click.option("--since", metavar="DATE", help="First published day (YYYY-MM-DD, digest time zone).")
@click.option("--until", metavar="DATE", help="Last published day, inclusive.")
@click.option("--lang", metavar="CODE", help="Only articles in this language (e.g. en).")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl", "csv"]), default="table", show_default=True,
              help="A table to read, or export records (JSON Lines, CSV).")
@click.option("--limit", type=click.IntRange(min=1), metavar="N",
              help="At most N results, best first [default: 20 for the table, all for jsonl and csv].")
@shared_options
def search(query: str, topic: str | None, source: str | None, since: str | None, until: str | None,
           lang: str | None, fmt: str, limit: int | None) -> None:
    """Full-text search of the stored articles' titles and texts, ranked (the workbench's search)."""
    from newsmon.commands.search import search as command

    cfg = _state().config
    if topic and topic not in cfg.topics:
        raise click.BadParameter(f"unknown topic {topic!r} (defined: {', '.join(cfg.topics) or 'none'})",
                                 param_hint="--topic")
    if source and source not in [s.name for s in cfg.sources]:
        raise click.BadParameter(f"unknown source {source!r} (configured: {', '.join(s.name for s in cfg.sources)})",
                                 param_hint="--source")
    first, last = _day(since, "--since"), _day(until, "--until")
    if first is not None and last is not None and last < first:
        raise click.BadParameter(f"{until} is before --since {since}", param_hint="--until")
    from newsmon.storage.search import parse_query

    parse_query(query)   # a malformed query is exit 2 before the database is opened
    with _open_store(cfg, read_only=True) as store:
        shown, total = command(cfg, store, query, topic=topic, source=source, since=first, until=last, lang=lang,
                               fmt=fmt, limit=limit, stdout=sys.stdout)
    if fmt == "table":
        click.echo(f"{shown} of {total} matching articles" if total else "no matching articles", err=True)


@cli.command(epilog="""\b
Examples:
  newsmon serve                         http://127.0.0.1:8080/, this machine only
  newsmon serve --port 9000
  newsmon serve --hash-password         a password hash for [serve] users
""")
@click.option("--host", metavar="ADDRESS", help="Listen here [default: [serve] host, 127.0.0.1].")
@click.option("--port", type=click.IntRange(0, 65535),
              help="Listen on this port; 0: any free one [default: [serve] port, 8080].")
@click.option("--hash-password", is_flag=True, help="Ask for a password and print its argon2 hash for [serve] users.")
@shared_options
def serve(host: str | None, port: int | None, hash_password: bool) -> None:
    """The workbench: search the archive, see why an article matched, judge it, browse every week."""
    if hash_password:
        from newsmon.web.security import hash_password as make_hash

        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
        if len(password) < 8:
            raise click.BadParameter("use at least 8 characters", param_hint="password")
        click.echo(make_hash(password))
        return
    from newsmon.commands.serve import serve as command

    cfg = _state().config
    classifier = _state().classifier
    with _open_store(cfg) as store:
        command(cfg, store, classifier, host=host or cfg.serve.host,
                port=cfg.serve.port if port is None else port, announce=_echo)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print it as one JSON document (for scripts and monitoring).")
@shared_options
def status(as_json: bool) -> None:
    """Sources and their health, recent runs, stored articles, tagged articles per week, the last digest."""
    with _importing():
        from newsmon.commands.status import status_json, status_lines
        from newsmon.console import print_lines, width

    cfg = _state().config
    now = datetime.now(UTC)
    with _open_store(cfg, read_only=True) as store, store.read() as session:
        if as_json:
            click.echo(json.dumps(status_json(session, cfg, now), indent=2, ensure_ascii=False))
        else:
            print_lines((line.text, line.bad) for line in status_lines(session, cfg, now, width=width()))


@cli.command()
@click.option("--since", metavar="DATE", help="Only articles published on or after this day (YYYY-MM-DD).")
@click.option("--dry-run", is_flag=True, help="Report what would change; store nothing.")
@shared_options
def reclassify(since: str | None, dry_run: bool) -> None:
    """Re-run the topic rules over stored articles and report which gained or lost each topic; a recent
    article newly tagged goes to the instant subscriptions (once, like any other)."""
    from newsmon.commands.instant import send_instant
    from newsmon.commands.reclassify import reclassify as command
    from newsmon.console import progress_bar
    from newsmon.pipeline.walk import day_bounds

    cfg = _state().config if dry_run else _state().sending_config
    classifier = _state().classifier
    start, _ = day_bounds(_day(since, "--since"), None, cfg.digest.timezone)
    with _open_store(cfg) as store:
        with progress_bar("reclassifying", quiet=_state().quiet) as progress:
            report = command(store, classifier, since=start, dry_run=dry_run, progress=progress)
        outcomes = [] if dry_run else send_instant(cfg, store, now=datetime.now(UTC))
    for line in report.lines(cfg.digest.timezone, dry_run=dry_run):
        _echo(line)
    for outcome in outcomes:
        if outcome.worth_telling:
            click.echo(outcome.line(), err=_state().quiet)
        elif outcome.queued or outcome.delivered:
            _echo(outcome.line())


@cli.command(epilog="""\b
Examples:
  newsmon backfill --since 2025-01-01                    up to today, every source
  newsmon backfill --since 2025-06-01 --until 2025-06-30 --source newsaz
  newsmon backfill --since 2025-01-01 --max-requests 500   a bit at a time; run it again to go on
  newsmon backfill --urls missed.txt                      these article URLs, no discovery
""")
@click.option("--since", metavar="DATE", help="First published day (YYYY-MM-DD, digest time zone); required "
              "unless --urls.")
@click.option("--until", metavar="DATE", help="Last published day, inclusive (default: today).")
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only this source (repeatable).")
@click.option("--urls", "urls_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Ingest the article URLs listed in FILE (one a line) instead of discovering them.")
@click.option("--max-requests", type=click.IntRange(min=1), metavar="N",
              help="Send at most N requests, then stop; the same command continues later.")
@click.option("--ignore-robots", is_flag=True, help="Neither fetch nor obey robots.txt.")
@shared_options
def backfill(since: str | None, until: str | None, sources: tuple[str, ...], urls_file: Path | None,
             max_requests: int | None, ignore_robots: bool) -> None:
    """Bring in past articles of a date range from sitemaps, dated archives and listing pages.

    Resumable: after Ctrl-C, a crash or --max-requests, the same command continues where it stopped;
    finished pages and stored articles are not requested again. Run again after it finished, it walks the
    discovery pages again (stored articles are still not requested).
    """
    from newsmon.commands.backfill import BackfillReport, run_backfill
    from newsmon.console import backfill_progress
    from newsmon.signals import interrupt_on_sigterm, run_cancellable
    from newsmon.storage.lock import run_lock

    cfg = _state().config
    selected = _sources(cfg, sources)
    first, last = _day(since, "--since"), _day(until, "--until")
    if first is None and urls_file is None:
        raise click.UsageError("--since is required (or --urls FILE)")
    if last is not None and first is None:
        raise click.UsageError("--until needs --since")
    if first is not None and last is not None and last < first:
        raise click.BadParameter(f"{until} is before --since {since}", param_hint="--until")
    rules = _state().rules
    interrupt_on_sigterm()
    report = BackfillReport()
    try:
        with (_open_store(cfg) as store, run_lock(store, "backfill"),
              backfill_progress(quiet=_state().quiet, echo=lambda line: click.echo(line, err=True)) as progress):
            run_cancellable(run_backfill(
                cfg, store, selected, since=first, until=last, urls_file=urls_file, classifier=rules,
                max_requests=max_requests, ignore_robots=ignore_robots, progress=progress, report=report))
    except KeyboardInterrupt:
        for line in report.lines():
            click.echo(line, err=True)
        click.echo("backfill interrupted: progress is saved; run the same command again to continue", err=True)
        raise
    _echo_outcome(report.lines(), failed=bool(report.exit_code))
    sys.exit(report.exit_code)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."))
@shared_options
def init(directory: Path) -> None:
    """Write a commented config.toml into DIRECTORY (default: here) to start from, and say what to run next.
    An existing config.toml is never overwritten."""
    from newsmon.commands.init import next_steps, write_starter_config

    for line in next_steps(write_starter_config(directory)):
        _echo(line)


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("newsmon-demo"),
              show_default=True, help="Where the demo's config, database and digest go (made afresh).")
@click.option("--open", "open_browser", is_flag=True, help="Open the digest in the web browser.")
@shared_options
def demo(out_dir: Path, open_browser: bool) -> None:
    """See newsmon work in a minute, offline: local copies of the three sites and a local mail server,
    then the real run and digest."""
    from newsmon.commands.demo import run_demo

    sys.exit(run_demo(out_dir, now=datetime.now(UTC), echo=_echo, open_browser=open_browser))


@cli.command()
@shared_options
def daemon() -> None:
    """Run forever: `run` every [schedule] fetch_every and the digest at [digest] send_at (a digest missed
    while the machine was off or SMTP was down is sent on start and after each run). SIGTERM/SIGINT stop
    it cleanly; SIGHUP reloads the config (an invalid one is logged and the old one kept). Logs to stderr
    (its own lines and warnings; -v everything, -q errors only) and to the [logging] file."""
    from newsmon.commands.daemon import Daemon

    st = _state()
    cfg = st.sending_config

    def configure(c: Config) -> None:
        logs.configure_daemon(st.verbose, st.quiet, c)

    configure(cfg)
    sys.exit(Daemon(st.config_path, cfg, on_config=configure).serve())


@cli.command(epilog="""\b
Examples:
  newsmon digest                        the last complete week, unless it was sent already
  newsmon digest --week 2025-W36        any week, e.g. after a backfill
  newsmon digest --dry-run --out out    send nothing; write out/digest-WEEK.html, .txt and .eml
  newsmon digest --force                send a week again
  newsmon digest --subscription desk    a [[subscriptions]] entry: its last week (weekly) or day
                                        (daily); for an instant one, the alerts due and waiting
  newsmon digest --subscription desk --day 2026-03-29
""")
@click.option("--subscription", "name", metavar="NAME",
              help="A [[subscriptions]] entry instead of the [digest] table.")
@click.option("--week", metavar="YYYY-Www", help="The ISO week, e.g. 2025-W36 (default: the last complete week).")
@click.option("--day", metavar="YYYY-MM-DD", help="The day of a daily subscription (default: yesterday).")
@click.option("--dry-run", is_flag=True, help="Build the digest but send nothing.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write digest-[NAME-]PERIOD.html, .txt and .eml into this directory.")
@click.option("--force", is_flag=True, help="Send even if this period's digest was sent already.")
@shared_options
def digest(name: str | None, week: str | None, day: str | None, dry_run: bool, out_dir: Path | None,
           force: bool) -> None:
    """Build the digest of one ISO week (or day, for a daily subscription) and send it, once per period
    unless --force. Without --subscription: the [digest] table's weekly email."""
    from contextlib import nullcontext

    from newsmon.commands.digest import run_digest
    from newsmon.storage.lock import run_lock

    cfg = _state().config if dry_run else _state().sending_config
    sub = cfg.subscription(name) if name else cfg.legacy_subscription
    if sub.cadence == "instant":
        _instant_digest(cfg, sub, week or day, dry_run, out_dir, force)
        return
    chosen = _period(sub.cadence, sub.timezone, week, day)
    with _open_store(cfg) as store, nullcontext() if dry_run else run_lock(store, "digest"):
        outcome = run_digest(cfg, store, subscription=sub if name else None, week=chosen, dry_run=dry_run,
                             out_dir=out_dir, force=force, now=datetime.now(UTC))
    if outcome.exit_code:
        click.echo(outcome.line(), err=True)
    else:
        _echo(outcome.line())
    sys.exit(outcome.exit_code)


def _period(cadence: str, tz: ZoneInfo, week: str | None, day: str | None) -> Period | None:
    """--week for a weekly digest, --day for a daily one (a usage error the other way round)."""
    from newsmon.digests.period import parse_day
    from newsmon.digests.week import parse_week

    wrong, right = ("--day", "--week") if cadence == "weekly" else ("--week", "--day")
    if (day if cadence == "weekly" else week) is not None:
        raise click.UsageError(f"{wrong} is for a {'daily' if cadence == 'weekly' else 'weekly'} subscription; "
                               f"this one is {cadence} ({right})")
    try:
        if cadence == "weekly":
            return parse_week(week, tz) if week else None
        return parse_day(day, tz) if day else None
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint=right) from None


def _instant_digest(cfg: Config, sub: SubscriptionSettings, period: str | None, dry_run: bool,
                    out_dir: Path | None, force: bool) -> None:
    """`digest --subscription NAME` of an instant subscription: the alerts due now, and those waiting."""
    from newsmon.commands.instant import send_instant

    if period or dry_run or out_dir or force:
        raise click.UsageError(f"subscription {sub.name} is instant: it sends articles as they are stored, so "
                               "--week, --day, --dry-run, --out and --force do not apply")
    with _open_store(cfg) as store:
        outcomes = send_instant(cfg, store, now=datetime.now(UTC), only=[sub])
    if not outcomes:
        _echo(f"instant {sub.name}: another newsmon is sending the alerts; it sends these too")
        return
    outcome = outcomes[0]
    if outcome.failed:
        click.echo(outcome.line(), err=True)
        sys.exit(EXIT_PARTIAL)
    _echo(outcome.line())


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"newsmon: error: {message}", err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: expected errors become one line on stderr and an exit code."""
    try:
        cli.main(args=argv, prog_name="newsmon", standalone_mode=False)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.Abort:
        _fail("interrupted", EXIT_INTERRUPTED)
    except click.ClickException as e:
        e.show()
        sys.exit(EXIT_USAGE if isinstance(e, click.UsageError) else e.exit_code)
    except ConfigError as e:
        _fail(str(e), EXIT_USAGE)
    except NewsmonError as e:   # storage, lock, send, ...: the run could not be done, the config is fine
        _fail(str(e), EXIT_PARTIAL)
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(EXIT_PARTIAL)
    except Exception as e:  # a bug: said in one line; the log file (and -vv) has where
        logging.getLogger("newsmon").error("internal error", exc_info=e, extra={"in_summary": True})
        _fail(f"internal error: {e!r} — a bug in newsmon; -vv or the [logging] file shows where", EXIT_PARTIAL)
