"""The workbench over HTTP (Starlette's test client): every page, the feed, search, downloads, judgements,
and what keeps it safe (CSRF, log-in off loopback, escaping, headers)."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from starlette.testclient import TestClient

from newsmon.config import compile_rules, load_config
from newsmon.demo.configs import write_config
from newsmon.demo.sample_week import SAMPLE_WEEK, TOPIC, seed_sample
from newsmon.storage.articles import NewArticle, store_article
from newsmon.storage.engine import Store, open_store
from newsmon.storage.runs import source_ids
from newsmon.web.app import create_app
from newsmon.web.security import Gate, hash_password
from newsmon.web.workbench import Workbench
from tests.conftest import run_cli

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)       # Saturday of the sample week, 2026-W47 (Baku)
SOURCES = [{"name": "trend", "title": "Trend", "feeds": ["http://127.0.0.1:9/rss"]},
           {"name": "azernews", "title": "AzerNews", "feeds": ["http://127.0.0.1:9/rss"]},
           {"name": "newsaz", "title": "News.Az", "feeds": ["http://127.0.0.1:9/rss"]}]


class Bench:
    def __init__(self, tmp_path: Path, db_url: str, extra: str = "", token: str = "") -> None:
        self.config = write_config(tmp_path, SOURCES, storage_url=db_url, extra=extra)
        self.cfg = load_config(self.config)
        self.store: Store = open_store(db_url)
        seed_sample(self.store, NOW)
        self.wb = Workbench(self.cfg, self.store, compile_rules(self.cfg), Gate(self.cfg.serve.users, token),
                            clock=lambda: NOW)
        self.client = TestClient(create_app(self.wb))

    def tagged(self) -> list[int]:
        with self.store.read() as s:
            from newsmon.digests.week import parse_week
            from newsmon.storage.digests import tagged_between

            week = parse_week(SAMPLE_WEEK, self.cfg.digest.timezone)
            return [r.article_id for r in tagged_between(s, TOPIC, week.start, week.end, text_chars=10)]

    def csrf(self, page: str) -> str:
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
        assert found, "no CSRF token in the page"
        return found.group(1)

    def judge(self, article_id: int, verdict: str, *, topic: str = TOPIC, note: str = "", csrf: str | None = None,
              **kw: Any) -> Any:
        if csrf is None:
            csrf = self.csrf(self.client.get(f"/articles/{article_id}").text)
        return self.client.post(f"/articles/{article_id}/judgements", data={
            "csrf": csrf, "topic": topic, "verdict": verdict, "note": note, "next": f"/articles/{article_id}"},
            follow_redirects=False, **kw)


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Bench]:
    b = Bench(tmp_path, f"sqlite:///{tmp_path / 'newsmon.db'}")
    yield b
    b.client.close()
    b.store.close()


@pytest.fixture
def bench_on(tmp_path: Path, db_url: str) -> Iterator[Bench]:
    b = Bench(tmp_path, db_url)
    yield b
    b.client.close()
    b.store.close()


def test_every_page_answers_with_the_security_headers(bench: Bench) -> None:
    article_id = bench.tagged()[0]
    for path in ("/", "/search", "/search?q=Azerbaijan", f"/articles/{article_id}", "/weeks/", f"/weeks/{SAMPLE_WEEK}",
                 f"/topics/{TOPIC}", f"/topics/{TOPIC}.atom", "/health", "/health?format=json", "/digest.css",
                 "/static/style.css"):
        r = bench.client.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        assert r.headers["content-security-policy"].startswith("default-src 'self'"), path
        assert r.headers["x-content-type-options"] == "nosniff"


def test_home_shows_each_topic_this_week_with_stories_and_each_source(bench: Bench) -> None:
    page = bench.client.get("/").text
    assert f"Week {SAMPLE_WEEK}" in page
    assert f'href="/topics/{TOPIC}"' in page
    assert page.count('href="/articles/') >= 3
    for title in ("Trend", "AzerNews", "News.Az"):
        assert f"<td>{title}</td>" in page
    chart = re.search(r'<img class="chart" src="([^"]+)"', page)
    assert chart
    png = bench.client.get(chart.group(1))
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_nothing_is_loaded_from_another_host(bench: Bench) -> None:
    for path in ("/", f"/articles/{bench.tagged()[0]}", f"/weeks/{SAMPLE_WEEK}", "/search?q=SCO"):
        page = bench.client.get(path).text
        assert not re.search(r'(src|href)="(https?:)?//(?!www\.|en\.trend|news\.az|azernews)', page), path
        assert "<script" not in page and " style=" not in page, path


def test_search_ranks_marks_and_pages(bench: Bench) -> None:
    r = bench.client.get("/search", params={"q": "Shanghai Cooperation"})
    assert r.status_code == 200
    assert "<mark>" in r.text
    found = int(re.search(r"([\d,]+) articles?", r.text).group(1).replace(",", ""))
    assert found >= 3
    none = bench.client.get("/search", params={"q": "Shanghai -Cooperation -Organisation -Organization -SCO"})
    assert none.status_code == 200


@pytest.mark.parametrize("query", ['"unbalanced', "OR", "SCO OR", "-", "-SCO", "*"])
def test_a_malformed_query_is_a_message_on_the_page_not_an_error(bench: Bench, query: str) -> None:
    r = bench.client.get("/search", params={"q": query})
    assert r.status_code == 400
    assert 'class="error"' in r.text and "Traceback" not in r.text


def test_search_filters_and_bad_filters(bench: Bench) -> None:
    r = bench.client.get("/search", params={"q": "Azerbaijan", "source": "newsaz"})
    assert r.status_code == 200 and "News.Az" in r.text
    assert bench.client.get("/search", params={"q": "Azerbaijan", "since": "yesterday"}).status_code == 400
    assert bench.client.get("/search", params={"q": "Azerbaijan", "topic": "nope"}).status_code == 400
    assert bench.client.get("/search", params={"q": "x" * 500}).status_code == 400


def test_search_results_download_as_csv_and_jsonl_export_records(bench: Bench) -> None:
    page = bench.client.get("/search", params={"q": "SCO"}).text
    total = int(re.search(r"([\d,]+) articles?", page).group(1).replace(",", ""))
    jsonl = bench.client.get("/search", params={"q": "SCO", "format": "jsonl"})
    assert jsonl.status_code == 200 and "attachment" in jsonl.headers["content-disposition"]
    records = [json.loads(line) for line in jsonl.text.splitlines()]
    assert len(records) == total
    assert {"id", "source", "url", "title", "text", "topics", "matches", "judgements"} <= set(records[0])
    rows = list(csv.DictReader(io.StringIO(bench.client.get("/search", params={"q": "SCO", "format": "csv"}).text)))
    assert [int(r["id"]) for r in rows] == [r["id"] for r in records]


def test_article_page_highlights_the_terms_that_fired_per_group(bench: Bench) -> None:
    article_id = bench.tagged()[0]
    page = bench.client.get(f"/articles/{article_id}").text
    assert "Why it matched" in page and "score " in page
    assert re.search(r'<mark title="sco_azerbaijan · [^"]+">', page)
    assert "<td>sco</td>" in page.lower() or "sco" in page
    assert "the original" in page


def test_an_empty_archive_answers_every_page_and_lists_no_week(tmp_path: Path) -> None:
    config = write_config(tmp_path, SOURCES)
    cfg = load_config(config)
    with open_store(f"sqlite:///{tmp_path / 'newsmon.db'}") as store:
        client = TestClient(create_app(Workbench(cfg, store, compile_rules(cfg), Gate({}), clock=lambda: NOW)))
        for path in ("/", "/search?q=SCO", "/search?q=SCO&format=csv", f"/weeks/{SAMPLE_WEEK}",
                     f"/topics/{TOPIC}", f"/topics/{TOPIC}.atom", "/health"):
            assert client.get(path).status_code == 200, path
        weeks = client.get("/weeks/").text
        assert "Nothing stored yet." in weeks and 'href="/weeks/2026-W' not in weeks
        client.close()


def test_unknown_pages_are_404_with_a_message(bench: Bench) -> None:
    for path in ("/articles/999999", "/topics/nope", "/topics/nope.atom", "/weeks/2026-W99", "/nowhere"):
        r = bench.client.get(path)
        assert r.status_code == 404, path


def test_topic_feed_is_atom_that_feedparser_reads(bench: Bench) -> None:
    r = bench.client.get(f"/topics/{TOPIC}.atom")
    assert r.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(r.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert len(feed.entries) == len(set(bench.tagged()) | set()) or len(feed.entries) >= len(bench.tagged())
    first = feed.entries[0]
    assert first.title and first.link.startswith("https://")
    assert first.published_parsed is not None


def test_judgements_need_a_csrf_token_a_known_topic_and_a_known_article(bench: Bench) -> None:
    article_id = bench.tagged()[0]
    assert bench.judge(article_id, "not_relevant", csrf="0" * 64).status_code == 403
    assert bench.judge(article_id, "not_relevant", topic="nope").status_code == 400
    assert bench.judge(article_id, "maybe").status_code == 400
    token = bench.csrf(bench.client.get(f"/articles/{article_id}").text)
    assert bench.judge(999999, "relevant", csrf=token).status_code == 404
    assert bench.client.get(f"/articles/{article_id}/judgements").status_code == 405
    precision = bench.client.get(f"/topics/{TOPIC}").text
    assert "No tagged article has been judged yet" in precision


def test_judging_changes_precision_and_takes_the_article_out_of_the_week(bench_on: Bench) -> None:
    bench = bench_on
    ids = bench.tagged()
    week = bench.client.get(f"/weeks/{SAMPLE_WEEK}").text
    leads = [int(i) for i in re.findall(r'href="/articles/(\d+)">why it matched', week)]
    assert leads
    out = leads[0]
    r = bench.judge(out, "not_relevant", note="a football match in Baku")
    assert r.status_code == 303 and r.headers["location"] == f"/articles/{out}"
    keep = next(i for i in ids if i != out)
    assert bench.judge(keep, "relevant").status_code == 303
    topic = bench.client.get(f"/topics/{TOPIC}").text
    assert "50%" in topic and "1 relevant, 1 not relevant" in topic
    assert "a football match in Baku" in topic
    week = bench.client.get(f"/weeks/{SAMPLE_WEEK}").text
    assert f'href="/articles/{out}">why it matched' not in week
    assert f"/articles/{out}" not in bench.client.get(f"/topics/{TOPIC}.atom").text
    # the latest judgement counts: relevant again brings it back
    assert bench.judge(out, "relevant").status_code == 303
    assert f'href="/articles/{out}">why it matched' in bench.client.get(f"/weeks/{SAMPLE_WEEK}").text
    assert "100%" in bench.client.get(f"/topics/{TOPIC}").text
    page = bench.client.get(f"/articles/{out}").text
    assert "judged relevant by local" in page


def test_search_finds_on_both_backends_and_export_carries_the_judgement(bench_on: Bench) -> None:
    bench = bench_on
    r = bench.client.get("/search", params={"q": '"Shanghai Cooperation Organisation" OR SCO', "topic": TOPIC})
    assert r.status_code == 200
    hit = int(re.search(r'<a class="title" href="/articles/(\d+)"', r.text).group(1))
    token = bench.csrf(r.text)
    back = f"/search?q=SCO&topic={TOPIC}"
    resp = bench.client.post(f"/articles/{hit}/judgements", data={
        "csrf": token, "topic": TOPIC, "verdict": "not_relevant", "next": back}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == back
    records = [json.loads(x) for x in bench.client.get(
        "/search", params={"q": "SCO", "format": "jsonl"}).text.splitlines()]
    judged = next(rec for rec in records if rec["id"] == hit)
    assert judged["judgements"] == {TOPIC: "not_relevant"}


def test_a_next_that_leaves_the_site_is_not_followed(bench: Bench) -> None:
    article_id = bench.tagged()[0]
    token = bench.csrf(bench.client.get(f"/articles/{article_id}").text)
    for bad in ("//evil.invalid/x", "https://evil.invalid/", "/\\evil.invalid"):
        r = bench.client.post(f"/articles/{article_id}/judgements", data={
            "csrf": token, "topic": TOPIC, "verdict": "relevant", "next": bad}, follow_redirects=False)
        assert r.headers["location"] == f"/articles/{article_id}"


def test_a_title_carrying_a_script_is_shown_as_text(bench: Bench) -> None:
    with bench.store.write() as s:
        ids = source_ids(s, ["trend"])
        article_id, _ = store_article(s, NewArticle(
            source_id=ids["trend"], url="https://en.trend.az/x/1.html", title="<script>alert(1)</script> SCO Baku",
            author="", published=NOW, fetched=NOW, text="Azerbaijan and the SCO <b>met</b> in Baku.", summary="",
            language="en", extraction="article"), None, NOW)
    for path in (f"/articles/{article_id}", "/search?q=alert"):
        page = bench.client.get(path).text
        assert "<script>" not in page and "&lt;script&gt;" in page, path
        assert "<b>met</b>" not in page


def test_users_must_log_in_and_a_bearer_token_works(tmp_path: Path) -> None:
    hashed = hash_password("correct horse")
    b = Bench(tmp_path, f"sqlite:///{tmp_path / 'n.db'}", token="t" * 32,
              extra=f'[serve]\nusers = [{{name = "ana", password_hash = "{hashed}"}}]\ntoken_env = "NEWSMON_T"\n')
    try:
        r = b.client.get("/")
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")
        assert r.headers["content-security-policy"].startswith("default-src 'self'")
        bad = base64.b64encode(b"ana:wrong").decode()
        assert b.client.get("/", headers={"authorization": f"Basic {bad}"}).status_code == 401
        good = {"authorization": "Basic " + base64.b64encode(b"ana:correct horse").decode()}
        page = b.client.get("/", headers=good)
        assert page.status_code == 200 and ">ana<" in page.text
        assert b.client.get("/health", headers={"authorization": "Bearer " + "t" * 32}).status_code == 200
        assert b.client.get("/health", headers={"authorization": "Bearer nope"}).status_code == 401
        article_id = b.tagged()[0]
        token = b.csrf(b.client.get(f"/articles/{article_id}", headers=good).text)
        assert b.judge(article_id, "relevant", csrf=token, headers=good).status_code == 303
        assert "judged relevant by ana" in b.client.get(f"/articles/{article_id}", headers=good).text
    finally:
        b.client.close()
        b.store.close()


def test_serve_off_loopback_without_log_in_refuses_to_start(tmp_path: Path) -> None:
    config = write_config(tmp_path, SOURCES)
    code, out, err = run_cli("--config", str(config), "serve", "--host", "0.0.0.0", "--port", "0")
    assert code == 2
    assert err.count("\n") == 1 and "0.0.0.0" in err and "users or token_env" in err and "Traceback" not in err


def test_bad_serve_config_names_the_key(tmp_path: Path) -> None:
    config = write_config(tmp_path, SOURCES, extra='[serve]\nusers = [{name = "ana", password_hash = "secret"}]\n')
    code, _, err = run_cli("--config", str(config), "serve")
    assert code == 2 and "serve.users[0].password_hash" in err and err.count("\n") == 1


def test_hash_password_makes_a_hash_the_gate_accepts(tmp_path: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "newsmon", "serve", "--hash-password"],
                          input="s3cret-pass\ns3cret-pass\n", capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    hashed = proc.stdout.strip()
    assert hashed.startswith("$argon2")
    gate = Gate({"ana": hashed})
    assert gate.who("Basic " + base64.b64encode(b"ana:s3cret-pass").decode()) == "ana"
    assert gate.who("Basic " + base64.b64encode(b"ana:other").decode()) is None


def test_search_command_prints_a_table_records_and_refuses_a_malformed_query(tmp_path: Path) -> None:
    b = Bench(tmp_path, f"sqlite:///{tmp_path / 'newsmon.db'}")
    b.store.close()
    config = str(b.config)
    code, out, err = run_cli("--config", config, "search", '"Shanghai Cooperation"')
    assert code == 0 and out.strip() and "matching articles" in err
    code, out, _ = run_cli("--config", config, "search", "SCO", "--format", "jsonl", "--limit", "2")
    assert code == 0 and len(out.splitlines()) == 2 and "judgements" in json.loads(out.splitlines()[0])
    code, out, _ = run_cli("--config", config, "search", "SCO", "--format", "csv", "--source", "newsaz")
    assert code == 0 and out.startswith("id,")
    code, out, err = run_cli("--config", config, "search", '"SCO')
    assert code == 2 and err.count("\n") == 1 and "quote" in err and "Traceback" not in err
    code, _, err = run_cli("--config", config, "search", "SCO", "--topic", "nope")
    assert code == 2


def test_digest_email_links_each_story_to_its_workbench_page_when_public_url_is_set(tmp_path: Path) -> None:
    b = Bench(tmp_path, f"sqlite:///{tmp_path / 'newsmon.db'}",
              extra='[serve]\npublic_url = "https://newsmon.example.org/desk"\n')
    b.store.close()
    out = tmp_path / "out"
    code, _, err = run_cli("--config", str(b.config), "digest", "--week", SAMPLE_WEEK, "--dry-run", "--out", str(out))
    assert code == 0, err
    html = next(out.glob("*.html")).read_text()
    text = next(out.glob("*.txt")).read_text()
    lead = b.tagged()
    assert re.search(r'href="https://newsmon\.example\.org/desk/articles/(\d+)"', html)
    assert "Why it matched: https://newsmon.example.org/desk/articles/" in text
    assert any(f"/desk/articles/{i}" in html for i in lead)
