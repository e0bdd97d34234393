"""A new user's first minutes: `newsmon init`, what a command says without a config, help with examples,
options where the user types them, mistakes caught at start-up by every command, a tidy working directory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from newsmon.demo.configs import shipped_topics, write_config
from tests.conftest import run_cli

ROOT = Path(__file__).parent.parent
SOURCE = {"name": "trend", "feeds": ["http://nosuch.invalid/feed.rss"]}


def test_init_writes_the_commented_config_and_says_what_to_run_next(tmp_path: Path) -> None:
    code, out, err = run_cli("init", str(tmp_path / "mine"))
    assert code == 0, err
    written = tmp_path / "mine" / "config.toml"
    assert written.read_text(encoding="utf-8") == (ROOT / "config.toml").read_text(encoding="utf-8")
    assert f"wrote {written}" in out and f"newsmon --config {written} check" in out and "run" in out
    code, out, err = run_cli("--config", str(written), "status")   # it is a valid config as written
    assert code == 1 and "no database at" in err                     # (nothing has run yet)


def test_init_never_overwrites_a_config(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("# mine\n")
    code, out, err = run_cli("init", str(tmp_path))
    assert code == 1 and "exists; not overwritten" in err and err.count("\n") == 1
    assert (tmp_path / "config.toml").read_text() == "# mine\n"


def test_init_in_the_current_folder_names_no_config(tmp_path: Path) -> None:
    code, out, err = run_cli("init")
    assert code == 0 and (tmp_path / "config.toml").is_file()
    assert "  newsmon check " in out


def test_a_command_without_a_config_says_how_to_get_one(tmp_path: Path) -> None:
    code, out, err = run_cli("run")
    assert code == 2 and err.count("\n") == 1
    assert "config.toml: config file not found" in err and "newsmon init" in err and "newsmon demo" in err


def test_newsmon_config_naming_a_folder_is_said_about_newsmon_config(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSMON_CONFIG", str(tmp_path))
    code, out, err = run_cli("status")
    assert code == 2 and err.count("\n") == 1
    assert f"{tmp_path} (from $NEWSMON_CONFIG) is a directory" in err and "--config" not in err


@pytest.mark.parametrize("command", ["run", "digest", "backfill", "export"])
def test_help_shows_examples(command: str) -> None:
    code, out, err = run_cli(command, "--help")
    assert code == 0 and "Examples:" in out
    examples = out[out.index("Examples:"):]
    assert f"newsmon {command}" in examples


def test_q_v_and_config_are_taken_after_the_command_too(tmp_path: Path, sites: Any) -> None:
    (tmp_path / "elsewhere").mkdir()
    config = write_config(tmp_path / "elsewhere", sites.source_config())
    code, out, err = run_cli("run", "--config", str(config), "-q")
    assert code == 0 and out == "" and err == ""
    code, out, err = run_cli("status", "--config", str(config), "--json")
    assert code == 0 and json.loads(out)["ok"]
    code, out, err = run_cli("check", "--source", "trend", "-v", "--config", str(config))
    assert code == 0 and "info: GET " in err    # -v: a line per request


def test_shell_completion_works_as_the_readme_says() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert '_NEWSMON_COMPLETE=bash_source newsmon' in readme
    proc = subprocess.run([Path(sys.executable).with_name("newsmon")], capture_output=True, text=True,
                          env={**os.environ, "_NEWSMON_COMPLETE": "bash_source"})
    assert proc.returncode == 0 and "complete" in proc.stdout and "_newsmon_completion" in proc.stdout


def test_export_that_finds_nothing_says_so_on_stderr_and_keeps_stdout_clean(tmp_path: Path) -> None:
    config = write_config(tmp_path, [SOURCE])
    assert run_cli("--config", str(config), "reclassify")[0] == 0   # an empty database
    code, out, err = run_cli("--config", str(config), "export")
    assert code == 0 and out == "" and err == "0 articles\n"


def test_export_since_after_until_is_a_usage_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, [SOURCE])
    code, out, err = run_cli("--config", str(config), "export", "--since", "2026-02-01", "--until", "2026-01-01")
    assert code == 2 and "--until" in err and "before --since" in err


@pytest.mark.parametrize("command", [["status"], ["export"], ["check"], ["digest", "--dry-run"], ["run"]])
def test_a_broken_topic_rule_stops_every_command_at_start_up(tmp_path: Path, command: list[str]) -> None:
    broken = shipped_topics() + '\n[topics.broken]\nany = ["g"]\n[topics.broken.groups]\ng = ["re:Azerbaijan["]\n'
    config = write_config(tmp_path, [SOURCE], topics=broken)
    code, out, err = run_cli("--config", str(config), *command)
    assert code == 2 and err.count("\n") == 1, err
    assert str(config) in err and "topics.broken" in err and "bad regex" in err


def test_a_missing_ca_file_is_a_config_error_at_start_up(tmp_path: Path) -> None:
    config = write_config(tmp_path, [SOURCE], extra='[smtp]\nsecurity = "starttls"\nca_file = "private-ca.pem"\n')
    code, out, err = run_cli("--config", str(config), "status")
    assert code == 2 and err.count("\n") == 1
    assert f"{config}: smtp.ca_file: {tmp_path / 'private-ca.pem'}: no such file" in err


def test_the_lock_files_are_ignored_by_git() -> None:
    for name in ("newsmon.db.run.lock", "newsmon.db.digest.lock", "newsmon.db.backfill.lock",
                 "newsmon.db.daemon.lock", "newsmon.db", "newsmon.db-wal"):
        proc = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "--no-index", "-q", name])
        assert proc.returncode == 0, f"{name} is not covered by .gitignore"


def test_the_shipped_config_names_the_sites_and_topics_for_readers() -> None:
    shipped = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))
    assert [s["title"] for s in shipped["sources"]] == ["Trend", "AzerNews", "News.Az"]
    assert all(re.fullmatch(r"[^\n]{2,40}", t["title"]) for t in shipped["topics"].values())
