"""The pages: each reads what it shows in one read transaction (a page sees what a concurrent `run` committed a
moment ago, no restart needed), then renders one template. Bad input is a message on the page (400), never a
500: dates, weeks, topics and queries are checked here before anything is read."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from newsmon.classifiers import Explanation
from newsmon.commands.export import CSV_COLUMNS, csv_row
from newsmon.commands.status import coverage_of, status_json, status_lines
from newsmon.digests.chart import weekly_chart
from newsmon.digests.render import build_stories, chart_cid, chart_id, render_digest
from newsmon.digests.select import WeekData, select_week
from newsmon.digests.week import Week, parse_week, week_of, weeks_ending
from newsmon.errors import QueryError
from newsmon.pipeline.walk import day_bounds
from newsmon.storage import archive, health, judgements
from newsmon.storage import digests as stored
from newsmon.storage import search as fts
from newsmon.web.marks import highlighted_paragraphs, marked, paragraph_bounds, paragraph_of
from newsmon.web.workbench import MAX_NOTE_CHARS, Workbench, query_url, safe_next, templates

PAGE_SIZE = 20
HOME_STORIES = 5
TOPIC_WEEKS = 12
FEED_ENTRIES = 50
JUDGED_SHOWN = 50
WEEKS_LISTED = 104


# ---- / ----

def home(wb: Workbench, request: Request) -> Response:
    """This week and last week per topic, top stories, and each source's health and coverage."""
    cfg, now = wb.cfg, wb.clock()
    week = week_of(now, cfg.digest.timezone)
    with wb.store.read() as s:
        data = select_week(s, week, wb.topic_titles, wb.source_titles, now=now)
        states = health.source_health(s, [src.name for src in cfg.sources], now)
        coverage = {c.name: c for c in coverage_of(s, cfg, now)}
    cards = [{"data": t, "stories": build_stories(t.articles)[:HOME_STORIES], "chart": chart_cid(t)}
             for t in data.topics]
    return wb.page(request, "home.html.j2", title="This week", week=week, cards=cards, health=states,
                   coverage=coverage, now=now)


# ---- /search ----

def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise QueryError(f"{name}: {value!r} is not a date like 2026-03-31") from None


def search(wb: Workbench, request: Request) -> Response:
    params = request.query_params
    q = params.get("q", "").strip()
    fmt = params.get("format", "html")
    form = {k: params.get(k, "") for k in ("q", "topic", "source", "since", "until", "lang")}
    try:
        page = max(1, int(params.get("page", "1") or 1))
    except ValueError:
        page = 1
    if fmt not in ("html", "csv", "jsonl"):
        return wb.message(request, "Search", f"format {fmt!r}: choose html, csv or jsonl", 400)
    if not q:
        return wb.page(request, "search.html.j2", title="Search", form=form, results=None, error="", pages={})
    try:
        query = fts.parse_query(q)
        filters = _filters(wb, form)
    except QueryError as e:
        return wb.page(request, "search.html.j2", status=400, title="Search", form=form, results=None,
                       error=str(e), pages={})
    if fmt != "html":
        return _download(wb, query, filters, fmt)
    with wb.store.read() as s:
        results = fts.search(s, query, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, **filters)
        verdicts = judgements.latest_judgements(s, [h.id for h in results.hits])
    last = max(1, -(-results.total // PAGE_SIZE))
    pages = {"page": page, "last": last,
             "previous": query_url("/search", {**form, "page": page - 1}) if page > 1 else None,
             "next": query_url("/search", {**form, "page": page + 1}) if page < last else None,
             "csv": query_url("/search", {**form, "format": "csv"}),
             "jsonl": query_url("/search", {**form, "format": "jsonl"})}
    hits = [{"hit": h, "title": marked(h.title), "snippet": marked(h.snippet), "verdicts": verdicts.get(h.id, {}),
             "judge": [form["topic"]] if form["topic"] else h.topics} for h in results.hits]
    return wb.page(request, "search.html.j2", title=f"Search: {q}", form=form, results=results, hits=hits,
                   error="", pages=pages)


def _filters(wb: Workbench, form: dict[str, str]) -> dict[str, Any]:
    if form["topic"] and form["topic"] not in wb.cfg.topics:
        raise QueryError(f"topic: no topic {form['topic']!r} (defined: {', '.join(wb.cfg.topics)})")
    since, until = _day(form["since"], "since"), _day(form["until"], "until")
    if since and until and until < since:
        raise QueryError(f"until: {until} is before since {since}")
    start, end = day_bounds(since, until, wb.cfg.digest.timezone)
    return {"topic": form["topic"] or None, "source": form["source"] or None, "since": start, "until": end,
            "lang": form["lang"] or None}


def _download(wb: Workbench, query: fts.SearchQuery, filters: dict[str, Any], fmt: str) -> Response:
    """The whole result set as export records, streamed (one read transaction, batches from storage)."""

    def lines() -> Iterator[str]:
        with wb.store.read() as s:
            records = fts.search_records(s, query, **filters)
            if fmt == "jsonl":
                for record in records:
                    yield json.dumps(record, ensure_ascii=False) + "\n"
                return
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            for record in records:
                writer.writerow(csv_row(record))
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
            yield buffer.getvalue()

    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson; charset=utf-8"
    return StreamingResponse(lines(), media_type=media,
                             headers={"content-disposition": f'attachment; filename="newsmon-search.{fmt}"'})


# ---- /articles/<id> ----

def article(wb: Workbench, request: Request) -> Response:
    article_id = request.path_params["article_id"]
    with wb.store.read() as s:
        detail = archive.article_detail(s, article_id)
        if detail is None:
            raise HTTPException(404, f"No article {article_id} is stored.")
        also = _also_reported(wb, s, detail)
    explained = wb.classifier.explain(detail.title, detail.text)
    hits = [(topic, group, h) for topic, e in explained.items() for group, found in e.groups.items() for h in found]
    title = highlighted_paragraphs(detail.title, [(h.start, h.end, f"{topic} · {group}: {h.term}")
                                                  for topic, group, h in hits if h.part == "title"])
    paragraphs = highlighted_paragraphs(detail.text, [(h.start, h.end, f"{topic} · {group}: {h.term}")
                                                      for topic, group, h in hits if h.part == "text"])
    bounds = paragraph_bounds(detail.text)
    stored_topics = {t.topic: t for t in detail.topics}
    names = list(dict.fromkeys([*stored_topics, *explained]))
    rows = [{"name": n, "stored": stored_topics.get(n), "explained": explained.get(n),
             "groups": _where(explained[n], bounds) if n in explained else {}, "verdict": detail.judgements.get(n)}
            for n in names]
    return wb.page(request, "article.html.j2", title=detail.title or detail.url, article=detail,
                   title_html=title[0] if title else Markup(""), paragraphs=paragraphs, rows=rows, also=also,
                   other_topics=[t for t in wb.cfg.topics if t not in names])


def _where(explanation: Explanation, bounds: list[tuple[int, int]]) -> dict[str, list[dict[str, Any]]]:
    """Per group, each term that fired: how often, and where ("title", then paragraph numbers)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for group, found in explanation.groups.items():
        terms: dict[str, dict[str, Any]] = {}
        for h in found:
            entry = terms.setdefault(h.term, {"term": h.term, "count": 0, "title": False, "paragraphs": []})
            entry["count"] += 1
            if h.part == "title":
                entry["title"] = True
            elif (n := paragraph_of(bounds, h.start)) and n not in entry["paragraphs"]:
                entry["paragraphs"].append(n)
        out[group] = sorted(terms.values(), key=lambda t: -t["count"])
    return out


def _also_reported(wb: Workbench, s: Any, detail: archive.ArticleDetail) -> list[dict[str, Any]]:
    """Other reports of the same story: near-duplicates among the articles of the same week and topics."""
    from newsmon.digests.dedupe import group_duplicates

    when = detail.published or detail.fetched
    week = week_of(when, wb.cfg.digest.timezone)
    seen: dict[int, dict[str, Any]] = {}
    for topic in [t.topic for t in detail.topics]:
        rows = stored.tagged_between(s, topic, week.start, week.end, text_chars=3000)
        if not any(r.article_id == detail.id for r in rows):
            continue
        groups = group_duplicates([f"{r.title}\n{r.text}" for r in rows])
        for group in groups:
            if any(rows[i].article_id == detail.id for i in group):
                for i in group:
                    r = rows[i]
                    if r.article_id != detail.id:
                        seen.setdefault(r.article_id, {"id": r.article_id, "source": r.source, "title": r.title,
                                                       "url": r.url, "when": r.instant})
    return sorted(seen.values(), key=lambda a: (a["when"], a["id"]))


def judge(wb: Workbench, request: Request, form: FormData) -> Response:
    """A judgement from an article page or a search result: POST, CSRF token, known article and topic."""
    article_id = request.path_params["article_id"]
    user = request.state.user
    if not wb.csrf.valid(user, _field(form, "csrf")):
        return wb.message(request, "Not saved", "The form was stale or came from another site: nothing was saved. "
                          "Reload the page and try again.", 403)
    topic, verdict = _field(form, "topic"), _field(form, "verdict")
    note = _field(form, "note").strip()
    if topic not in wb.cfg.topics:
        return wb.message(request, "Not saved", f"No topic {topic!r}: nothing was saved.", 400)
    if verdict not in judgements.VERDICTS:
        return wb.message(request, "Not saved", f"A verdict is {' or '.join(judgements.VERDICTS)}, "
                          f"not {verdict!r}: nothing was saved.", 400)
    if len(note) > MAX_NOTE_CHARS:
        return wb.message(request, "Not saved", f"The note is longer than {MAX_NOTE_CHARS} characters.", 400)
    with wb.store.write() as s:
        if not judgements.article_exists(s, article_id):
            raise HTTPException(404, f"No article {article_id} is stored.")
        judgements.judge(s, article_id=article_id, topic=topic, verdict=verdict, note=note, who=user,
                         now=wb.clock())
    return RedirectResponse(safe_next(_field(form, "next"), f"/articles/{article_id}"), status_code=303)


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


# ---- /weeks/ ----

def _week(wb: Workbench, label: str) -> Week:
    try:
        return parse_week(label, wb.cfg.digest.timezone)
    except ValueError as e:
        raise HTTPException(404, f"{e}.") from None


def weeks(wb: Workbench, request: Request) -> Response:
    now = wb.clock()
    current = week_of(now, wb.cfg.digest.timezone)
    with wb.store.read() as s:
        first = archive.first_instant(s)
        listed = [] if first is None else [w for w in weeks_ending(current, WEEKS_LISTED) if w.end > first]
        spans = [(w.start, w.end) for w in listed]
        counts = {t: archive.tagged_per_period(s, t, spans) for t in wb.cfg.topics} if spans else {}
    rows = [{"week": w, "counts": {t: counts[t][i] for t in counts}} for i, w in enumerate(listed)]
    return wb.page(request, "weeks.html.j2", title="Weeks", rows=list(reversed(rows)), current=current)


def week(wb: Workbench, request: Request) -> Response:
    w = _week(wb, request.path_params["label"])
    if w.label != request.path_params["label"]:
        return RedirectResponse(f"/weeks/{w.label}", status_code=301)
    sub = wb.cfg.legacy_subscription
    now = wb.clock()
    with wb.store.read() as s:
        data = select_week(s, w, {t: wb.cfg.topic_title(t) for t in sub.topics}, wb.source_titles,
                           descriptions=_descriptions(wb, sub.topics), now=min(now, w.end))
    digest = render_digest(data, now=now, title=sub.title, workbench="/", charts=False,
                           chart_base=f"/weeks/{w.label}/charts/")
    body = re.search(r"<body[^>]*>(.*)</body>", digest.page, re.S)
    current = week_of(now, wb.cfg.digest.timezone)
    return wb.page(request, "week.html.j2", title=f"Week {w.label}", week=w, digest=digest,
                   body=Markup(body.group(1) if body else ""), previous=w.previous(),
                   next=w.shifted(1) if w.shifted(1).start <= current.start else None)


def _descriptions(wb: Workbench, topics: Any) -> dict[str, str]:
    return {t: str(wb.cfg.topics.get(t, {}).get("description") or "") for t in topics}


def week_chart(wb: Workbench, request: Request) -> Response:
    """One topic's chart of a week page (the email carries it as an attachment; a page asks for it)."""
    w = _week(wb, request.path_params["label"])
    topic = next((t for t in wb.cfg.topics if chart_id(t) == request.path_params["cid"]), None)
    if topic is None:
        raise HTTPException(404, "No such chart.")
    with wb.store.read() as s:       # that topic's periods only
        data = select_week(s, w, {topic: wb.cfg.topic_title(topic)}, wb.source_titles, now=min(wb.clock(), w.end))
    return Response(weekly_chart(data.topics[0].history, data.source_titles), media_type="image/png",
                    headers={"cache-control": "max-age=60"})


def digest_css(wb: Workbench, request: Request) -> Response:
    """The digest email's own style sheet, nested under .digest so it styles the digest and nothing else of
    the page (the email's inline styles would be refused by the Content-Security-Policy)."""
    return Response(_digest_css(), media_type="text/css", headers={"cache-control": "max-age=3600"})


@lru_cache(maxsize=1)
def _digest_css() -> str:
    week = Week(2026, 1, ZoneInfo("UTC"))     # any week: the style sheet does not depend on it
    page = render_digest(WeekData(week=week, topics=[]), now=week.end, title="", charts=False).page
    found = re.search(r"<style>(.*?)</style>", page, re.S)
    return ".digest {\n" + (found.group(1) if found else "") + "\n}\n"


# ---- /topics/<name> ----

def _topic(wb: Workbench, name: str) -> str:
    if name not in wb.cfg.topics:
        raise HTTPException(404, f"No topic {name!r} is configured.")
    return name


def topic(wb: Workbench, request: Request) -> Response:
    name = _topic(wb, request.path_params["name"])
    now = wb.clock()
    listed = weeks_ending(week_of(now, wb.cfg.digest.timezone), TOPIC_WEEKS)
    with wb.store.read() as s:
        counts = archive.tagged_per_period(s, name, [(w.start, w.end) for w in listed])
        precision = judgements.topic_precision(s, name)
        judged = judgements.judged_not_relevant(s, name, limit=JUDGED_SHOWN)
    return wb.page(request, "topic.html.j2", title=wb.cfg.topic_title(name), name=name,
                   rule=wb.classifier.describe(name), per_week=list(reversed(list(zip(listed, counts)))),
                   precision=precision, judged=judged, most=max(counts or [0]) or 1)


def topic_feed(wb: Workbench, request: Request) -> Response:
    name = _topic(wb, request.path_params["name"])
    with wb.store.read() as s:
        entries = archive.newest_tagged(s, name, FEED_ENTRIES)
    base = wb.cfg.serve.public_url or str(request.base_url)
    updated = max((e.instant for e in entries), default=wb.clock())
    body = templates.get_template("topic.atom.xml.j2").render(
        name=name, title=wb.cfg.topic_title(name), entries=entries, base=base, updated=updated,
        source_title=wb.source_title)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


# ---- /health ----

def health_page(wb: Workbench, request: Request) -> Response:
    now = wb.clock()
    with wb.store.read() as s:
        if request.query_params.get("format") == "json":
            return JSONResponse(status_json(s, wb.cfg, now))
        lines = status_lines(s, wb.cfg, now, width=110)
    return wb.page(request, "health.html.j2", title="Health", lines=lines, now=now)
