"""`newsmon daemon`: `run` every `[schedule] fetch_every`, each digest at its `send_at` — the `[digest]` table's
and every weekly or daily `[[subscriptions]]` — and the instant alerts after each run, for months.

The database, not the scheduler, remembers what was done. APScheduler (3.x, jobs in memory, coalescing, one
instance per job, no misfire limit) only wakes the daemon up; what is due is decided from the clock and the
database by a pure function (newsmon.schedule):

    DigestSchedule.due(now, sent=..., pending=..., watching_since=...) -> [Period]   the digests to send now

- Catch-up: on start and after every run, each subscription's last complete week's (or day's) digest is
  sent if its send time has passed and it has not been sent (the machine was off, SMTP was down), and a
  message left in the outbox by a failed send is sent again. Once: the digest lock and `digests_sent` make
  sure of it. Instant alerts are queued and sent after every run (newsmon.commands.instant).
- No hang: every job has a deadline (`run_deadline`, `digest_deadline`, and within a run each source its
  `source_deadline`); a job past it is abandoned and the schedule goes on.
- Signals: SIGTERM/SIGINT cancel the run in flight (the article being fetched is abandoned, finished ones are
  stored, the run is recorded as interrupted), the locks are released, exit 0 within 10 s. SIGHUP reloads
  the config; an invalid one is logged and the running one kept.
- Every few seconds the wall clock is compared with the monotonic one: a jump (suspend and resume, the time
  being set) runs what is due at once. An INFO heartbeat line is logged every hour.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from newsmon.commands import run as run_command
from newsmon.commands.digest import run_digest
from newsmon.commands.instant import send_instant
from newsmon.config import Config, TopicRules, check_notify, load_config
from newsmon.digests.settings import SubscriptionSettings
from newsmon.errors import LockedError, NewsmonError, SendError
from newsmon.pipeline.ingest import Clock, RunReport, utc_now
from newsmon.schedule import ClockWatch, DigestSchedule, DigestTrigger, next_run_after
from newsmon.signals import SignalQueue
from newsmon.storage import digests, runs
from newsmon.storage.engine import Store, open_store
from newsmon.storage.lock import run_lock

log = logging.getLogger(__name__)

# APScheduler's defaults skip a job that is a second late; here a late job runs, once.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
TICK_SECONDS = 5.0            # how often the main loop checks signals, the clock and the heartbeat
HEARTBEAT_SECONDS = 3600.0
STOP_GRACE_SECONDS = 6.0      # SIGTERM: how long the job in flight gets to wind down
EXIT_DEADLINE_SECONDS = 9.0   # SIGTERM: the process is gone by then, whatever hangs

Ingest = Callable[[Config, Store], "RunReport | None"]


# ---- the daemon ----

class Daemon:
    """The jobs (`run_job`, `digest_job`) are plain methods on an injectable clock, so a test can drive them
    through simulated weeks; `serve()` wires them to APScheduler and the signals."""

    def __init__(self, config_path: Path, cfg: Config, *, clock: Clock = utc_now,
                 monotonic: Callable[[], float] = time.monotonic, ingest: Ingest | None = None,
                 on_config: Callable[[Config], None] | None = None) -> None:
        self.config_path = config_path
        self.cfg = cfg
        self.clock = clock
        self.monotonic = monotonic
        self.on_config = on_config
        self._ingest = ingest or self._ingest_sources
        self._store: Store | None = None
        self.scheduler: Any = None
        self.stopping = threading.Event()
        self._abandon = threading.Event()
        self._task_lock = threading.Lock()
        self._run_task: tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]] | None = None
        self._workers: set[threading.Thread] = set()
        self.last_run: tuple[datetime, str] | None = None     # (started, outcome) of the latest run job
        self._started = monotonic()
        self._heartbeat_at = self._started
        self._watch = ClockWatch(clock(), self._started)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.cfg.storage.url)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def jobs(self, now: datetime) -> list[tuple[str, BaseTrigger, datetime]]:
        """(job, trigger, first fire time): both start at once — the first run, and the catch-up on start."""
        every = self.cfg.schedule.fetch_every_seconds
        return [("run", IntervalTrigger(seconds=every, start_date=now, timezone=UTC), now),
                ("digest", _digest_trigger(self.cfg), now)]

    # -- jobs

    def run_job(self) -> None:
        """One run of every source, then the alerts, the instant subscriptions, then the digest catch-up."""
        cfg = self.cfg
        started = self.clock()
        outcome = "failed"
        try:
            report = run_command.run_then_alert(cfg, self.store, ingest=lambda: self._ingest(cfg, self.store),
                                                now=self.clock, alert=lambda: not self.stopping.is_set())
            outcome = "stopped" if report is None else ("ok" if report.exit_code == 0 else "partial")
            for rep in report.sources if report is not None else ():
                (log.warning if rep.worth_telling else log.info)("run: %s", rep.line())
        except LockedError as e:
            outcome = "skipped"
            log.warning("run skipped: %s", e)
        except NewsmonError as e:
            log.error("run failed: %s", e)
        except Exception:
            log.exception("run failed")
        self.last_run = (started, outcome)
        if not self.stopping.is_set():
            try:
                send_instant(cfg, self.store, now=self.clock())
            except NewsmonError as e:
                log.error("instant alerts: %s", e)
        if not self.stopping.is_set():
            self.digest_job()

    def digest_job(self) -> list[str]:
        """Send the digests due now (see DigestSchedule.due), of the [digest] table and of each weekly or
        daily subscription; returns what was sent: the week ("2025-W36") for [digest], "NAME PERIOD" for a
        subscription."""
        done = []
        for sub in _scheduled(self.cfg):
            done += [period if sub.legacy else f"{sub.name} {period}" for period in self._send_due(sub)]
        return done

    def _send_due(self, sub: SubscriptionSettings) -> list[str]:
        schedule = DigestSchedule.of(sub)
        with self.store.read() as s:
            sent = digests.sent_weeks(s, sub.name)
            pending = digests.pending_weeks(s, sub.name)
            watching = runs.first_run_started(s)
        done = []
        for period in schedule.due(self.clock(), sent=sent, pending=pending, watching_since=watching):
            what = f"{sub.label} {period.label}"
            try:
                with run_lock(self.store, "digest"):
                    outcome = run_digest(self.cfg, self.store, subscription=None if sub.legacy else sub,
                                         week=period, now=self.clock())
            except LockedError:
                log.info("%s: another newsmon is sending it", what)
                continue
            except SendError as e:
                log.error("%s; the daemon tries again after the next run", e)
                continue
            except NewsmonError as e:
                log.error("%s: %s", what, e)
                continue
            (log.warning if outcome.exit_code else log.info)("%s", outcome.line())
            if outcome.status == "sent":
                done.append(period.label)
        return done

    def _ingest_sources(self, cfg: Config, store: Store) -> RunReport | None:
        """The ingest pass under the run deadline, cancellable from the main thread; None if cut short."""
        classifier = TopicRules(cfg)   # compiled only if a new article comes
        deadline = run_command.run_deadline(cfg)

        async def bounded() -> RunReport | None:
            with self._task_lock:
                if self.stopping.is_set():
                    return None
                self._run_task = (asyncio.get_running_loop(), asyncio.current_task())  # type: ignore[assignment]
            try:
                async with asyncio.timeout(deadline):
                    return await run_command.ingest(cfg, store, cfg.sources, classifier=classifier, now=self.clock)
            finally:
                with self._task_lock:
                    self._run_task = None

        try:
            return asyncio.run(bounded())
        except TimeoutError:
            log.error("run stopped at its deadline of %s (schedule.run_deadline); what it stored is kept",
                      _span(deadline))
        except asyncio.CancelledError:
            log.info("run interrupted; the articles it finished are stored")
        return None

    def cancel_run(self) -> None:
        """Cancel the run in flight, if any (from any thread)."""
        with self._task_lock:
            if self._run_task is None:
                return
            loop, task = self._run_task
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(task.cancel)

    # -- the main loop

    def serve(self) -> int:
        """Run until SIGTERM/SIGINT; returns the exit status (0). Must be called in the main thread."""
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        try:
            with run_lock(self.store, "daemon"):
                signals = SignalQueue((signal.SIGTERM, signal.SIGINT, signal.SIGHUP))
                why = "an error"
                try:
                    self.scheduler = BackgroundScheduler(
                        jobstores={"default": MemoryJobStore()}, executors={"default": ThreadPoolExecutor(4)},
                        job_defaults=JOB_DEFAULTS, timezone=UTC)
                    for job_id, trigger, first in self.jobs(self.clock()):
                        self.scheduler.add_job(self._job, trigger, args=(job_id,), id=job_id, name=job_id,
                                               next_run_time=first)
                    self.scheduler.start()
                    log.info("daemon started (pid %d): run every %s, %s; config %s", os.getpid(),
                             _span(self.cfg.schedule.fetch_every_seconds),
                             self._next_digest_text(self.clock()), self.config_path)
                    if not self.cfg.deliveries:
                        log.warning("no [digest] recipients and no [[subscriptions]]: the daemon sends no digest")
                    while True:
                        signum = signals.wait(TICK_SECONDS)
                        if signum in (signal.SIGTERM, signal.SIGINT):
                            why = signal.Signals(signum).name
                            break
                        if signum == signal.SIGHUP:
                            self.reload()
                        self.tick()
                finally:
                    self._shutdown(why)
                    signals.close()
        finally:
            self.close()
        return 0

    def _job(self, job_id: str) -> None:
        """What APScheduler calls: the job in a worker thread of its own, waited for until its deadline.
        A job past its deadline is abandoned (a run is cancelled) so that the schedule goes on."""
        if self.stopping.is_set():
            return
        cfg = self.cfg
        # a run job is the run, the alert emails, then the digest catch-up
        work, deadline = ((self.run_job, run_command.run_deadline(cfg) + cfg.schedule.digest_deadline_seconds + 60.0)
                          if job_id == "run" else (self.digest_job, cfg.schedule.digest_deadline_seconds))
        finished = threading.Event()

        def target() -> None:
            try:
                work()
            except BaseException:
                log.exception("%s job failed", job_id)
            finally:
                finished.set()

        thread = threading.Thread(target=target, name=f"newsmon-{job_id}", daemon=True)
        self._workers.add(thread)
        thread.start()
        end = time.monotonic() + deadline
        while not finished.wait(0.25):
            if self._abandon.is_set():
                return
            if time.monotonic() >= end:
                log.error("the %s job is still running after its deadline of %s; abandoned, the schedule goes on",
                          job_id, _span(deadline))
                if job_id == "run":
                    self.cancel_run()
                return
        self._workers.discard(thread)

    def _shutdown(self, why: str) -> None:
        log.info("stopping (%s)", why)
        self.stopping.set()
        watchdog = threading.Timer(EXIT_DEADLINE_SECONDS, _exit_now)
        watchdog.daemon = True
        watchdog.start()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.cancel_run()
        end = time.monotonic() + STOP_GRACE_SECONDS
        for thread in list(self._workers):
            thread.join(max(0.0, end - time.monotonic()))
        still = sorted(t.name for t in self._workers if t.is_alive())
        self._abandon.set()
        if still:
            log.warning("abandoning %s at exit", ", ".join(still))
        else:
            watchdog.cancel()
        log.info("daemon stopped")

    def tick(self) -> None:
        """Between signals: notice a clock jump, log the heartbeat."""
        now, mono = self.clock(), self.monotonic()
        jump = self._watch.observe(now, mono)
        if jump is not None:
            log.warning("the clock jumped %s%s (suspend and resume, or the time was set); running what is due",
                        "+" if jump > 0 else "-", _span(abs(jump)))
            self.run_due(now)
        if mono - self._heartbeat_at >= HEARTBEAT_SECONDS:
            self._heartbeat_at = mono
            log.info("%s", self.heartbeat(now))

    def run_due(self, now: datetime) -> None:
        if self.scheduler is None:
            return
        last = self.last_run[0] if self.last_run else None
        self.scheduler.modify_job("run", next_run_time=next_run_after(now, last, self.cfg.schedule.fetch_every_seconds))
        self.scheduler.modify_job("digest", next_run_time=now)

    def heartbeat(self, now: datetime) -> str:
        up = self.monotonic() - self._started
        last = "none yet" if self.last_run is None else f"{_when(self.last_run[0])} ({self.last_run[1]})"
        job = self.scheduler.get_job("run") if self.scheduler is not None else None
        next_run = _when(job.next_run_time) if job is not None and job.next_run_time else "-"
        return (f"heartbeat: up {_span(up)}; last run {last}; next run {next_run}; "
                f"{self._next_digest_text(now)}")

    def _next_digest_text(self, now: datetime) -> str:
        scheduled = _scheduled(self.cfg)
        if not scheduled:
            return ("instant alerts only" if self.cfg.subscriptions else "no digest (no recipients)")
        at, sub = min(((DigestSchedule.of(sub).next_send_time(now), sub) for sub in scheduled), key=lambda x: x[0])
        name = "" if sub.legacy or len(scheduled) == 1 else f" ({sub.name})"
        return f"next digest{name} {at.astimezone(sub.timezone):%a %Y-%m-%d %H:%M %Z}"

    def reload(self) -> bool:
        """SIGHUP: read the config again; if it is invalid, log why and keep the running one."""
        try:
            cfg = load_config(self.config_path)
            TopicRules(cfg)
            check_notify(cfg)
            if self.on_config is not None:
                self.on_config(cfg)   # logging: a log file that cannot be opened keeps the old handlers
        except NewsmonError as e:
            log.error("SIGHUP: config not reloaded, the daemon keeps running with the previous one: %s", e)
            return False
        if cfg.storage.url != self.cfg.storage.url:
            log.warning("SIGHUP: storage.url changed; that takes a restart (the daemon keeps its database)")
            cfg = replace(cfg, storage=self.cfg.storage)
        old, self.cfg = self.cfg, cfg
        if self.scheduler is not None:
            now = self.clock()
            every = cfg.schedule.fetch_every_seconds
            if every != old.schedule.fetch_every_seconds:
                start = next_run_after(now, self.last_run[0] if self.last_run else None, every)
                self.scheduler.reschedule_job("run", trigger=IntervalTrigger(seconds=every, start_date=start,
                                                                              timezone=UTC))
            if _scheduled(cfg) != _scheduled(old):
                self.scheduler.reschedule_job("digest", trigger=_digest_trigger(cfg))
        log.info("SIGHUP: config reloaded from %s", self.config_path)
        return True


def _scheduled(cfg: Config) -> tuple[SubscriptionSettings, ...]:
    """The weekly and daily deliveries: the [digest] table (with recipients) and such subscriptions."""
    return tuple(sub for sub in cfg.deliveries if sub.cadence != "instant")


def _digest_trigger(cfg: Config) -> DigestTrigger:
    """Fires at every scheduled digest's send time; with none, at the [digest] table's (finding nothing due),
    so that the job stays and a reload that adds a subscription has a job to reschedule."""
    schedules = [DigestSchedule.of(sub) for sub in _scheduled(cfg)]
    return DigestTrigger(*(schedules or [DigestSchedule.from_config(cfg.digest)]))


def _exit_now() -> None:
    log.error("still not stopped %g s after the signal; exiting now (the locks go with the process)",
              EXIT_DEADLINE_SECONDS)
    logging.shutdown()
    os._exit(0)


def _when(value: datetime) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _span(seconds: float) -> str:
    """'45 s', '30 min', '2 h 5 min', '3 d 4 h'."""
    seconds = round(seconds)
    if seconds < 120:
        return f"{seconds} s"
    minutes, hours = seconds // 60, seconds // 3600
    if hours < 2:
        return f"{minutes} min"
    if hours < 48:
        return f"{hours} h" + (f" {minutes % 60} min" if minutes % 60 else "")
    return f"{hours // 24} d" + (f" {hours % 24} h" if hours % 24 else "")
