"""The daemon's schedule on an injected clock: twelve simulated weeks per time zone, driven through the same
triggers and jobs the real scheduler uses, with the machine off for three days and SMTP down at a send time."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from newsmon.commands.daemon import Daemon
from newsmon.config import load_config
from newsmon.demo.configs import write_config
from newsmon.digests.week import Week, parse_week, week_of
from newsmon.pipeline.ingest import RunReport
from newsmon.schedule import ClockWatch, DigestSchedule, DigestTrigger, next_run_after
from newsmon.storage import runs
from newsmon.storage.engine import open_store
from newsmon.storage.models import DigestOutbox, DigestSent
from tests.conftest import LocalSMTP


@dataclass
class FakeClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


def fake_ingest(clock: FakeClock) -> Any:
    """A run that fetches nothing but is recorded like one (the digest catch-up looks at runs)."""
    def ingest(cfg: Any, store: Any) -> RunReport:
        with store.write() as s:
            run_id = runs.start_run(s, "run", clock())
            runs.finish_run(s, run_id, "ok", clock())
        return RunReport([], run_id)
    return ingest


@dataclass
class Simulation:
    """Fires the daemon's jobs at the times its triggers give, like APScheduler with coalescing would."""

    config: Path
    clock: FakeClock
    smtp: LocalSMTP
    fired: list[tuple[str, datetime]] = field(default_factory=list)

    def start_daemon(self) -> tuple[Daemon, dict[str, list[Any]]]:
        daemon = Daemon(self.config, load_config(self.config), clock=self.clock, ingest=fake_ingest(self.clock))
        return daemon, {name: [trigger, first] for name, trigger, first in daemon.jobs(self.clock())}

    def run(self, until: datetime, *, off: tuple[datetime, datetime], smtp_down: tuple[datetime, datetime]) -> None:
        daemon, jobs = self.start_daemon()
        machine_off: tuple[datetime, datetime] | None = off
        while True:
            name = min(jobs, key=lambda n: (jobs[n][1], n))
            when = jobs[name][1]
            if when >= until:
                break
            if machine_off and machine_off[0] <= when:
                daemon.close()   # the machine goes off; at machine_off[1] the daemon starts afresh
                self.clock.now = machine_off[1]
                machine_off = None
                daemon, jobs = self.start_daemon()
                continue
            self.clock.now = when
            if smtp_down[0] <= when < smtp_down[1]:
                self.smtp.stop()
            else:
                self.smtp.start()
            getattr(daemon, f"{name}_job")()
            self.fired.append((name, when))
            jobs[name][1] = jobs[name][0].get_next_fire_time(when, self.clock())
        daemon.close()


SCENARIOS = {
    # zone, send_at, simulation start (a Wednesday)
    "baku": ("Asia/Baku", "mon 08:00", datetime(2025, 9, 3, tzinfo=UTC)),
    "berlin-spring-gap": ("Europe/Berlin", "sun 02:30", datetime(2025, 3, 5, tzinfo=UTC)),
    "berlin-autumn-overlap": ("Europe/Berlin", "sun 02:30", datetime(2025, 9, 17, tzinfo=UTC)),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_twelve_weeks_one_digest_each_with_the_machine_off_and_smtp_down(
        scenario: str, db_url: str, tmp_path: Path, smtp: LocalSMTP, caplog: pytest.LogCaptureFixture) -> None:
    zone, send_at, start = SCENARIOS[scenario]
    tz = ZoneInfo(zone)
    config = write_config(tmp_path, [{"name": "trend", "feeds": ["http://127.0.0.1:9/feed.rss"]}],
                          storage_url=db_url, extra=f"""
        [digest]
        timezone = "{zone}"
        recipients = ["analyst@example.org"]
        sender = "newsmon@example.org"
        send_at = "{send_at}"

        {smtp.toml()}
        [schedule]
        fetch_every = "4h"
        """)
    schedule = DigestSchedule.from_config(load_config(config).digest)
    until = start + timedelta(weeks=12)
    weeks: list[Week] = []
    at = schedule.next_send_time(start)
    while at < until:
        weeks.append(week_of(at, tz).previous())
        at = schedule.next_send_time(at)
    assert len(weeks) == 12
    off_week, down_week = weeks[4], weeks[8]
    off = (schedule.send_time(off_week) - timedelta(days=1), schedule.send_time(off_week) + timedelta(days=2))
    smtp_down = (schedule.send_time(down_week) - timedelta(minutes=30),
                 schedule.send_time(down_week) + timedelta(hours=5))

    sim = Simulation(config, FakeClock(start), smtp)
    with caplog.at_level(logging.INFO, logger="newsmon.commands.daemon"):
        sim.run(until, off=off, smtp_down=smtp_down)

    store = open_store(db_url)
    with store.read() as s:
        sent = {d.week: d.sent_at for d in s.scalars(select(DigestSent))}
        assert s.scalars(select(DigestOutbox)).all() == []
    store.close()
    assert sorted(sent) == [w.label for w in weeks]                       # none missed, none extra
    subjects = [str(m["Subject"]) for m in smtp.messages]
    assert len(subjects) == 12                                            # none sent twice
    assert [next(w.label for w in weeks if w.label in s) for s in subjects] == [w.label for w in weeks]
    for week in weeks:
        if week == off_week:
            assert sent[week.label] == off[1], "the digest missed while the machine was off is sent on start"
        elif week == down_week:
            first_run_after = min(t for name, t in sim.fired if name == "run" and t >= smtp_down[1])
            assert sent[week.label] == first_run_after, "sent by the first attempt after SMTP came back"
        else:
            assert sent[week.label] == schedule.send_time(week)
    assert "not sent" in caplog.text and "tries again after the next run" in caplog.text

    if scenario == "berlin-spring-gap":   # Sun 30 Mar 2025 02:30 does not exist in Berlin: 03:30 CEST
        assert sent["2025-W12"] == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
    if scenario == "berlin-autumn-overlap":   # Sun 26 Oct 2025 02:30 happens twice: the first, CEST
        assert sent["2025-W42"] == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)


def test_send_times_across_dst_changes() -> None:
    berlin = DigestSchedule(ZoneInfo("Europe/Berlin"), 6, datetime.strptime("02:30", "%H:%M").time())
    assert berlin.send_time(parse_week("2025-W12", berlin.tz)) == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
    assert berlin.send_time(parse_week("2025-W11", berlin.tz)) == datetime(2025, 3, 23, 1, 30, tzinfo=UTC)
    assert berlin.send_time(parse_week("2025-W13", berlin.tz)) == datetime(2025, 4, 6, 0, 30, tzinfo=UTC)
    assert berlin.send_time(parse_week("2025-W42", berlin.tz)) == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
    # the trigger steps through the year one week at a time, never twice in a week, never skipping one
    trigger = DigestTrigger(berlin)
    at = trigger.get_next_fire_time(None, datetime(2025, 1, 1, tzinfo=UTC))
    seen = []
    while at.year == 2025:
        seen.append(week_of(at, berlin.tz))
        at = trigger.get_next_fire_time(at, at)
    assert len(seen) == len(set(seen)) == 52
    assert all(b == a.shifted(1) for a, b in zip(seen, seen[1:]))


def test_a_new_installation_does_not_open_with_a_digest_of_a_week_it_never_watched() -> None:
    baku = DigestSchedule(ZoneInfo("Asia/Baku"), 0, datetime.strptime("08:00", "%H:%M").time())
    tuesday = datetime(2025, 9, 9, 10, 0, tzinfo=UTC)              # W36's digest was due Mon 8 Sep 04:00 UTC
    def due(now: datetime, sent: set[str], watching_since: datetime | None) -> list[str]:
        return [w.label for w in baku.due(now, sent=sent, watching_since=watching_since)]

    assert due(tuesday, set(), None) == []
    assert due(tuesday, set(), tuesday - timedelta(hours=1)) == []
    assert due(tuesday, set(), tuesday - timedelta(days=2)) == ["2025-W36"]
    assert due(tuesday, {"2025-W36"}, tuesday - timedelta(days=9)) == []
    # before Monday's send time, W36 is not due yet; W35 would be, had it been missed
    monday_early = datetime(2025, 9, 8, 3, 59, tzinfo=UTC)
    assert due(monday_early, {"2025-W35"}, monday_early - timedelta(days=9)) == []
    assert due(monday_early, set(), monday_early - timedelta(days=9)) == ["2025-W35"]
    assert due(monday_early + timedelta(minutes=1), {"2025-W35"}, monday_early - timedelta(days=9)) == ["2025-W36"]
    # a digest left in the outbox by a failed send goes out again, even into the next week
    assert [w.label for w in baku.due(tuesday + timedelta(days=7), sent={"2025-W37"}, pending={"2025-W36"},
                                      watching_since=tuesday)] == ["2025-W36"]


def test_a_clock_jump_is_noticed_and_the_run_is_due_at_once() -> None:
    t0 = datetime(2025, 9, 3, 12, 0, tzinfo=UTC)
    watch = ClockWatch(t0, 100.0)
    assert watch.observe(t0 + timedelta(seconds=5), 105.0) is None
    assert watch.observe(t0 + timedelta(hours=8, seconds=10), 110.0) == pytest.approx(8 * 3600)   # suspended
    assert watch.observe(t0 + timedelta(hours=7), 115.0) == pytest.approx(-3600 - 15)             # set back
    every = 1800.0
    last = t0
    assert next_run_after(t0 + timedelta(hours=8), last, every) == t0 + timedelta(hours=8)        # overdue
    assert next_run_after(t0 + timedelta(minutes=10), last, every) == t0 + timedelta(minutes=30)
    assert next_run_after(t0 - timedelta(hours=1), last, every) == t0 - timedelta(hours=1)        # went back


class FakeScheduler:
    def __init__(self) -> None:
        self.modified: list[tuple[str, datetime]] = []

    def modify_job(self, job_id: str, next_run_time: datetime) -> None:
        self.modified.append((job_id, next_run_time))

    def get_job(self, job_id: str) -> Any:
        return None


def test_tick_runs_what_is_due_after_a_suspend_and_logs_an_hourly_heartbeat(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = write_config(tmp_path, [{"name": "trend", "feeds": ["http://127.0.0.1:9/feed.rss"]}],
                          extra='[digest]\nrecipients = ["analyst@example.org"]\n')
    clock = FakeClock(datetime(2025, 9, 3, 12, 0, tzinfo=UTC))
    mono = [1000.0]
    daemon = Daemon(config, load_config(config), clock=clock, monotonic=lambda: mono[0])
    daemon.scheduler = FakeScheduler()
    daemon.last_run = (clock.now, "ok")
    with caplog.at_level(logging.INFO, logger="newsmon.commands.daemon"):
        for _ in range(3):                        # a quiet minute: nothing happens
            clock.now += timedelta(seconds=5)
            mono[0] += 5
            daemon.tick()
        assert daemon.scheduler.modified == [] and "heartbeat" not in caplog.text
        clock.now += timedelta(hours=9)            # the laptop slept nine hours
        mono[0] += 5
        daemon.tick()
        assert daemon.scheduler.modified == [("run", clock.now), ("digest", clock.now)]
        assert "the clock jumped +8 h 59 min" in caplog.text
        mono[0] += 3600
        clock.now += timedelta(hours=1)
        daemon.tick()
    heartbeat = [r.getMessage() for r in caplog.records if "heartbeat" in r.getMessage()]
    assert len(heartbeat) == 1 and "last run 2025-09-03 12:00 UTC (ok)" in heartbeat[0]
    assert "next digest Mon 2025-09-08 08:00" in heartbeat[0]


def test_a_job_past_its_deadline_is_abandoned_and_the_schedule_goes_on(tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    config = write_config(tmp_path, [{"name": "trend", "feeds": ["http://127.0.0.1:9/feed.rss"]}],
                          extra='[schedule]\ndigest_deadline = "1s"\n')
    daemon = Daemon(config, load_config(config))
    release = threading.Event()
    daemon.digest_job = lambda: release.wait(30)  # type: ignore[method-assign, assignment, return-value]
    started = time.monotonic()
    try:
        with caplog.at_level(logging.ERROR, logger="newsmon.commands.daemon"):
            daemon._job("digest")             # what APScheduler's worker thread calls
    finally:
        release.set()
    assert 0.9 < time.monotonic() - started < 5
    assert "the digest job is still running after its deadline of 1 s; abandoned" in caplog.text
