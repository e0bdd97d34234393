"""`newsmon run` — and the daemon's run job: one ingest pass under the run lock, then the alert emails due.

    run_then_alert(cfg, store, ingest=..., now=...)   what `newsmon run` and the daemon both do
    ingest(cfg, store, sources, classifier=...)        the pass itself (pipeline.ingest), with deadlines
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from newsmon.alerts import check_alerts
from newsmon.config import Config
from newsmon.pipeline.classify import Classifies
from newsmon.pipeline.ingest import Clock, RunReport, utc_now
from newsmon.pipeline.run import run_sources
from newsmon.pipeline.settings import SourceSettings
from newsmon.storage.engine import Store
from newsmon.storage.lock import run_lock

ARTICLES_PER_DEADLINE = 20   # article pages a source's deadline leaves time for, each at its slowest
RUN_DEADLINE_SLACK = 120.0   # "auto" run deadline: the longest source deadline plus this


def source_deadline(cfg: Config, src: SourceSettings) -> float:
    """How long one source may take in a run: `[schedule] source_deadline`, or sized from the fetch limits —
    every discovery URL and ARTICLES_PER_DEADLINE article pages at their slowest (every attempt timing out
    after its back-off and politeness delay), plus one extraction time-out. A source cut off keeps what it
    stored; the rest waits for the next run."""
    if cfg.schedule.source_deadline_seconds is not None:
        return cfg.schedule.source_deadline_seconds
    f = cfg.fetch
    attempts = f.retries + 1
    slowest = attempts * (f.timeout_seconds + f.per_host_delay_seconds) + f.backoff_seconds * ((1 << f.retries) - 1)
    return (len(src.feeds) + len(src.listings) + ARTICLES_PER_DEADLINE) * slowest + cfg.extract.timeout_seconds


def run_deadline(cfg: Config) -> float:
    """`[schedule] run_deadline`, or the longest source deadline plus two minutes (sources run side by side)."""
    if cfg.schedule.run_deadline_seconds is not None:
        return cfg.schedule.run_deadline_seconds
    return max((source_deadline(cfg, s) for s in cfg.sources), default=0.0) + RUN_DEADLINE_SLACK


async def ingest(cfg: Config, store: Store, sources: Sequence[SourceSettings], *, classifier: Classifies | None,
                 now: Clock = utc_now) -> RunReport:
    """One pass over `sources` with the settings and deadlines of `cfg`."""
    return await run_sources(store, sources, fetch=cfg.fetch, extract=cfg.extract, classifier=classifier,
                             deadlines={src.name: source_deadline(cfg, src) for src in sources}, now=now)


def run_then_alert(cfg: Config, store: Store, *, ingest: Callable[[], RunReport | None], now: Clock = utc_now,
                   alert: Callable[[], bool] = lambda: True) -> RunReport | None:
    """Under the run lock (LockedError if another run holds it): `ingest()` — None when it was cut short —
    then, if `alert()` still says so, the [alerts] emails due. Shared by `newsmon run` and the daemon."""
    with run_lock(store):
        report = ingest()
        if alert():
            check_alerts(cfg, store, now())
    return report
