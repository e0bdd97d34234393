"""The `newsmon` command: a thin layer that parses options, calls package functions, prints results
and turns expected errors into one line and an exit code (0 ok, 1 partial failure, 2 usage/config)."""

from __future__ import annotations

import asyncio
import json
import logging
import logging.handlers
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, NoReturn

import click

from newsmon.config import Config, load_config
from newsmon.errors import ConfigError, LockedError, NewsmonError

log = logging.getLogger("newsmon")

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2


class _State:
    def __init__(self, config_path: Path, verbose: int, quiet: bool):
        self.config_path = config_path
        self.verbose = verbose
        self.quiet = quiet
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
            _configure_logging(self.verbose, self.quiet, self._config)
        return self._config


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              default=lambda: os.environ.get("NEWSMON_CONFIG", "config.toml"),
              show_default="$NEWSMON_CONFIG or ./config.toml",
              help="The config file.")
@click.option("-v", "--verbose", count=True, help="More detail: -v logs each request, -vv debug.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors (for cron).")
@click.version_option(package_name="newsmon")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, verbose: int, quiet: bool) -> None:
    """Monitor Azerbaijani news sites for SCO–Azerbaijan coverage and email a weekly digest."""
    _configure_logging(verbose, quiet, None)
    ctx.obj = _State(config_path, verbose, quiet)


def _configure_logging(verbose: int, quiet: bool, cfg: Config | None) -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_newsmon", False):
            root.removeHandler(h)
            h.close()
    stderr_level = logging.ERROR if quiet else {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.setLevel(stderr_level)
    handler._newsmon = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    level = stderr_level
    if cfg is not None and cfg.logging.file is not None:
        cfg.logging.file.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.handlers.RotatingFileHandler(cfg.logging.file, maxBytes=5_000_000, backupCount=5,
                                                  encoding="utf-8")
        fh.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
        file_level = getattr(logging, cfg.logging.level)
        fh.setLevel(file_level)
        fh._newsmon = True  # type: ignore[attr-defined]
        root.addHandler(fh)
        level = min(level, file_level)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "trafilatura", "htmldate", "courlan", "charset_normalizer", "alembic"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _state() -> _State:
    return click.get_current_context().find_object(_State)  # type: ignore[return-value]


def _echo(text: str = "") -> None:
    if not _state().quiet:
        click.echo(text)


def _source_names(cfg: Config, names: tuple[str, ...]) -> Any:
    try:
        return cfg.select_sources(names)
    except ConfigError as e:
        raise click.UsageError(str(e)) from None


@contextmanager
def _store(cfg: Config) -> Iterator[Any]:
    from newsmon.storage.engine import open_store

    store = open_store(cfg.storage.url)
    try:
        yield store
    finally:
        store.close()


@cli.command()
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only this source (repeatable).")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors (for cron); the same as `newsmon -q run`.")
def run(sources: tuple[str, ...], quiet: bool) -> None:
    """One pass over all (or the named) sources: discover, fetch, extract, classify, store; then the
    [alerts] emails due."""
    from newsmon.alerts import check_alerts
    from newsmon.pipeline.classify import build_classifier
    from newsmon.pipeline.ingest import run_sources
    from newsmon.storage.lock import run_lock

    _quiet(quiet)
    cfg = _state().config
    selected = _source_names(cfg, sources)
    classifier = build_classifier(cfg.topics, cfg.path)
    _interrupt_on_sigterm()
    with _store(cfg) as store, run_lock(store):
        report = _run_async(run_sources(cfg, store, selected, classifier=classifier))
        check_alerts(cfg, store, datetime.now(UTC))
    for rep in report.sources:
        if rep.ok:
            _echo(rep.line())
        else:
            click.echo(rep.line(), err=_state().quiet)
    sys.exit(report.exit_code)


@cli.command()
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only this source (repeatable).")
def check(sources: tuple[str, ...]) -> None:
    """Probe every configured discovery URL: HTTP status, items found, newest item. Stores nothing."""
    from newsmon.commands.check import probe_sources

    cfg = _state().config
    selected = _source_names(cfg, sources)
    probes = asyncio.run(probe_sources(cfg, selected, datetime.now(UTC)))
    from rich.console import Console
    from rich.table import Table

    table = Table("source", "kind", "url", "status", "items", "newest item", "problem", box=None)
    for p in probes:
        table.add_row(p.source, p.kind, p.url, str(p.status or "-"), "-" if p.items is None else str(p.items),
                      p.newest.isoformat() if p.newest else "-", p.error or ("no items" if p.items == 0 else ""),
                      style=None if p.ok else "red")
    Console(width=200 if not sys.stdout.isatty() else None, highlight=False).print(table)
    sys.exit(EXIT_OK if all(p.ok for p in probes) else EXIT_PARTIAL)


def _day(value: str | None, param: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2025-09-01", param_hint=param) from None


def day_bounds(since: date | None, until: date | None, tz: Any) -> tuple[datetime | None, datetime | None]:
    """Calendar days in `tz`, both inclusive, as [start, end) instants."""
    start = datetime.combine(since, time(), tz) if since else None
    end = datetime.combine(until + timedelta(days=1), time(), tz) if until else None
    return start, end


@cli.command()
@click.option("--topic", metavar="NAME", help="Only articles tagged with this topic.")
@click.option("--since", metavar="DATE", help="First published day (YYYY-MM-DD, digest time zone).")
@click.option("--until", metavar="DATE", help="Last published day, inclusive.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True,
              help="JSON Lines, or CSV with lists joined by ';'.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
def export(topic: str | None, since: str | None, until: str | None, fmt: str, out: Path | None) -> None:
    """Write stored articles, one record each (JSON Lines or CSV)."""
    from newsmon.commands.export import write_records
    from newsmon.storage.queries import export_records

    cfg = _state().config
    if topic and topic not in cfg.topics:
        raise click.BadParameter(f"unknown topic {topic!r} (defined: {', '.join(cfg.topics) or 'none'})",
                                 param_hint="--topic")
    start, end = day_bounds(_day(since, "--since"), _day(until, "--until"), cfg.digest.timezone)
    with _store(cfg) as store, store.read() as session:
        records = export_records(session, topic=topic, since=start, until=end)
        count = write_records(records, fmt, out, sys.stdout)
    if out is not None:
        _echo(f"wrote {count} articles to {out}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print it as one JSON document (for scripts and monitoring).")
def status(as_json: bool) -> None:
    """Sources and their health, recent runs, stored articles, tagged articles per week, the last digest."""
    from rich.console import Console

    from newsmon.commands.status import render_status, status_json

    cfg = _state().config
    with _store(cfg) as store, store.read() as session:
        if as_json:
            click.echo(json.dumps(status_json(session, cfg, datetime.now(UTC)), indent=2, ensure_ascii=False))
            return
        Console(width=200 if not sys.stdout.isatty() else None, highlight=False).print(
            *render_status(session, cfg, datetime.now(UTC)))


@cli.command()
@click.option("--since", metavar="DATE", help="Only articles published on or after this day (YYYY-MM-DD).")
@click.option("--dry-run", is_flag=True, help="Report what would change; store nothing.")
def reclassify(since: str | None, dry_run: bool) -> None:
    """Re-run the topic rules over stored articles and report which gained or lost each topic."""
    from newsmon.commands.reclassify import reclassify as run_reclassify
    from newsmon.pipeline.classify import build_classifier

    cfg = _state().config
    classifier = build_classifier(cfg.topics, cfg.path)
    start, _ = day_bounds(_day(since, "--since"), None, cfg.digest.timezone)
    with _store(cfg) as store, _progress("reclassifying") as progress:
        report = run_reclassify(store, classifier, since=start, dry_run=dry_run, progress=progress)
    _echo(f"reclassified {report.articles:,} articles: {report.changed:,} changed"
          + (" (dry run: nothing stored)" if dry_run else ""))
    tz = cfg.digest.timezone
    for topic in sorted(report.gained.keys() | report.lost.keys()):
        gained, lost = report.gained.get(topic, []), report.lost.get(topic, [])
        _echo(f"{topic}: {len(gained)} gained, {len(lost)} lost")
        for sign, changes in (("+", gained), ("-", lost)):
            for c in changes[:REPORT_LINES]:
                day = c.published.astimezone(tz).date().isoformat() if c.published else "no date"
                terms = ", ".join(f"{t}×{n}" for t, n in sorted(c.terms.items(), key=lambda x: -x[1]))
                _echo(f"  {sign} {day}  {c.source:<10} {c.title[:90]}  [{terms}]")
            if len(changes) > REPORT_LINES:
                _echo(f"  {sign} ... and {len(changes) - REPORT_LINES:,} more")


@cli.command()
@click.option("--since", metavar="DATE", help="First published day (YYYY-MM-DD, digest time zone); required "
              "unless --urls.")
@click.option("--until", metavar="DATE", help="Last published day, inclusive (default: today).")
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only this source (repeatable).")
@click.option("--urls", "urls_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Ingest the article URLs listed in FILE (one a line) instead of discovering them.")
@click.option("--max-requests", type=click.IntRange(min=1), metavar="N",
              help="Send at most N requests, then stop; the same command continues later.")
@click.option("--ignore-robots", is_flag=True, help="Neither fetch nor obey robots.txt.")
def backfill(since: str | None, until: str | None, sources: tuple[str, ...], urls_file: Path | None,
             max_requests: int | None, ignore_robots: bool) -> None:
    """Bring in past articles of a date range from sitemaps, dated archives and listing pages.

    Resumable: after Ctrl-C, a crash or --max-requests, the same command continues where it stopped;
    finished pages and stored articles are not requested again. Run again after it finished, it walks the
    discovery pages again (stored articles are still not requested).
    """
    from newsmon.commands.backfill import BackfillReport, run_backfill
    from newsmon.pipeline.classify import build_classifier
    from newsmon.storage.lock import run_lock

    cfg = _state().config
    selected = _source_names(cfg, sources)
    first, last = _day(since, "--since"), _day(until, "--until")
    if first is None and urls_file is None:
        raise click.UsageError("--since is required (or --urls FILE)")
    if last is not None and first is None:
        raise click.UsageError("--until needs --since")
    if first is not None and last is not None and last < first:
        raise click.BadParameter(f"{until} is before --since {since}", param_hint="--until")
    classifier = build_classifier(cfg.topics, cfg.path)
    _interrupt_on_sigterm()
    report = BackfillReport()

    try:
        with _store(cfg) as store, run_lock(store, "backfill"), _backfill_feedback() as feedback:
            _run_async(run_backfill(
                cfg, store, selected, since=first, until=last, urls_file=urls_file, classifier=classifier,
                max_requests=max_requests, ignore_robots=ignore_robots, progress=feedback, report=report))
    except KeyboardInterrupt:
        for line in report.lines():
            click.echo(line, err=True)
        click.echo("backfill interrupted: progress is saved; run the same command again to continue", err=True)
        raise KeyboardInterrupt from None
    for line in report.lines():
        if report.exit_code and _state().quiet:
            click.echo(line, err=True)
        else:
            _echo(line)
    sys.exit(report.exit_code)


BACKFILL_LOG_EVERY = 15.0  # seconds between plain progress lines when stderr is not a terminal


@contextmanager
def _backfill_feedback() -> Iterator[Any]:
    """A rich progress bar on a terminal; a plain line every BACKFILL_LOG_EVERY s otherwise; nothing with -q."""
    import time as _time

    if _state().quiet:
        yield None
        return
    if not sys.stderr.isatty():
        last = [_time.monotonic()]

        def plain(report: Any) -> None:
            if _time.monotonic() - last[0] >= BACKFILL_LOG_EVERY:
                last[0] = _time.monotonic()
                click.echo(report.status_line(), err=True)

        yield plain
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("backfill"), BarColumn(bar_width=20), MofNCompleteColumn(),
               TextColumn("{task.fields[detail]}"), TimeRemainingColumn())
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("backfill", total=None, detail="")

        def update(report: Any) -> None:
            bar.update(task, completed=report.total("fetched"), total=report.total("queued") or None,
                       detail=f"found {report.total('discovered'):,} · stored {report.total('new'):,} · "
                              f"tagged {report.total('tagged'):,} · failed {report.total('failed'):,} · "
                              f"pages {report.total('pages'):,}")

        yield update


REPORT_LINES = 50


@contextmanager
def _progress(label: str) -> Iterator[Any]:
    """A rich progress bar on a terminal; silence elsewhere (cron, pipes)."""
    if _state().quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("newsmon-demo"),
              show_default=True, help="Where the demo's config, database and digest go (made afresh).")
@click.option("--open", "open_browser", is_flag=True, help="Open the digest in the web browser.")
def demo(out_dir: Path, open_browser: bool) -> None:
    """See newsmon work in a minute, offline: local copies of the three sites and a local mail server,
    then the real run and digest."""
    from newsmon.commands.demo import run_demo

    _configure_logging(_state().verbose, _state().quiet, None)
    sys.exit(run_demo(out_dir, now=datetime.now(UTC), echo=_echo, open_browser=open_browser))


@cli.command()
def daemon() -> None:
    """Run forever: `run` every [schedule] fetch_every and the digest at [digest] send_at (a digest missed
    while the machine was off or SMTP was down is sent on start and after each run). SIGTERM/SIGINT stop
    it cleanly; SIGHUP reloads the config (an invalid one is logged and the old one kept). Logs to stderr
    (its own lines and warnings; -v everything, -q errors only) and to the [logging] file."""
    from newsmon.commands.daemon import Daemon

    st = _state()
    cfg = st.config

    def configure(c: Config) -> None:
        _configure_logging(st.verbose, st.quiet, c)
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        if st.quiet or st.verbose:
            return
        root = logging.getLogger()
        root.setLevel(min(root.level, logging.INFO))
        for h in root.handlers:
            if getattr(h, "_newsmon", False) and not isinstance(h, logging.FileHandler):
                h.setLevel(logging.INFO)   # the daemon's own lines; per-request detail stays for -v and the file
                h.addFilter(lambda r: r.levelno >= logging.WARNING or r.name in _DAEMON_LOGGERS)

    configure(cfg)
    sys.exit(Daemon(st.config_path, cfg, on_config=configure).serve())


_DAEMON_LOGGERS = {"newsmon.commands.daemon", "newsmon.alerts", "newsmon.commands.digest"}


def _quiet(flag: bool) -> None:
    """A command's own -q/--quiet, as if given before the command."""
    if flag:
        _state().quiet = True


def _run_async(work: Any) -> Any:
    """asyncio.run, with SIGTERM cancelling the work as Ctrl-C does: every task stops at an await, never
    half-way through a database write; the caller sees KeyboardInterrupt either way."""

    async def cancellable() -> Any:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)  # type: ignore[union-attr]
        try:
            return await work
        finally:
            loop.remove_signal_handler(signal.SIGTERM)
            _interrupt_on_sigterm()

    try:
        return asyncio.run(cancellable())
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None


def _interrupt_on_sigterm() -> None:
    """SIGTERM (systemd stop, kill) ends a command like Ctrl-C: work in flight is abandoned cleanly, the
    run is recorded as interrupted and the lock released."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)


@cli.command()
@click.option("--week", metavar="YYYY-Www", help="The ISO week, e.g. 2025-W36 (default: the last complete week).")
@click.option("--dry-run", is_flag=True, help="Build the digest but send nothing.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write digest-WEEK.html, .txt and .eml into this directory.")
@click.option("--force", is_flag=True, help="Send even if this week's digest was sent already.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors (for cron); the same as `newsmon -q digest`.")
def digest(week: str | None, dry_run: bool, out_dir: Path | None, force: bool, quiet: bool) -> None:
    """Build the digest of one ISO week and email it (once per week unless --force)."""
    from contextlib import nullcontext

    from newsmon.commands.digest import run_digest
    from newsmon.digests.week import parse_week
    from newsmon.storage.lock import run_lock

    _quiet(quiet)
    cfg = _state().config
    try:
        chosen = parse_week(week, cfg.digest.timezone) if week else None
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--week") from None
    with _store(cfg) as store, nullcontext() if dry_run else run_lock(store, "digest"):
        outcome = run_digest(cfg, store, week=chosen, dry_run=dry_run, out_dir=out_dir, force=force,
                             now=datetime.now(UTC))
    if outcome.exit_code:
        click.echo(outcome.line(), err=True)
    else:
        _echo(outcome.line())
    sys.exit(outcome.exit_code)


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
        _fail("interrupted", 130)
    except click.ClickException as e:
        e.show()
        sys.exit(EXIT_USAGE if isinstance(e, click.UsageError) else e.exit_code)
    except ConfigError as e:
        _fail(str(e), EXIT_USAGE)
    except LockedError as e:
        _fail(str(e), EXIT_PARTIAL)
    except NewsmonError as e:
        _fail(str(e), EXIT_PARTIAL)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(EXIT_PARTIAL)

