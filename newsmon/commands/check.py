"""`newsmon check`: what each configured discovery URL answers right now. Stores nothing.

    probe_sources(cfg, sources, today) -> [Probe]      probe_lines(probes) -> what to print
"""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from newsmon.config import Config
from newsmon.errors import FetchError, ParseError
from newsmon.pipeline.discover import parse_feed, parse_listing, parse_sitemap
from newsmon.pipeline.fetch import Fetcher
from newsmon.pipeline.gaps import fill_route
from newsmon.pipeline.settings import SourceSettings
from newsmon.pipeline.urls import host_of, listing_page


@dataclass(frozen=True)
class Probe:
    source: str
    kind: str            # feed | listing | archive | sitemap
    url: str
    status: int | None   # HTTP status; None when no answer came
    items: int | None
    newest: datetime | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def probe_targets(src: SourceSettings, today: datetime) -> list[tuple[str, str]]:
    """(kind, url) for every configured URL; templates filled with page 1 / today."""
    return ([("feed", u) for u in src.feeds]
            + [("listing", listing_page(u, 1)) for u in src.listings]
            + [("archive", listing_page(u, 1).format(date=today)) for u in src.archives]
            + [("sitemap", u) for u in src.sitemaps])


async def probe_sources(cfg: Config, sources: tuple[SourceSettings, ...], today: datetime) -> list[Probe]:
    async with Fetcher(cfg.fetch) as fetcher:
        per_source = await asyncio.gather(*(_probe_source(cfg, fetcher, src, today) for src in sources))
    return [p for probes in per_source for p in probes]


async def _probe_source(cfg: Config, fetcher: Fetcher, src: SourceSettings, today: datetime) -> list[Probe]:
    out = []
    for kind, url in probe_targets(src, today.astimezone(src.timezone)):
        status = None
        try:
            page = await fetcher.get(url, allowed_hosts=src.allowed_hosts | {host_of(url)})
            status = page.status
            newest = None
            if kind == "feed":
                items = parse_feed(page.content, page.url, page.headers, src.timezone)
                dates = [i.published for i in items if i.published]
                count, newest = len(items), max(dates, default=None)
            elif kind == "sitemap":
                sitemap = parse_sitemap(page.content, page.url, cfg.fetch.max_bytes, src.timezone)
                dates = [d for e in sitemap.entries for d in (e.published or e.lastmod,) if d]
                count, newest = len(sitemap.entries), max(dates, default=None)
            else:
                count = len(parse_listing(page.content, page.url, page.headers, src.article_url_pattern))
            out.append(Probe(src.name, kind, url, status, count, newest))
        except (FetchError, ParseError) as e:
            message = str(e).removeprefix(f"{url}: ")
            out.append(Probe(src.name, kind, url, getattr(e, "status", None) or status, None, None, message))
    return out


def recovery(src: SourceSettings) -> tuple[str, bool]:
    """What the source can recover after an outage longer than its feed or listing page holds (a coverage
    gap), and whether it can recover everything."""
    ways = []
    if src.listings:
        ways.append("gaps in its listing pages: from the pages after page 1")
    if src.feeds:
        route = fill_route(src, "feed")
        ways.append(f"gaps in its feeds: from its {route}" if route else
                    "gaps in its feeds: none (a feed alone; add archives or sitemaps to recover them)")
    return "; ".join(ways), all(not w.endswith("recover them)") for w in ways)


def probe_lines(probes: list[Probe], width: int = 80, sources: Sequence[SourceSettings] = ()
                ) -> list[tuple[str, bool]]:
    """(line, bad): per source, a line per URL — kind, HTTP status, items, newest item, then the URL whole —
    and the problem, if any, on the lines below it; then what the source can recover after an outage."""
    out: list[tuple[str, bool]] = [("kind     status items  newest item                url", False)]
    settings = {src.name: src for src in sources}
    for source in dict.fromkeys(p.source for p in probes):
        out.append((source, False))
        for p in (p for p in probes if p.source == source):
            items = "-" if p.items is None else str(p.items)
            newest = p.newest.isoformat() if p.newest else "-"
            out.append((f"  {p.kind:<8} {p.status or '-'!s:>3} {items:>6}  {newest:<25}  {p.url}", not p.ok))
            problem = p.error or ("no items" if p.items == 0 else "")
            out += [(line, not p.ok) for line in textwrap.wrap(problem, width=max(width, 40),
                                                               initial_indent=" " * 11, subsequent_indent=" " * 11,
                                                               break_long_words=False, break_on_hyphens=False)]
        if source in settings:
            text, complete = recovery(settings[source])
            out += [(line, not complete) for line in textwrap.wrap(
                f"recovers {text}", width=max(width, 40), initial_indent="  ", subsequent_indent="    ")]
    return out
