"""What goes into a week's digest, read from storage: the tagged articles per topic, counts per source,
the last weeks' counts for the chart, and the sources that failed or stored nothing.

Reads only; returns plain data (`WeekData`) that rendering turns into a message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from newsmon.digests.week import Week, weeks_ending
from newsmon.storage.models import Article, ArticleTopic, Run, RunSource, Source
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

HISTORY_WEEKS = 8
TEXT_CHARS = 3000  # the start of the text is enough to tell two reports of one story apart


@dataclass(frozen=True)
class DigestArticle:
    article_id: int
    source: str
    url: str
    title: str
    text: str                    # the first TEXT_CHARS characters, for near-duplicate detection
    when: datetime               # published (fetched when unknown), in the digest time zone
    score: float
    terms: Mapping[str, int]     # matched term -> count
    snippets: tuple[str, ...]


@dataclass(frozen=True)
class TopicWeek:
    topic: str
    description: str
    articles: list[DigestArticle]                 # the week's tagged articles, best score first, then newest
    per_source: dict[str, int]                    # this week's count per source (configured ones with 0 too)
    history: list[tuple[Week, dict[str, int]]]    # the last HISTORY_WEEKS weeks, oldest first, this one last

    @property
    def count(self) -> int:
        return len(self.articles)

    @property
    def previous_count(self) -> int:
        return sum(self.history[-2][1].values()) if len(self.history) > 1 else 0


@dataclass(frozen=True)
class SourceProblem:
    source: str
    kind: str      # "failed" | "silent"
    detail: str


@dataclass(frozen=True)
class WeekData:
    week: Week
    topics: list[TopicWeek]
    problems: list[SourceProblem] = field(default_factory=list)

    @property
    def article_count(self) -> int:
        """Distinct articles over all topics (an article in two topics counts once)."""
        return len({a.article_id for t in self.topics for a in t.articles})


def select_week(session: Session, week: Week, topics: Mapping[str, str], sources: Sequence[str] = (), *,
                history_weeks: int = HISTORY_WEEKS) -> WeekData:
    """The digest data of `week` for `topics` (name -> description). `sources` are the configured source
    names: they are listed with zero counts, and checked for silence and failures."""
    if not sources:
        sources = tuple(session.execute(select(Source.name).order_by(Source.name)).scalars())
    topic_weeks = [_topic_week(session, week, name, description, sources, history_weeks)
                   for name, description in topics.items()]
    return WeekData(week=week, topics=topic_weeks, problems=source_problems(session, week, sources))


def _topic_week(session: Session, week: Week, topic: str, description: str, sources: Sequence[str],
                history_weeks: int) -> TopicWeek:
    when = func.coalesce(Article.published_at, Article.fetched_at)
    rows = session.execute(
        select(Article.id, Source.name, Article.url, Article.title, func.substr(Article.text, 1, TEXT_CHARS),
               Article.published_at, Article.fetched_at, ArticleTopic.score, ArticleTopic.terms,
               ArticleTopic.snippets)
        .join(Source, Source.id == Article.source_id)
        .join(ArticleTopic, ArticleTopic.article_id == Article.id)
        .where(ArticleTopic.topic == topic, when >= week.start, when < week.end)
    ).all()
    tz = week.tz
    articles = [
        DigestArticle(article_id=aid, source=src, url=url, title=title or "", text=text or "",
                      when=(published or fetched).astimezone(tz), score=float(score), terms=dict(terms or {}),
                      snippets=tuple(snippets or ()))
        for aid, src, url, title, text, published, fetched, score, terms, snippets in rows
    ]
    articles.sort(key=lambda a: (-a.score, -a.when.timestamp(), a.article_id))

    weeks = weeks_ending(week, history_weeks)
    columns = [func.sum(case((and_(when >= w.start, when < w.end), 1), else_=0)) for w in weeks]
    counts = session.execute(
        select(Source.name, *columns)
        .join(Article, Article.source_id == Source.id)
        .join(ArticleTopic, ArticleTopic.article_id == Article.id)
        .where(ArticleTopic.topic == topic, when >= weeks[0].start, when < week.end)
        .group_by(Source.name)
    ).all()
    names = list(dict.fromkeys([*sources, *sorted(r[0] for r in counts)]))
    by_source = {r[0]: [int(c or 0) for c in r[1:]] for r in counts}
    history = [(w, {n: by_source.get(n, [0] * len(weeks))[i] for n in names}) for i, w in enumerate(weeks)]
    per_source = dict(history[-1][1])
    return TopicWeek(topic=topic, description=description, articles=articles, per_source=per_source,
                     history=history)


def source_problems(session: Session, week: Week, sources: Sequence[str]) -> list[SourceProblem]:
    """Sources that stored no article of the week (any topic), and sources whose runs during the week
    had errors (failed items or discovery errors), with the last error."""
    when = func.coalesce(Article.published_at, Article.fetched_at)
    stored = dict(session.execute(
        select(Source.name, func.count(Article.id)).join(Article, Article.source_id == Source.id)
        .where(when >= week.start, when < week.end).group_by(Source.name)).all())
    failures: dict[str, list[tuple[int, int, str]]] = {}
    rows = session.execute(
        select(Source.name, RunSource.run_id, RunSource.failed, RunSource.errors)
        .join(RunSource, RunSource.source_id == Source.id).join(Run, Run.id == RunSource.run_id)
        .where(Run.started_at >= week.start, Run.started_at < week.end,
               or_(RunSource.failed > 0, RunSource.errors != ""))
        .order_by(Run.started_at, Run.id)).all()
    for name, run_id, failed, errors in rows:
        failures.setdefault(name, []).append((run_id, failed, errors))
    problems = []
    for name in sources:
        runs = failures.get(name)
        if runs:
            last_error = next((e.strip().splitlines()[-1] for _, _, e in reversed(runs) if e.strip()), "")
            items = sum(f for _, f, _ in runs)
            detail = f"errors in {len(runs)} run{'s' if len(runs) != 1 else ''}"
            if items:
                detail += f", {items} item{'s' if items != 1 else ''} failed"
            if last_error:
                detail += f"; last: {last_error}"
            problems.append(SourceProblem(name, "failed", detail))
        if not stored.get(name):
            problems.append(SourceProblem(name, "silent", "stored no article this week"))
    return problems
