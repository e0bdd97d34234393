"""robots.txt: fetched once per site through the Fetcher (so it counts towards politeness and limits) and
asked before every backfill request.

Unavailable (4xx, too large, redirected away) means everything is allowed; unreachable (5xx, 429, no
connection, timeout) means nothing is, as RFC 9309 says. A `Crawl-delay` longer than
`per_host_delay_seconds` slows the fetcher down for that host.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from newsmon.errors import FetchError
from newsmon.pipeline.fetch import Fetcher
from newsmon.pipeline.urls import host_of

log = logging.getLogger(__name__)

MAX_ROBOTS_BYTES = 500_000   # RFC 9309: at least 500 KiB must be parsed; more is not needed


class Robots:
    """Answers "may this URL be requested?" for one user agent, one robots.txt per origin."""

    def __init__(self, fetcher: Fetcher, user_agent: str):
        self.fetcher = fetcher
        self.user_agent = user_agent
        self._rules: dict[str, RobotFileParser | bool] = {}   # origin -> its rules, or allow/refuse all
        self._locks: dict[str, asyncio.Lock] = {}

    async def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        rules = self._rules.get(origin)
        if rules is None:
            async with self._locks.setdefault(origin, asyncio.Lock()):
                rules = self._rules.get(origin)
                if rules is None:
                    rules = self._rules[origin] = await self._load(origin)
        return rules if isinstance(rules, bool) else rules.can_fetch(self.user_agent, url)

    async def _load(self, origin: str) -> RobotFileParser | bool:
        url = origin + "/robots.txt"
        host = host_of(url)
        try:
            page = await self.fetcher.get(url, allowed_hosts={host}, max_bytes=MAX_ROBOTS_BYTES)
        except FetchError as e:
            status = e.status
            if (status is not None and 400 <= status < 500 and status != 429) or (status is None and e.permanent):
                log.info("%s: unavailable (%s); everything is allowed", url, e)
                return True
            log.error("%s: unreachable (%s); requesting nothing from %s (--ignore-robots to override)",
                      url, e, origin)
            return False
        rules = RobotFileParser(url)
        rules.parse(page.content.decode("utf-8", "replace").splitlines())
        delay = rules.crawl_delay(self.user_agent)
        if delay is not None and float(delay) > self.fetcher.delay_for(host):
            self.fetcher.slow_down(host, float(delay))
            log.warning("%s asks for %s s between requests (Crawl-delay); honoured", url, delay)
        return rules
