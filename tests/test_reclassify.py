"""Topics on ingest, and `reclassify` after a rule edit, through the command line."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from newsmon.demo.configs import shipped_topics, write_config
from tests.conftest import run_cli


@pytest.fixture
def ingested(tmp_path: Path, sites: Any) -> Path:
    config = write_config(tmp_path, sites.source_config())
    code, _, err = run_cli("--config", str(config), "run")
    assert code == 0, err
    return config


def tagged(db: Path, topic: str) -> set[str]:
    with sqlite3.connect(db) as conn:
        query = "SELECT a.title FROM articles a JOIN article_topics t ON t.article_id = a.id WHERE t.topic = ?"
        return {t for (t,) in conn.execute(query, (topic,))}


def test_ingest_tags_the_seed_articles_and_none_of_the_others(ingested: Path, sites: Any, tmp_path: Path) -> None:
    seeds = {a["title"] for a in sites.articles if a.get("seed")}
    assert len(seeds) == 5
    got = tagged(tmp_path / "newsmon.db", "sco_azerbaijan")
    assert seeds <= got
    non_sco = {a["title"] for a in sites.articles if not a["sco"]}
    assert not (got & non_sco)
    assert not (tagged(tmp_path / "newsmon.db", "sco") & non_sco)


def test_export_by_topic_shows_terms_and_snippets(ingested: Path) -> None:
    code, out, _ = run_cli("--config", str(ingested), "export", "--topic", "sco_azerbaijan")
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert records and all("sco_azerbaijan" in r["topics"] for r in records)
    match = records[0]["matches"]["sco_azerbaijan"]
    assert match["score"] > 0 and match["terms"] and match["snippets"]
    assert any("SCO" in s or "Shanghai" in s for s in match["snippets"])


def test_reclassify_after_a_rule_edit_reports_and_stores_the_change(ingested: Path, tmp_path: Path,
                                                                   sites: Any) -> None:
    db = tmp_path / "newsmon.db"
    before = tagged(db, "sco_azerbaijan")
    # a stricter rule: Azerbaijan must be named in the same paragraph as the SCO, three times over
    stricter = shipped_topics().replace('[topics.sco_azerbaijan]\n', '[topics.sco_azerbaijan]\nnear_paragraph = true\n',
                                        1).replace("threshold = 2 ", "threshold = 40 ", 1)
    assert stricter != shipped_topics()
    config = write_config(tmp_path, sites.source_config(), topics=stricter)

    code, out, err = run_cli("--config", str(config), "reclassify", "--dry-run")
    assert code == 0, err
    assert "(dry run: nothing stored)" in out
    lost = [line for line in out.splitlines() if line.startswith("  - ")]
    assert lost, out
    assert tagged(db, "sco_azerbaijan") == before  # dry run changed nothing

    code, out2, _ = run_cli("--config", str(config), "reclassify")
    assert code == 0
    after = tagged(db, "sco_azerbaijan")
    assert after < before and len(before - after) == len(lost)
    for line in lost:
        assert "[" in line and "×" in line  # the terms that had decided
    code, out3, _ = run_cli("--config", str(config), "export", "--topic", "sco_azerbaijan")
    assert {json.loads(line)["title"] for line in out3.splitlines()} == after

    # back to the shipped rule: the articles gain the topic again
    code, out4, _ = run_cli("--config", str(write_config(tmp_path, sites.source_config())), "reclassify")
    assert code == 0 and tagged(db, "sco_azerbaijan") == before
    assert f"sco_azerbaijan: {len(before - after)} gained, 0 lost" in out4


def test_ingest_stores_the_words_found_and_reclassify_fills_rows_stored_without(ingested: Path,
                                                                                tmp_path: Path) -> None:
    db = tmp_path / "newsmon.db"

    def words() -> list[dict[str, int] | None]:
        with sqlite3.connect(db) as conn:
            return [json.loads(w) if w else None for (w,) in conn.execute(
                "SELECT words FROM article_topics WHERE topic = 'sco_azerbaijan' ORDER BY article_id")]

    stored = words()
    assert stored and all(stored)
    found = {w for ws in stored for w in ws or {}}
    assert "Azerbaijani" in found and not [w for w in found if "*" in w]   # the text's words, no rule syntax
    with sqlite3.connect(db) as conn:                                     # as rows stored before 0005 are
        conn.execute("UPDATE article_topics SET words = NULL")
        tagged_articles = conn.execute("SELECT COUNT(DISTINCT article_id) FROM article_topics").fetchone()[0]
    code, out, err = run_cli("--config", str(ingested), "reclassify")
    assert code == 0, err
    assert out.splitlines()[0].endswith(f": {tagged_articles} changed")    # the words, nothing else
    assert "gained" not in out and "lost" not in out
    assert words() == stored


def test_a_bad_rule_is_a_config_error_naming_topic_and_term(tmp_path: Path, sites: Any) -> None:
    broken = shipped_topics() + '\n[topics.broken]\nany = ["g"]\n[topics.broken.groups]\ng = ["re:Azerbaijan["]\n'
    config = write_config(tmp_path, sites.source_config(), topics=broken)
    code, _, err = run_cli("--config", str(config), "run")
    assert code == 2
    assert "topics.broken" in err and "Azerbaijan[" in err and "Traceback" not in err
