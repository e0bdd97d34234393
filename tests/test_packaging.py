"""newsmon installs under one import root: nothing generic lands in site-packages, nothing shadows it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
LAYERS = ("pipeline", "storage", "classifiers", "digests")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (path,) = out.glob("newsmon-*.whl")
    return zipfile.ZipFile(path)


def test_the_wheel_holds_one_top_level_package_with_the_layers_inside(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    assert {n.split("/")[0] for n in names} == {"newsmon", next(n.split("/")[0] for n in names
                                                                if n.split("/")[0].endswith(".dist-info"))}
    for layer in LAYERS:
        assert f"newsmon/{layer}/__init__.py" in names
    for data in ("newsmon/config.toml", "newsmon/demo/articles.json", "newsmon/digests/templates/digest.html.j2",
                 "newsmon/storage/migrations/versions/0001_initial_schema.py",
                 "newsmon/storage/migrations/versions/0008_search_judgements.py",
                 "newsmon/web/templates/search.html.j2", "newsmon/web/templates/topic.atom.xml.j2",
                 "newsmon/web/static/style.css"):
        assert data in names, data
    assert b"[topics.sco_azerbaijan]" in wheel.read("newsmon/config.toml")  # the file itself, not a link


def test_the_console_script_is_the_shells_cli(wheel: zipfile.ZipFile) -> None:
    entry_points = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    assert "newsmon = newsmon.cli:main" in wheel.read(entry_points).decode()


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_is_importable_only_under_newsmon(layer: str, tmp_path: Path) -> None:
    def python(code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)

    bare = python(f"import {layer}")
    assert bare.returncode == 1 and "ModuleNotFoundError" in bare.stderr, bare.stderr
    assert python(f"import newsmon.{layer}").returncode == 0
