"""The documentation stays true: commands have help, config keys are documented, README and CI agree."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import click

from newsmon.cli import cli
from newsmon.config import DEFAULTS
from newsmon.digests.settings import DigestSettings, SmtpSettings
from newsmon.pipeline.settings import ExtractSettings, FetchSettings, SourceSettings

ROOT = Path(__file__).parent.parent


def test_every_command_has_help_text() -> None:
    for name, command in cli.commands.items():
        assert command.help and len(command.help) > 20, f"`newsmon {name}` has no help text"
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"`newsmon {name} {param.opts[0]}` has no help text"


def test_every_config_key_is_documented_in_the_shipped_config() -> None:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    for table, defaults in DEFAULTS.items():
        for key in defaults:
            if table == "sources":
                assert re.search(rf"\b{key}\b", text), f"[[sources]] {key} is not documented in config.toml"
            else:
                assert re.search(rf"^#?\s*{key}\s*=", text, re.MULTILINE), f"[{table}] {key} is not in config.toml"


def test_every_setting_of_the_layers_has_its_default_in_one_table() -> None:
    for table, settings in (("fetch", FetchSettings), ("extract", ExtractSettings), ("sources", SourceSettings),
                            ("digest", DigestSettings), ("smtp", SmtpSettings)):
        assert {f.name for f in dataclasses.fields(settings)} == set(DEFAULTS[table]), table


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.DOTALL)
    test_command = next(b for b in blocks if "pytest" in b)
    install_and_test = test_command.split("&& ", 1)[1]
    assert install_and_test in ci
    assert any("newsmon run" in b for b in blocks)


def test_the_architecture_table_names_every_module_and_only_modules_that_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Architecture"):]
    rows = re.findall(r"^\| `(\w+)/` \| `[\w.]+` \| (.*?) \|", section, re.MULTILINE)
    assert {folder for folder, _ in rows} == {"newsmon", "pipeline", "digests", "storage", "classifiers"}
    for folder, text in rows:
        named = set(re.findall(r"`(\w+\.py)`", text))
        if folder != "classifiers":  # described as a whole
            present = {p.name for p in (ROOT / folder).glob("*.py")} - {"__init__.py", "__main__.py"}
            assert named == present, f"{folder}/: README names {sorted(named - present)}, not {sorted(present - named)}"
        for sub in re.findall(r"`(\w+)/`", text):
            assert (ROOT / folder / sub).is_dir(), f"{folder}/{sub}/"
