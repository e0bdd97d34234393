"""The workbench as an ASGI app: the routes, and the guard in front of them.

The paths are part of the contract (README: The workbench): `/`, `/search`, `/articles/<id>`, `/weeks/`,
`/weeks/<YYYY-Www>`, `/topics/<name>`, `/topics/<name>.atom`, `/health`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from newsmon.web import views
from newsmon.web.security import HEADERS, Gate
from newsmon.web.workbench import HERE, MAX_NOTE_CHARS, MAX_PARAM_CHARS, Workbench

Handler = Callable[[Workbench, Request], Response]


class Guard(BaseHTTPMiddleware):
    """Who is asking (401 without valid credentials when the workbench has users or a token), oversized
    parameters refused, and the security headers on every answer."""

    def __init__(self, app: Any, gate: Gate) -> None:  # noqa: ANN401 - the next ASGI app
        super().__init__(app)
        self.gate = gate

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        user = self.gate.who(request.headers.get("authorization"))
        if user is None:
            response: Response = PlainTextResponse(
                "Log in to use the newsmon workbench.\n", status_code=401,
                headers={"www-authenticate": 'Basic realm="newsmon", charset="UTF-8"'})
        elif any(len(v) > MAX_PARAM_CHARS for v in request.query_params.values()):
            response = PlainTextResponse(f"A query parameter is longer than {MAX_PARAM_CHARS} characters.\n",
                                         status_code=400)
        else:
            request.state.user = user
            response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def create_app(wb: Workbench) -> Starlette:
    """The ASGI app of one workbench (uvicorn serves it; tests drive it with Starlette's TestClient)."""

    def page(path: str, handler: Handler) -> Route:
        def endpoint(request: Request) -> Response:   # Starlette runs a plain function in its thread pool
            return handler(wb, request)
        return Route(path, endpoint, methods=["GET", "HEAD"], name=handler.__name__)

    async def judge(request: Request) -> Response:
        try:
            form = await request.form(max_files=0, max_fields=10, max_part_size=MAX_NOTE_CHARS * 4)
        except Exception:   # noqa: BLE001 - a malformed or oversized body; multipart's errors vary by version
            return PlainTextResponse("The form could not be read.\n", status_code=400)
        return await run_in_threadpool(views.judge, wb, request, form)

    def not_found(request: Request, exc: Exception) -> Response:
        detail = getattr(exc, "detail", "") or "Nothing here."
        if not hasattr(request.state, "user"):
            return PlainTextResponse(f"{detail}\n", status_code=404)
        return wb.message(request, "Not found", detail, 404)

    def not_allowed(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("Method not allowed.\n", status_code=405)

    routes = [
        page("/", views.home),
        page("/search", views.search),
        page("/articles/{article_id:int}", views.article),
        Route("/articles/{article_id:int}/judgements", judge, methods=["POST"], name="judge"),
        page("/weeks/", views.weeks),
        page("/weeks/{label}", views.week),
        page("/weeks/{label}/charts/{cid}", views.week_chart),
        page("/digest.css", views.digest_css),
        page("/topics/{name}.atom", views.topic_feed),
        page("/topics/{name}", views.topic),
        page("/health", views.health_page),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(Guard, gate=wb.gate)],
                     exception_handlers={404: not_found, 405: not_allowed})
