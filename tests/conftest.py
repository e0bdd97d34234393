"""Shared fixtures: every test gets its own directory, database and environment; servers are local."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

POSTGRES_URL = os.environ.get("NEWSMON_TEST_POSTGRES_URL", "")


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing from the developer's machine leaks in: cwd, config path, SMTP password."""
    monkeypatch.chdir(tmp_path)
    for var in ("NEWSMON_CONFIG", "NEWSMON_SMTP_PASSWORD", "COLUMNS", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


def _postgres_schema_url() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each backend (PostgreSQL skipped without NEWSMON_TEST_POSTGRES_URL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'newsmon.db'}"
        return
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("NEWSMON_TEST_POSTGRES_URL must be set in CI")
        pytest.skip("NEWSMON_TEST_POSTGRES_URL not set")
    yield from _postgres_schema_url()


@pytest.fixture(scope="module")
def shipped() -> Any:
    """The shipped topic rules (config.toml), compiled."""
    import tomllib

    from newsmon.classifiers import compile_topics

    with (Path(__file__).parent.parent / "config.toml").open("rb") as f:
        return compile_topics(tomllib.load(f)["topics"])


def migrate(store: Any, how: Any, revision: str) -> None:
    """Move a store's schema with an Alembic command (`alembic.command.upgrade` or `.downgrade`) to `revision`:
    how the migration tests make a database of an older schema."""
    from alembic.config import Config

    import newsmon.storage

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(newsmon.storage.__file__).parent / "migrations"))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        how(cfg, revision)


@pytest.fixture
def sites() -> Iterator[Any]:
    from newsmon.demo.sites import SampleSites

    with SampleSites() as s:
        yield s


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run `newsmon ARGS` in a subprocess: (exit code, stdout, stderr)."""
    import subprocess
    import sys

    # env given whole: the C-level environment may hold COLUMNS/LINES that a terminal library set behind os.environ
    proc = subprocess.run([sys.executable, "-m", "newsmon", *args], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ))
    return proc.returncode, proc.stdout, proc.stderr


# ---- digest (issue 5): a database seeded across three ISO weeks ----

DIGEST_TOPIC = "sco_azerbaijan"


def seed_digest_weeks(store: Any) -> dict[str, int]:
    """Tagged and untagged articles around ISO week 2025-W36 (Mon 1 Sep – Sun 7 Sep 2025, Asia/Baku = +04:00).

    In 2025-W36 (tagged): A trend Sun 7 Sep 23:59 Baku; B azernews Mon 1 Sep 00:00 Baku; C newsaz, a reprint of A;
    E azernews, B published again (no date: fetched Wed 3 Sep); F trend Sun 7 Sep 19:30 UTC (23:30 Baku).
    Not in it: D trend untagged (Wed); G trend 7 Sep 20:00 UTC = Mon 8 Sep 00:00 Baku; H trend Mon 8 Sep 00:00
    Baku; P1-P3 in 2025-W35 (P3 on Sun 31 Aug 23:59 Baku). Returns the article ids by letter.
    """
    from datetime import UTC, datetime, timedelta, timezone

    from newsmon.demo.articles import load_sample_articles
    from newsmon.storage.articles import NewArticle, TopicRecord, store_article
    from newsmon.storage.runs import source_ids

    baku = timezone(timedelta(hours=4))
    sco = [r for r in load_sample_articles() if r["sco"]]
    story = ["\n\n".join(r["paragraphs"]) for r in sco]
    now = datetime(2025, 9, 15, 8, 0, tzinfo=UTC)

    def tag(score: float, snippet: str) -> tuple[Any, ...]:
        return (TopicRecord(DIGEST_TOPIC, score, {"SCO": 3, "Azerbaijan": 2}, [snippet]),)

    rows = {
        "A": ("trend", sco[0]["title"], story[0], datetime(2025, 9, 7, 23, 59, tzinfo=baku), 9.0),
        "B": ("azernews", sco[1]["title"], story[1], datetime(2025, 9, 1, 0, 0, tzinfo=baku), 7.0),
        "C": ("newsaz", sco[0]["title"] + " — News.Az", "BAKU (News.Az). " + story[0].replace(" said ", " stated "),
              datetime(2025, 9, 1, 10, 0, tzinfo=baku), 6.0),
        "D": ("trend", "Weather in Baku", "Rain and wind are expected in Baku on Wednesday. " * 5,
              datetime(2025, 9, 3, 12, 0, tzinfo=baku), None),
        "E": ("azernews", sco[1]["title"] + " (updated)", story[1] + "\n\nThe article was updated.", None, 5.0),
        "F": ("trend", sco[2]["title"], story[2], datetime(2025, 9, 7, 19, 30, tzinfo=UTC), 8.0),
        "G": ("trend", sco[3]["title"], story[3], datetime(2025, 9, 7, 20, 0, tzinfo=UTC), 8.0),
        "H": ("trend", sco[4]["title"], story[4], datetime(2025, 9, 8, 0, 0, tzinfo=baku), 8.0),
        "P1": ("trend", sco[2]["title"] + " (W35)", story[2], datetime(2025, 8, 26, 9, 0, tzinfo=baku), 4.0),
        "P2": ("trend", sco[3]["title"] + " (W35)", story[3], datetime(2025, 8, 28, 9, 0, tzinfo=baku), 4.0),
        "P3": ("azernews", sco[4]["title"] + " (W35)", story[4], datetime(2025, 8, 31, 23, 59, tzinfo=baku), 4.0),
    }
    ids: dict[str, int] = {}
    with store.write() as s:
        sources = source_ids(s, ["trend", "azernews", "newsaz"])
        for key, (src, title, text, published, score) in rows.items():
            fetched = datetime(2025, 9, 3, 12, 0, tzinfo=UTC) if published is None else published + timedelta(hours=1)
            topics = () if score is None else tag(score, text.split(". ")[0] + ".")
            ids[key], _ = store_article(s, NewArticle(
                source_id=sources[src], url=f"https://{src}.example/{key.lower()}.html", title=title, author="",
                published=published, fetched=fetched, text=text, summary="", language="en",
                extraction="article", topics=topics), None, now)
    return ids


DIGEST_W36 = {"A", "B", "C", "E", "F"}


# ---- unattended operation (issue 6): a local SMTP server that can be switched off and on ----

class LocalSMTP:
    """aiosmtpd on 127.0.0.1 (no TLS) that keeps its port across stop() and start(): "SMTP is down"."""

    def __init__(self) -> None:
        import socket

        self.messages: list[Any] = []
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted"

    @property
    def up(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        if self._controller is None:
            self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def toml(self) -> str:
        """The [smtp] table that sends here."""
        return f'[smtp]\nhost = "127.0.0.1"\nport = {self.port}\nsecurity = "none"\ntimeout_seconds = 5\n'


@pytest.fixture
def smtp() -> Iterator[LocalSMTP]:
    server = LocalSMTP()
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ---- subscriptions (issue 14): a local web hook that answers what the test says ----

class WebhookSink:
    """An HTTP server on 127.0.0.1 taking Apprise's JSON web hook posts (`json://127.0.0.1:PORT/hook`). It
    answers each POST with the next status of `statuses` (200 once they run out) and keeps every post with the
    status it got, so a test sees the failed attempts and the delivered messages."""

    def __init__(self) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.statuses: list[int] = []
        self.posts: list[tuple[int, dict[str, Any]]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's hook
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = sink.statuses.pop(0) if sink.statuses else 200
                sink.posts.append((status, json.loads(body or b"{}")))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The Apprise URL of this sink."""
        return f"json://127.0.0.1:{self.port}/hook"

    @property
    def delivered(self) -> list[dict[str, Any]]:
        """The messages the sink accepted (status 2xx), oldest first."""
        return [body for status, body in self.posts if 200 <= status < 300]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def webhook() -> Iterator[WebhookSink]:
    sink = WebhookSink()
    try:
        yield sink
    finally:
        sink.close()
