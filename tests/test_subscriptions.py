"""Subscriptions: each reader's topics and cadence (weekly, daily, instant), by email (aiosmtpd) and by chat
(Apprise's JSON web hook to a local sink), with the [digest] table working as before."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from newsmon.commands.digest import run_digest
from newsmon.config import load_config
from newsmon.demo.articles import load_sample_articles
from newsmon.demo.configs import shipped_topics, write_config
from newsmon.demo.sites import SampleSites
from newsmon.digests.week import parse_week
from newsmon.storage.articles import NewArticle, TopicRecord, store_article
from newsmon.storage.engine import open_store
from newsmon.storage.models import DigestOutbox, DigestSent, InstantSent
from newsmon.storage.runs import source_ids
from tests.conftest import LocalSMTP, WebhookSink, migrate, run_cli, seed_digest_weeks
from tests.test_daemon import wait_for
from tests.test_daemon_schedule import FakeClock, Simulation

DATA = Path(__file__).parent / "data" / "legacy_digest"
BAKU = timezone(timedelta(hours=4))
SOURCES = [{"name": n, "title": t, "feeds": [f"http://127.0.0.1:9/{n}.rss"]}
           for n, t in (("trend", "Trend"), ("azernews", "AzerNews"), ("newsaz", "News.Az"))]


def subscriptions_config(tmp_path: Path, smtp: LocalSMTP, subscriptions: str, *, sources: Any = SOURCES,
                         storage_url: str | None = None, digest: str = "", topics: str | None = None) -> Path:
    return write_config(tmp_path, sources, storage_url=storage_url or f"sqlite:///{tmp_path / 'newsmon.db'}",
                        topics=topics, extra=f"""
        [digest]
        sender = "newsmon@example.org"
        {digest}

        {smtp.toml()}
        """ + "\n".join(line.strip() for line in subscriptions.splitlines()))


# ---- config ----

@pytest.mark.parametrize(("table", "key", "says"), [
    ('topics = ["sco", "nonesuch"]', "subscriptions[1].topics[1]", "unknown topic 'nonesuch'"),
    ('cadence = "hourly"', "subscriptions[1].cadence", "got 'hourly'"),
    ('notify = ["slack://bad"]', "subscriptions[1].notify[0]", "is not a URL Apprise can send to"),
    ('notify = ["json://${NEWSMON_TEST_UNSET_HOOK}/hook"]', "subscriptions[1].notify[0]",
     "${NEWSMON_TEST_UNSET_HOOK} is not set in the environment"),
    ('cadence = "weekly"\nmin_score = 3', "subscriptions[1].min_score", "applies to instant subscriptions only"),
    ('cadence = "daily"\nsend_at = "mon 08:00"', "subscriptions[1].send_at", "must look like '08:00'"),
])
def test_bad_subscription_exits_2_at_start_up_naming_the_subscription_and_key(
        tmp_path: Path, smtp: LocalSMTP, table: str, key: str, says: str) -> None:
    config = subscriptions_config(tmp_path, smtp, f"""
        [[subscriptions]]
        name = "fine"
        recipients = ["a@example.org"]

        [[subscriptions]]
        name = "desk"
        recipients = ["desk@example.org"]
        {table}
        """)
    for command in (["run"], ["digest", "--subscription", "fine"], ["status"]):
        code, out, err = run_cli("--config", str(config), *command)
        if command == ["status"] and "Apprise" in says:
            assert code != 2 and "notify" not in err, err   # status sends nothing: it does not load Apprise
            continue
        assert code == 2, (command, out, err)
        assert err.count("\n") == 1 and "Traceback" not in err, err
        assert f'{key} (subscription "desk"): ' in err and says in err, err


def test_a_secret_in_a_notify_url_comes_from_the_environment_and_is_never_shown(
        tmp_path: Path, smtp: LocalSMTP) -> None:
    config = subscriptions_config(tmp_path, smtp, """
        [[subscriptions]]
        name = "chat"
        cadence = "instant"
        notify = ["slack://${NEWSMON_TEST_SLACK_A}/${NEWSMON_TEST_SLACK_B}/${NEWSMON_TEST_SLACK_C}/#sco"]
        """)
    env = {"NEWSMON_TEST_SLACK_A": "T1SECRETA", "NEWSMON_TEST_SLACK_B": "B2SECRETB",
           "NEWSMON_TEST_SLACK_C": "c3secretc3secretc3secretc3"}
    cfg = load_config(config, environ=env)
    open_store(cfg.storage.url).close()
    (target,) = cfg.subscription("chat").notify
    assert "T1SECRETA" in target.url and "T1SECRETA" not in target.template and target.shown == "slack://…"
    os.environ.update(env)
    try:
        code, out, err = run_cli("--config", str(config), "status")
        code_json, out_json, _ = run_cli("--config", str(config), "status", "--json")
    finally:
        for name in env:
            del os.environ[name]
    assert code == code_json == 0, err
    assert "chat: " in out and "slack://…" in out
    assert not any(secret in out + out_json for secret in env.values())
    assert json.loads(out_json)["subscriptions"][0]["notify"] == ["slack://…"]


# ---- the legacy [digest] table ----

def test_the_digest_table_sends_exactly_what_it_sent_before_subscriptions(tmp_path: Path, smtp: LocalSMTP) -> None:
    """tests/data/legacy_digest holds what `newsmon digest` wrote before subscriptions existed (same seed,
    same clock); the [digest] table must still write it byte for byte, with subscriptions beside it."""
    config = subscriptions_config(tmp_path, smtp, """
        [[subscriptions]]
        name = "other"
        topics = ["sco"]
        recipients = ["other@example.org"]
        """, digest='recipients = ["analyst@example.org", "desk@example.org"]')
    cfg = load_config(config)
    store = open_store(cfg.storage.url)
    seed_digest_weeks(store)
    now = datetime(2025, 9, 15, 4, 0, tzinfo=UTC)
    out = tmp_path / "out"
    for week in ("2025-W36", "2025-W30"):
        run_digest(cfg, store, week=parse_week(week, cfg.digest.timezone), dry_run=True, out_dir=out, now=now)
        for suffix in (".txt", ".html"):
            name = f"digest-{week}{suffix}"
            assert (out / name).read_bytes() == (DATA / name).read_bytes(), name
        eml = message_from_bytes((out / f"digest-{week}.eml").read_bytes(), policy=policy.default)
        assert (eml["From"], eml["To"], eml["X-Newsmon-Week"]) == (
            "newsmon@example.org", "analyst@example.org, desk@example.org", week)
        assert eml["Message-ID"].startswith(f"<digest.{week}.")
    sent = run_digest(cfg, store, week=parse_week("2025-W36", cfg.digest.timezone), now=now)
    assert sent.line().startswith("digest 2025-W36: sent to 2 recipients — SCO–Azerbaijan monitor · 2025-W36")
    again = run_digest(cfg, store, week=parse_week("2025-W36", cfg.digest.timezone), now=now)
    assert again.status == "already-sent"
    store.close()
    assert [m["To"] for m in smtp.messages] == ["analyst@example.org, desk@example.org"]


# ---- weekly and daily digests per subscription ----

def seed_two_topics(store: Any) -> dict[str, int]:
    """2025-W36: one article about the SCO alone (topic sco), two about the SCO and Azerbaijan (both topics)."""
    sco = [r for r in load_sample_articles() if r["sco"]]
    both = ("sco", "sco_azerbaijan")
    rows = {"sco-only": ("trend", "SCO ministers meet in Tianjin", ("sco",), datetime(2025, 9, 2, 10, tzinfo=BAKU)),
            "both-1": ("azernews", sco[0]["title"], both, datetime(2025, 9, 3, 11, 0, tzinfo=BAKU)),
            "both-2": ("newsaz", sco[1]["title"], both, datetime(2025, 9, 4, 12, 0, tzinfo=BAKU))}
    ids = {}
    with store.write() as s:
        sources = source_ids(s, ["trend", "azernews", "newsaz"])
        for key, (src, title, topics, published) in rows.items():
            ids[key], _ = store_article(s, NewArticle(
                source_id=sources[src], url=f"https://{src}.example/{key}.html", title=title, author="",
                published=published, fetched=published + timedelta(minutes=30), text=f"{title}. " * 20, summary="",
                language="en", extraction="article",
                topics=tuple(TopicRecord(t, 5.0, {"SCO": 2}, [title]) for t in topics)),
                None, published + timedelta(minutes=30))
    return ids


def test_two_subscriptions_with_different_topics_receive_different_digests(
        tmp_path: Path, smtp: LocalSMTP, webhook: WebhookSink) -> None:
    config = subscriptions_config(tmp_path, smtp, f"""
        [[subscriptions]]
        name = "sco-desk"
        topics = ["sco"]
        recipients = ["sco-desk@example.org"]
        title = "SCO desk"

        [[subscriptions]]
        name = "caucasus"
        topics = ["sco_azerbaijan"]
        recipients = ["caucasus@example.org"]
        notify = ["{webhook.url}"]
        """)
    store = open_store(load_config(config).storage.url)
    seed_two_topics(store)
    store.close()
    for name in ("sco-desk", "caucasus"):
        code, out, err = run_cli("--config", str(config), "digest", "--subscription", name, "--week", "2025-W36")
        assert (code, err) == (0, ""), err
    assert f"subscription caucasus 2025-W36: sent to 1 recipient and json://127.0.0.1:{webhook.port}/…" in out
    desk, caucasus = smtp.messages
    assert desk["To"] == "sco-desk@example.org" and caucasus["To"] == "caucasus@example.org"
    assert desk["Subject"] == "SCO desk · 2025-W36 (1–7 Sep) · 3 articles"
    assert caucasus["Subject"] == "SCO–Azerbaijan monitor · 2025-W36 (1–7 Sep) · 2 articles"
    desk_text = desk.get_body(("plain",)).get_content()
    caucasus_text = caucasus.get_body(("plain",)).get_content()
    assert "SCO ministers meet in Tianjin" in desk_text and "SCO ministers meet in Tianjin" not in caucasus_text
    (chat,) = webhook.delivered
    assert chat["title"] == caucasus["Subject"]
    assert "SCO and Azerbaijan: 2 articles" in chat["message"] and "Tianjin" not in chat["message"]
    assert "https://azernews.example/both-1.html" in chat["message"]
    # each has its own send log: sending one again is refused, the other's week is untouched
    code, out, _ = run_cli("--config", str(config), "digest", "--subscription", "caucasus", "--week", "2025-W36")
    assert code == 0 and "already sent" in out
    code, out, _ = run_cli("--config", str(config), "digest", "--week", "2025-W36", "--dry-run")
    assert code == 0 and out.startswith("digest 2025-W36: not sent (--dry-run)")
    assert len(smtp.messages) == 2 and len(webhook.posts) == 1


def test_daily_subscription_sends_one_message_per_day_across_the_spring_dst_change_in_berlin(
        tmp_path: Path, smtp: LocalSMTP) -> None:
    """02:30 does not exist in Europe/Berlin on Sun 29 Mar 2026: that day's send is at 03:30 summer time, the
    day itself lasts 23 hours, and every day still gets exactly one message."""
    config = subscriptions_config(tmp_path, smtp, """
        [[subscriptions]]
        name = "berlin-daily"
        cadence = "daily"
        send_at = "02:30"
        timezone = "Europe/Berlin"
        recipients = ["berlin@example.org"]

        [schedule]
        fetch_every = "5h"
        """)
    start, until = datetime(2026, 3, 25, 0, 0, tzinfo=UTC), datetime(2026, 4, 2, 0, 0, tzinfo=UTC)
    sim = Simulation(config, FakeClock(start), smtp)
    never = (until + timedelta(days=30), until + timedelta(days=31))
    sim.run(until, off=never, smtp_down=never)
    days = [m["X-Newsmon-Day"] for m in smtp.messages]
    assert days == [f"2026-03-{d}" for d in range(24, 32)]
    assert all(m["To"] == "berlin@example.org" for m in smtp.messages)
    store = open_store(load_config(config).storage.url)
    with store.read() as s:
        rows = s.scalars(select(DigestSent).where(DigestSent.subscription == "berlin-daily"))
        sent = {r.week: r.sent_at for r in rows}
    store.close()
    berlin = ZoneInfo("Europe/Berlin")
    assert sent["2026-03-27"].astimezone(berlin).strftime("%d %H:%M %Z") == "28 02:30 CET"
    assert sent["2026-03-28"].astimezone(berlin).strftime("%d %H:%M %Z") == "29 03:30 CEST"   # 02:30 skipped
    assert sent["2026-03-29"].astimezone(berlin).strftime("%d %H:%M %Z") == "30 02:30 CEST"
    day = [m for m in smtp.messages if m["X-Newsmon-Day"] == "2026-03-29"][0].get_body(("plain",)).get_content()
    assert "day 2026-03-29 (Sun 29 Mar 2026)" in day
    assert "Day 2026-03-29: Sun 29 Mar 2026 00:00 to Mon 30 Mar 2026 00:00 (Europe/Berlin)" in day


def test_digest_command_takes_day_for_daily_and_week_for_weekly(tmp_path: Path, smtp: LocalSMTP) -> None:
    config = subscriptions_config(tmp_path, smtp, """
        [[subscriptions]]
        name = "daily"
        cadence = "daily"
        recipients = ["d@example.org"]
        """)
    code, _, err = run_cli("--config", str(config), "digest", "--subscription", "daily", "--week", "2025-W36")
    assert code == 2 and "--week is for a weekly subscription; this one is daily (--day)" in err
    code, _, err = run_cli("--config", str(config), "digest", "--subscription", "daily", "--day", "2025-02-30")
    assert code == 2 and "2025-02-30" in err and "Traceback" not in err
    code, _, err = run_cli("--config", str(config), "digest", "--subscription", "nobody")
    assert code == 2 and "unknown subscription 'nobody' (configured: daily)" in err
    code, out, err = run_cli("--config", str(config), "digest", "--subscription", "daily", "--day", "2025-09-03",
                             "--dry-run", "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert out.startswith("subscription daily 2025-09-03: not sent (--dry-run) — SCO–Azerbaijan monitor · "
                          "2025-09-03 (Wed 3 Sep) · no articles")
    assert (tmp_path / "out" / "digest-daily-2025-09-03.html").is_file()


# ---- instant ----

def instant_records(now: datetime) -> list[dict[str, Any]]:
    """The sample articles published in the last hours (the SCO ones among them qualify), one SCO article of
    last month that the feed still lists and an older one only in the archive, and one about a "Shanghai
    bloc" that the shipped rules do not tag."""
    records = load_sample_articles()
    for i, rec in enumerate(records):
        rec["published"] = (now - timedelta(hours=2 + i)).astimezone(BAKU).isoformat()
    old = dict(next(r for r in records if r["sco"] and r["site"] == "trend"), id=4099001,
               slug="sco-summit-last-month", published=(now - timedelta(days=40)).astimezone(BAKU).isoformat())
    archived = dict(old, id=4099003, slug="sco-archive-only", title="SCO envoys met in Baku last month",
                    published=(now - timedelta(days=42)).astimezone(BAKU).isoformat())
    bloc = dict(next(r for r in records if not r["sco"] and r["site"] == "trend"), id=4099002,
                slug="shanghai-bloc", title="Baku weighs a closer role in the Shanghai bloc",
                paragraphs=["BAKU, Azerbaijan. Azerbaijan is weighing a closer role in the Shanghai bloc, "
                            "officials in Baku said on Monday.", "The Shanghai bloc meets again next year."])
    return [*records, old, archived, bloc]


def instant_config(tmp_path: Path, smtp: LocalSMTP, webhook: WebhookSink, sites: SampleSites, db_url: str,
                   topics: str | None = None) -> Path:
    return subscriptions_config(tmp_path, smtp, f"""
        [[subscriptions]]
        name = "alerts"
        cadence = "instant"
        topics = ["sco_azerbaijan"]
        recipients = ["alerts@example.org"]
        notify = ["{webhook.url}"]

        [[subscriptions]]
        name = "sco-chat"
        cadence = "instant"
        topics = ["sco"]
        notify = ["{webhook.url}"]
        min_score = 2
        title = "SCO chat"

        [schedule]
        fetch_every = "1h"
        """, sources=sites.source_config(), storage_url=db_url, topics=topics)


def alerted(smtp: LocalSMTP, webhook: WebhookSink) -> dict[str, list[str]]:
    """Every link sent, in order: to 'alerts' by email and by chat, to 'sco-chat' (titled "SCO chat") by chat."""
    def links(text: str) -> list[str]:
        return [line.strip() for line in text.splitlines() if line.strip().startswith("http")]

    return {"email": [u for m in smtp.messages for u in links(m.get_body(("plain",)).get_content())],
            "alerts-chat": [u for b in webhook.delivered if not b["title"].startswith("SCO chat")
                            for u in links(b["message"])],
            "sco-chat": [u for b in webhook.delivered if b["title"].startswith("SCO chat")
                         for u in links(b["message"])]}


def tagged(config: Path, topic: str, min_score: float = 0.0) -> set[str]:
    code, out, err = run_cli("--config", str(config), "export", "--topic", topic)
    assert code == 0, err
    return {r["url"] for r in map(json.loads, out.splitlines()) if r["matches"][topic]["score"] >= min_score}


def test_instant_sends_each_article_once_across_runs_a_daemon_restart_a_reclassify_and_a_backfill(
        tmp_path: Path, smtp: LocalSMTP, webhook: WebhookSink, db_url: str) -> None:
    now = datetime.now(UTC)
    records = instant_records(now)
    in_trend_feed = sum(1 for r in records if r["site"] == "trend") - 1    # all but the archive-only one
    with SampleSites(records, feed_depth=in_trend_feed) as sites:
        config = instant_config(tmp_path, smtp, webhook, sites, db_url)
        url = {r.get("slug"): sites.article_url(r) for r in sites.articles}
        sco_azerbaijan = {sites.article_url(r) for r in sites.articles if r["sco"]} - {
            url["sco-summit-last-month"], url["sco-archive-only"]}
        # run 1: every recent SCO article, once to each channel; the one of last month stays out
        code, out, err = run_cli("--config", str(config), "run")
        assert code == 0, err
        assert "instant alerts: " in out and "instant sco-chat: " in out
        old = url["sco-summit-last-month"]
        assert old in tagged(config, "sco_azerbaijan")                     # stored and tagged, but old news
        assert url["sco-archive-only"] not in tagged(config, "sco_azerbaijan")
        first = alerted(smtp, webhook)
        assert sorted(first["email"]) == sorted(first["alerts-chat"]) == sorted(sco_azerbaijan)
        assert set(first["sco-chat"]) == tagged(config, "sco", 2.0) - {old} >= sco_azerbaijan
        assert len(smtp.messages) == 1 and len(webhook.delivered) == 2      # one message per channel and run
        # run 2: a new article, and only it
        new = dict(next(r for r in load_sample_articles() if r["sco"] and r["site"] == "azernews"), id=9100001,
                   slug="new-one", title="SCO observers arrive in Baku",
                   published=(now - timedelta(minutes=20)).astimezone(BAKU).isoformat())
        sites.add_article(new)
        code, out, err = run_cli("--config", str(config), "run")
        assert code == 0, err
        assert [m.get_body(("plain",)).get_content().count("http") for m in smtp.messages[1:]] == [1]
        assert alerted(smtp, webhook)["email"][-1] == sites.article_url(new)
        # run 3 and a daemon restart (its own first run): nothing new, nothing sent
        code, out, err = run_cli("--config", str(config), "run")
        assert code == 0 and "instant" not in out, out
        log = tmp_path / "daemon.log"
        with log.open("w") as stderr:
            proc = subprocess.Popen([sys.executable, "-m", "newsmon", "--config", str(config), "daemon"],
                                    stdout=subprocess.DEVNULL, stderr=stderr, text=True)
        try:
            wait_for(lambda: "run: " in log.read_text(), timeout=60, what="the daemon's first run")
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=15) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
        assert "Traceback" not in log.read_text()
        assert len(smtp.messages) == 2 and len(webhook.delivered) == 4
        # a backfill of last month stores the article only the archive has: nothing goes out
        since = (now - timedelta(days=45)).astimezone(BAKU).date().isoformat()
        until = (now - timedelta(days=30)).astimezone(BAKU).date().isoformat()
        code, out, err = run_cli("--config", str(config), "backfill", "--since", since, "--until", until,
                                 "--source", "trend")
        assert code == 0, err
        assert url["sco-archive-only"] in tagged(config, "sco_azerbaijan")
        code, out, err = run_cli("--config", str(config), "run")
        assert code == 0 and "instant" not in out
        # a rule change that tags the recent "Shanghai bloc" article: reclassify sends it, once
        config.write_text(config.read_text().replace('"SCO", "SCO+", "SCO Plus",', '"SCO", "SCO+", "SCO Plus", '
                                                     '"Shanghai bloc",', 1))
        code, out, err = run_cli("--config", str(config), "reclassify")
        assert code == 0, err
        assert "instant alerts: 1 new article" in out
        bloc = url["shanghai-bloc"]
        assert alerted(smtp, webhook)["email"][-1] == bloc
        code, out, err = run_cli("--config", str(config), "reclassify")
        assert code == 0 and "instant" not in out
        code, out, err = run_cli("--config", str(config), "run")
        assert code == 0 and "instant" not in out
    final = alerted(smtp, webhook)
    assert sorted(final["email"]) == sorted(final["alerts-chat"]) == sorted([*sco_azerbaijan, sites.article_url(new),
                                                                             bloc])
    assert len(final["sco-chat"]) == len(set(final["sco-chat"]))        # never twice
    assert set(final["sco-chat"]) == tagged(config, "sco", 2.0) - {old, url["sco-archive-only"]}
    store = open_store(db_url)
    with store.read() as s:
        marked = s.execute(select(InstantSent.subscription, InstantSent.article_id)).all()
        assert s.scalars(select(DigestOutbox)).all() == []
    store.close()
    assert len(marked) == len(set(marked))


def test_a_web_hook_that_fails_gets_the_message_once_on_the_next_run_and_the_run_still_exits_0(
        tmp_path: Path, smtp: LocalSMTP, webhook: WebhookSink) -> None:
    now = datetime.now(UTC)
    with SampleSites(instant_records(now)) as sites:
        config = subscriptions_config(tmp_path, smtp, f"""
            [[subscriptions]]
            name = "hook"
            cadence = "instant"
            notify = ["{webhook.url}"]
            """, sources=sites.source_config())
        webhook.statuses = [500]
        code, out, err = run_cli("--config", str(config), "run")
        assert code == 0, err
        assert "instant hook: " in out and "1 waiting for the next run" in out and "500" in out
        assert [status for status, _ in webhook.posts] == [500] and webhook.delivered == []
        code, out, _ = run_cli("--config", str(config), "status")
        assert "waiting: " in out and "1 failed attempt" in out and "the next run sends it again" in out
        status = json.loads(run_cli("--config", str(config), "status", "--json")[1])
        (waiting,) = status["subscriptions"][0]["waiting"]
        assert waiting["channel"] == f"json://127.0.0.1:{webhook.port}/…" and waiting["attempts"] == 1
        code, out, err = run_cli("--config", str(config), "run")
        assert code == 0, err
        assert f"instant hook: 0 new articles, sent 1 message (json://127.0.0.1:{webhook.port}/…)" in out
        code, out, err = run_cli("--config", str(config), "run")
        assert code == 0 and "instant" not in out
    assert [status for status, _ in webhook.posts] == [500, 200]
    assert webhook.posts[0][1] == webhook.posts[1][1]                    # the same message, kept
    recent_sco = sum(1 for r in sites.articles if r["sco"]) - 2           # not the two of last month
    assert webhook.delivered[0]["message"].count("http") == recent_sco
    code, out, _ = run_cli("--config", str(config), "status")
    assert "waiting" not in out and "last sent: " in out


def test_status_shows_each_subscriptions_last_send_next_send_and_what_waits(
        tmp_path: Path, smtp: LocalSMTP) -> None:
    config = subscriptions_config(tmp_path, smtp, """
        [[subscriptions]]
        name = "weekly-desk"
        topics = ["sco"]
        recipients = ["a@example.org"]

        [[subscriptions]]
        name = "daily-desk"
        cadence = "daily"
        send_at = "07:30"
        timezone = "Europe/Berlin"
        recipients = ["b@example.org"]
        """)
    store = open_store(load_config(config).storage.url)
    seed_two_topics(store)
    store.close()
    code, out, err = run_cli("--config", str(config), "digest", "--subscription", "weekly-desk", "--week", "2025-W36")
    assert code == 0, err
    smtp.stop()
    code, _, err = run_cli("--config", str(config), "digest", "--subscription", "daily-desk", "--day", "2025-09-03")
    assert code == 1 and "subscription daily-desk 2025-09-03 not sent: smtp 127.0.0.1" in err
    assert "the next `newsmon digest --subscription daily-desk` sends the same message" in err
    code, out, err = run_cli("--config", str(config), "status")
    assert code == 0, err
    section = out[out.index("\nSubscriptions\n"):]
    assert "weekly-desk: sco; weekly at mon 08:00 Asia/Baku; to 1 email recipient" in section
    assert "last sent: 2025-W36 to email, " in section
    assert "daily-desk: sco, sco_azerbaijan; daily at 07:30 Europe/Berlin" in section
    assert "waiting: 2025-09-03 to email (SCO–Azerbaijan monitor · 2025-09-03 (Wed 3 Sep) · 1 article); " \
           "1 failed attempt" in " ".join(section.split())
    (weekly, daily) = json.loads(run_cli("--config", str(config), "status", "--json")[1])["subscriptions"]
    assert weekly["last_sent"]["period"] == "2025-W36" and weekly["next_send"]
    assert daily["last_sent"] is None and daily["waiting"][0]["week"] == "2025-09-03"
    smtp.start()
    code, out, err = run_cli("--config", str(config), "digest", "--subscription", "daily-desk", "--day", "2025-09-03")
    assert code == 0 and "(the message kept from the failed send)" in out, err


def test_migration_0007_keeps_the_sends_and_the_waiting_digest_of_before(db_url: str) -> None:
    from alembic import command

    store = open_store(db_url)
    migrate(store, command.downgrade, "0006")
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO digests_sent (week, topics, recipients, message_id, subject, articles, sent_at) "
                          "VALUES ('2025-W35', '[]', '[\"a@example.org\"]', '<m1>', 'W35', 3, :at)"),
                     {"at": datetime(2025, 9, 1, 4, 0)})
        conn.execute(text("INSERT INTO digest_outbox (week, topics, recipients, message_id, subject, articles, "
                          "message, created_at, attempts) VALUES ('2025-W36', '[]', '[\"a@example.org\"]', "
                          "'<m2>', 'W36', 5, :m, :at, 1)"), {"m": b"raw", "at": datetime(2025, 9, 8, 4, 0)})
    store.close()
    store = open_store(db_url)                              # upgraded on opening
    with store.read() as s:
        (sent,) = s.scalars(select(DigestSent)).all()
        (kept,) = s.scalars(select(DigestOutbox)).all()
    store.close()
    assert (sent.subscription, sent.channel, sent.week, sent.message_id) == ("digest", "email", "2025-W35", "<m1>")
    assert (kept.subscription, kept.channel, kept.week, bytes(kept.message), kept.attempts) == (
        "digest", "email", "2025-W36", b"raw", 1)


def test_shipped_and_documented_notify_examples_are_urls_apprise_accepts() -> None:
    """The README's and config.toml's examples, with their ${VAR}s filled in, are URLs Apprise can send to."""
    import re

    from newsmon.digests.chat import problem
    from newsmon.digests.settings import ChatTarget

    root = Path(__file__).parent.parent
    text = (root / "README.md").read_text("utf-8") + (root / "config.toml").read_text("utf-8") + shipped_topics()
    urls = set(re.findall(r'"((?:slack|mmosts?|msteams|tgram|json)://[^"]+)"', text))
    assert len(urls) >= 4
    for template in urls:
        url = re.sub(r"\$\{(\w+)\}", lambda m: {"SLACK_TOKEN_A": "T1JJ3T3L2", "SLACK_A": "T1JJ3T3L2",
                                                  "SLACK_TOKEN_B": "A1BRTD4JD", "SLACK_B": "A1BRTD4JD"}.get(
                         m.group(1), "TIiajkdnlazkcOXrIdevi7FQ"), template)
        assert problem(ChatTarget(template=template, url=url)) is None, template


def test_the_daemon_names_the_next_digest_among_every_subscription(tmp_path: Path, smtp: LocalSMTP) -> None:
    from newsmon.commands.daemon import Daemon

    config = subscriptions_config(tmp_path, smtp, """
        [[subscriptions]]
        name = "a"
        cadence = "daily"
        send_at = "06:00"
        recipients = ["a@example.org"]

        [[subscriptions]]
        name = "b"
        cadence = "daily"
        send_at = "06:00"
        recipients = ["b@example.org"]

        [[subscriptions]]
        name = "berlin"
        cadence = "weekly"
        send_at = "mon 05:00"
        timezone = "Europe/Berlin"
        recipients = ["c@example.org"]
        """)
    sunday = datetime(2025, 9, 7, 12, 0, tzinfo=UTC)
    daemon = Daemon(config, load_config(config), clock=lambda: sunday)
    assert daemon._next_digest_text(sunday) == "next digest (a) Mon 2025-09-08 06:00 +04"   # a and b at once
    (_, trigger, _) = [job for job in daemon.jobs(sunday) if job[0] == "digest"][0]
    fires = [trigger.get_next_fire_time(None, sunday)]
    for _ in range(3):
        fires.append(trigger.get_next_fire_time(fires[-1], fires[-1]))
    assert fires == [datetime(2025, 9, 8, 2, 0, tzinfo=UTC), datetime(2025, 9, 8, 3, 0, tzinfo=UTC),   # berlin
                     datetime(2025, 9, 9, 2, 0, tzinfo=UTC), datetime(2025, 9, 10, 2, 0, tzinfo=UTC)]
    daemon.close()
