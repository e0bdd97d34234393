"""`newsmon init [DIR]`: the shipped config.toml, every key documented in its comments, written where the
user will run newsmon — never over an existing one."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from newsmon.errors import WriteError
from newsmon.files import make_dir, write_bytes


def write_starter_config(directory: Path) -> Path:
    """`directory`/config.toml, the shipped one (the three sites, the topic rules, the database beside it)."""
    path = make_dir(directory) / "config.toml"
    if path.exists():
        raise WriteError(f"{path} exists; not overwritten (edit it, or name another folder: newsmon init DIR)")
    return write_bytes(path, resources.files("newsmon").joinpath("config.toml").read_bytes())


def next_steps(path: Path) -> list[str]:
    """What to run after `init`, with the config named as the user will have to name it."""
    here = path.parent.resolve() == Path.cwd().resolve()
    config = "" if here else f" --config {path}"
    return [f"wrote {path}: the three sites and the SCO topic rules; every key is explained in its comments.",
            "Next:",
            f"  newsmon{config} check     what each site answers now (stores nothing)",
            f"  newsmon{config} run       fetch, tag and store the articles (cron or `newsmon daemon` for more)",
            f"  newsmon{config} status    what was stored, and the health of each source",
            "For the weekly email, set [digest] recipients and [smtp] in the file; `newsmon demo` shows it offline."]
