"""Config is validated once, and every mistake is one line naming the file and the key (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.config import load_config
from newsmon.demo.configs import write_config
from newsmon.errors import ConfigError
from tests.conftest import run_cli

REPO = Path(__file__).parent.parent
SOURCE = {"name": "trend", "feeds": ["http://127.0.0.1:9/feed.rss"]}


def test_shipped_config_is_valid_and_names_the_three_sites() -> None:
    cfg = load_config(REPO / "config.toml")
    assert [s.name for s in cfg.sources] == ["trend", "azernews", "newsaz"]
    assert cfg.source("trend").feeds == ("https://en.trend.az/feeds/index.rss",)
    assert cfg.source("newsaz").feeds == ()
    assert cfg.source("newsaz").article_url_pattern.search("https://news.az/index.php/news/some-slug")
    assert cfg.storage.url == f"sqlite:///{REPO / 'newsmon.db'}"  # relative to the config file


@pytest.mark.parametrize(("extra", "expected"), [
    ("[fetch]\ntimeout = 3\n", "fetch.timeout: unknown key"),
    ('[fetch]\nmax_bytes = "big"\n', "fetch.max_bytes: must be an integer, got a string"),
    ("[fetch]\nper_host_delay_seconds = -1\n", "fetch.per_host_delay_seconds: must be >= 0"),
    ('[smtp]\nsecurity = "tls"\n', "smtp.security: must be 'ssl', 'starttls' or 'none'"),
    ('[schedule]\nfetch_every = "often"\n', "schedule.fetch_every:"),
    ('[digest]\ntimezone = "Mars/Olympus"\n', "digest.timezone: unknown time zone"),
    ("[colour]\nx = 1\n", "colour: unknown key"),
])
def test_bad_config_value_names_file_and_key(tmp_path: Path, extra: str, expected: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(extra + '\n[[sources]]\nname = "trend"\nfeeds = ["http://127.0.0.1:9/feed.rss"]\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value) and expected in str(err.value)


@pytest.mark.parametrize(("source", "expected"), [
    ({"name": "x", "feeds": ["htp://example.org/feed"]}, "sources[0].feeds[0]: 'htp://example.org/feed' is not an"),
    ({"name": "x", "feeds": "not-a-url"}, "sources[0].feeds[0]"),
    ({"name": "x", "feeds": [1]}, "sources[0].feeds: must be a list of strings"),
    ({"name": "x", "listings": ["https://e.org/l"]}, "sources[0].article_url_pattern: is required"),
    ({"name": "x", "feeds": ["https://e.org/f"], "article_url_pattern": "(["},
     "sources[0].article_url_pattern: not a valid regular expression"),
    ({"name": "x", "feeds": ["https://e.org/f"], "colour": "red"}, "sources[0].colour: unknown key"),
    ({"name": "x"}, "has no feeds, listings, archives or sitemaps"),
    ({"name": "x y", "feeds": ["https://e.org/f"]}, "sources[0].name: must be a short name"),
])
def test_bad_source_names_the_source_key(tmp_path: Path, source: dict, expected: str) -> None:
    path = write_config(tmp_path, [source], topics="")
    with pytest.raises(ConfigError, match=None) as err:
        load_config(path)
    assert expected in str(err.value), str(err.value)


def test_duplicate_source_names_are_refused(tmp_path: Path) -> None:
    path = write_config(tmp_path, [SOURCE, SOURCE], topics="")
    with pytest.raises(ConfigError, match=r"sources\[1\]\.name: duplicate source name 'trend'"):
        load_config(path)


def test_invalid_toml_is_one_line_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[storage\nurl = 1\n")
    code, out, err = run_cli("--config", str(tmp_path / "config.toml"), "run")
    assert code == 2
    assert err.count("\n") == 1 and "config.toml: not valid TOML" in err and "Traceback" not in err


def test_unknown_key_from_the_command_line_exits_2_without_traceback(tmp_path: Path) -> None:
    path = write_config(tmp_path, [SOURCE], extra="[storage_x]\nurl = 1\n")
    code, out, err = run_cli("--config", str(path), "run")
    assert code == 2
    assert f"{path}: storage_x: unknown key" in err and "Traceback" not in err


def test_unknown_source_name_exits_2(tmp_path: Path) -> None:
    path = write_config(tmp_path, [SOURCE])
    code, out, err = run_cli("--config", str(path), "run", "--source", "nosuch")
    assert code == 2
    assert "unknown source 'nosuch'" in err and "Traceback" not in err


def test_missing_config_file_exits_2(tmp_path: Path) -> None:
    code, out, err = run_cli("--config", str(tmp_path / "nope.toml"), "status")
    assert code == 2 and "config file not found" in err


def test_config_defaults_to_env_var_then_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSMON_CONFIG", str(tmp_path / "elsewhere.toml"))
    code, _, err = run_cli("status")
    assert code == 2 and "elsewhere.toml" in err


def test_a_database_that_cannot_be_opened_is_a_storage_error_with_exit_1(tmp_path: Path) -> None:
    refused = write_config(tmp_path, [SOURCE], storage_url="postgresql+psycopg://postgres@127.0.0.1:1/none")
    code, out, err = run_cli("--config", str(refused), "status")
    assert code == 1, err
    assert err.startswith("newsmon: error: cannot open database postgresql+psycopg://postgres@127.0.0.1:1/none: ")
    assert err.count("\n") == 1 and "Traceback" not in err and str(refused) not in err  # not a config error
    (tmp_path / "a-file").write_text("")
    under_a_file = write_config(tmp_path, [SOURCE], storage_url=f"sqlite:///{tmp_path / 'a-file' / 'newsmon.db'}")
    code, out, err = run_cli("--config", str(under_a_file), "run")
    assert code == 1 and "cannot create the folder of database" in err and "Traceback" not in err, err
