"""The architecture stays as drawn in the README: layers import one way, SQL stays in storage, one import root.

Read from the source with `ast` (lazy imports inside functions count too), so a new upward import fails here
before it can tangle the layers again.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
LAYER_FOLDERS = ("pipeline", "storage", "classifiers", "digests")
# What each part of the package may import of newsmon (itself always).
ALLOWED = {
    "errors": set(),
    "classifiers": {"errors"},
    "storage": {"errors"},
    "pipeline": {"errors", "storage", "classifiers"},
    "digests": {"errors", "storage"},
    "demo": {"errors", "storage", "classifiers", "pipeline", "digests"},
    "shell": {"errors", "storage", "classifiers", "pipeline", "digests", "demo", "shell"},
}


def package_files() -> Iterator[tuple[str, Path]]:
    """(module name as installed, file) for every module of the package."""
    for path in sorted((ROOT / "newsmon").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        yield ".".join(p for p in parts if p != "__init__"), path
    for folder in LAYER_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(("newsmon", *(p for p in parts if p != "__init__"))), path


def part_of(module: str) -> str:
    if module == "newsmon.errors":
        return "errors"
    second = module.split(".")[1] if module.count(".") else ""
    return second if second in (*LAYER_FOLDERS, "demo") else "shell"


def imports(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every import of the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:  # `from newsmon.storage import articles` imports a module too
                yield node.lineno, f"{base}.{alias.name}"


def ours(name: str) -> bool:
    return name == "newsmon" or name.startswith("newsmon.")


MODULES = dict(package_files())


def test_the_package_has_every_layer_and_the_shell() -> None:
    assert {part_of(m) for m in MODULES} == set(ALLOWED)
    assert "newsmon.storage.articles" in MODULES and "newsmon.cli" in MODULES


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_only_down_the_layers(module: str) -> None:
    here = part_of(module)
    wrong = [f"{MODULES[module].relative_to(ROOT)}:{line}: {part_of(name)} ({name})"
             for line, name in imports(MODULES[module], module)
             if ours(name) and name in MODULES and part_of(name) not in ALLOWED[here] | {here}]
    assert not wrong, f"{here} may import only {sorted(ALLOWED[here])}: " + "; ".join(wrong)


def test_an_upward_import_is_caught(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from newsmon.config import load_config\n    from ..commands import run\n")
    found = [name for _, name in imports(bad, "newsmon.storage.bad")]
    assert {"newsmon.config", "newsmon.commands.run"} <= set(found)
    assert not {part_of(n) for n in found if ours(n)} <= ALLOWED["storage"]


def test_the_shell_package_itself_imports_nothing() -> None:
    """Every layer imports newsmon.errors, which runs newsmon/__init__.py first: it must pull in nothing."""
    assert not list(imports(ROOT / "newsmon" / "__init__.py", "newsmon"))


def test_no_module_outside_storage_builds_sql() -> None:
    offenders = []
    for module, path in MODULES.items():
        if part_of(module) == "storage":
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.relative_to(ROOT)}:{line}: {name}" for line, name in imports(path, module)
                      if name.split(".")[0] in ("sqlalchemy", "alembic")]
        offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}"
                      for m in re.finditer(r"\bsession\.(execute|scalars?|get|merge|add)\(|\btext\(\s*[\"']", text)]
    assert not offenders


def test_only_the_cli_speaks_click_and_no_command_imports_the_cli() -> None:
    for module, path in MODULES.items():
        names = {name for _, name in imports(path, module)}
        if module not in ("newsmon.cli", "newsmon.__main__"):
            assert not any(n == "click" or n.startswith("click.") for n in names), module
            assert "newsmon.cli" not in names, module


def source_files() -> Iterator[Path]:
    yield from MODULES.values()
    yield from (ROOT / "tests").rglob("*.py")
    yield from (ROOT / "benchmarks").rglob("*.py")


def test_nothing_imports_a_layer_folder_as_a_top_level_package() -> None:
    offenders = []
    for path in source_files():
        for line, name in imports(path, "tests.x"):
            if name.split(".")[0] in LAYER_FOLDERS:
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert not offenders


def test_benchmarks_do_not_import_the_tests() -> None:
    for path in (ROOT / "benchmarks").rglob("*.py"):
        names = {name for _, name in imports(path, "benchmarks.x")}
        assert not any(n == "tests" or n.startswith("tests.") for n in names), path.name
        assert not re.search(r"sys\.path\.(insert|append)", path.read_text(encoding="utf-8")), path.name


def test_no_path_of_a_developer_machine_appears_in_the_source() -> None:
    machine = re.compile(r"/(work|home|Users|root)/\w")
    for path in [*source_files(), ROOT / "pyproject.toml", ROOT / "config.toml", ROOT / "README.md"]:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if path.name == "test_layout.py" and "machine = re.compile" in line:
                continue
            assert not machine.search(line), f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
