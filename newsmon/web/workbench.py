"""What every page needs: the config, the database, the compiled rules, the clock and the gate, with the
template environment and small helpers for links."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from newsmon.classifiers import Classifier
from newsmon.config import Config
from newsmon.storage.engine import Store
from newsmon.web.security import Csrf, Gate

HERE = Path(__file__).parent
MAX_PARAM_CHARS = 400          # a query parameter longer than this is refused
MAX_NOTE_CHARS = 2000          # a judgement's note

templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,            # every template: HTML pages and the Atom feed alike
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Workbench:
    cfg: Config
    store: Store
    classifier: Classifier
    gate: Gate
    clock: Callable[[], datetime] = _utc_now
    csrf: Csrf = field(default_factory=Csrf)

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        user = request.state.user
        body = templates.get_template(template).render(
            path=request.url.path, here=_here(request), user=user, open=self.gate.open,
            csrf=self.csrf.token(user), topics=list(self.cfg.topics), topic_title=self.cfg.topic_title,
            source_title=self.source_title, sources=[s.name for s in self.cfg.sources],
            tz=self.cfg.digest.timezone.key, **context)
        return HTMLResponse(body, status_code=status)

    def message(self, request: Request, title: str, message: str, status: int) -> HTMLResponse:
        return self.page(request, "message.html.j2", status=status, title=title, message=message)

    def source_title(self, name: str) -> str:
        return next((s.title for s in self.cfg.sources if s.name == name), name)

    @property
    def topic_titles(self) -> dict[str, str]:
        return {t: self.cfg.topic_title(t) for t in self.cfg.topics}

    @property
    def source_titles(self) -> dict[str, str]:
        return {s.name: s.title for s in self.cfg.sources}


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def query_url(path: str, params: Mapping[str, Any]) -> str:
    """`path` with the non-empty `params` as its query string."""
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


def safe_next(value: object, default: str) -> str:
    """Where to go back after a POST: a path of this site only (never `//other.host`, never a scheme)."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value \
            and not re.search(r"[\x00-\x1f\x7f]", value):
        return value
    return default
