"""`newsmon demo`: the whole product on this machine in one command, for a newcomer.

It starts local copies of the three sites (newsmon.demo.sites) serving the bundled sample articles, moved
into the last complete week, and a local SMTP server (aiosmtpd); writes a config that points at them; then
runs the real `run` and `digest` code paths. Every source is limited to 127.0.0.1, so nothing can leave the
machine.
"""

from __future__ import annotations

import asyncio
import socket
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from newsmon.commands.run import ingest
from newsmon.config import compile_rules, load_config
from newsmon.demo.articles import load_sample_articles
from newsmon.demo.configs import config_text
from newsmon.demo.sites import SampleSites
from newsmon.files import cannot, make_dir, write_bytes

DEMO_TZ = ZoneInfo("Asia/Baku")


@dataclass
class _Inbox:
    messages: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        self.messages.append(envelope.original_content)
        return "250 Message accepted"


def articles_in_week(monday: datetime) -> list[dict[str, Any]]:
    """The bundled sample articles, moved by whole weeks so they fall in the week starting `monday`."""
    articles = load_sample_articles()
    first = min(datetime.fromisoformat(a["published"]) for a in articles)
    sample_monday = (first - timedelta(days=first.weekday())).date()
    shift = timedelta(days=(monday.date() - sample_monday).days)
    return [dict(a, published=(datetime.fromisoformat(a["published"]) + shift).isoformat()) for a in articles]


def demo_config(sites: SampleSites, smtp_port: int) -> str:
    """A config.toml pointing at the local sites and SMTP server, with the shipped topic rules."""
    return config_text(sites.source_config(), fetch={"per_host_delay_seconds": 0, "timeout_seconds": 10},
                       extra='[digest]\ntimezone = "Asia/Baku"\ntopics = ["sco_azerbaijan"]\n'
                             'recipients = ["analyst@example.org"]\nsender = "newsmon-demo@example.org"\n\n'
                             f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_demo(out_dir: Path, *, now: datetime, echo: Callable[[str], None], open_browser: bool = False) -> int:
    """Run the demo in `out_dir` (made afresh each time); returns the exit code."""
    from aiosmtpd.controller import Controller

    from newsmon.commands.digest import run_digest
    from newsmon.digests.week import last_complete_week
    from newsmon.storage.engine import open_store

    make_dir(out_dir)
    for old in [*out_dir.glob("newsmon.db*"), *out_dir.glob("digest-*")]:
        try:
            old.unlink()
        except OSError as e:
            raise cannot(old, e, "replace") from None
    week = last_complete_week(now, DEMO_TZ)
    inbox = _Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    try:
        with SampleSites(articles_in_week(week.start)) as sites:
            config_path = out_dir / "config.toml"
            write_bytes(config_path, demo_config(sites, smtp.port).encode("utf-8"))
            cfg = load_config(config_path)
            echo("newsmon demo: everything runs on this machine (127.0.0.1); nothing contacts the internet.")
            echo(f"  local sites  {sites.base_url}  (Trend-like RSS, AzerNews-like RSS, News.Az-like listing pages)")
            echo(f"  local SMTP   127.0.0.1:{smtp.port}")
            echo(f"  config       {config_path}")
            echo(f"  database     {out_dir / 'newsmon.db'}")
            echo("")
            store = open_store(cfg.storage.url)
            try:
                report = asyncio.run(ingest(cfg, store, cfg.sources, classifier=compile_rules(cfg),
                                            now=lambda: now))
                echo("newsmon run — discover → fetch → extract → classify → store:")
                for r in report.sources:
                    echo(f"  {r.name:<9} found {r.found:>2}, fetched {r.fetched:>2}, extracted {r.extracted:>2}, "
                         f"tagged {r.tagged:>2}, stored {r.new:>2}" + (f", failed {r.failed}" if r.failed else ""))
                total = sum(r.new for r in report.sources)
                echo(f"  {total} articles stored; {sum(r.tagged for r in report.sources)} tagged with a topic")
                echo("")
                outcome = run_digest(cfg, store, week=week, out_dir=out_dir, force=True, now=now)
            finally:
                store.close()
            local_requests = len(sites.requests)
    finally:
        smtp.stop()
    html = next((f for f in outcome.files if f.suffix == ".html"), None)
    echo(f"newsmon digest --week {week.label}:")
    echo(f"  subject  {outcome.subject}")
    echo(f"  sent to  {', '.join(outcome.recipients)} through the local SMTP server "
         f"({len(inbox.messages)} message received)")
    for f in outcome.files:
        echo(f"  wrote    {f}")
    echo("")
    echo(f"{local_requests} HTTP requests, all answered by the local sites. Next: open the .html above, try "
         f"`newsmon --config {config_path} status`, or edit config.toml for the real sites and `newsmon run`.")
    if open_browser and html is not None:
        webbrowser.open(html.resolve().as_uri())
    return report.exit_code or outcome.exit_code
