"""What goes into a digest, read from storage: the tagged articles of the period (a week, or a day) per topic,
counts per source, the last periods' counts for the chart, and the sources that failed or stored nothing.

Reads only, through storage's queries; returns data of this package (`WeekData`) that rendering turns into
a message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from newsmon.digests.coverage import SourceCoverage, source_coverage
from newsmon.digests.period import HISTORY, Period, periods_ending
from newsmon.digests.week import Week
from newsmon.storage import digests as stored
from newsmon.storage.engine import Session

HISTORY_WEEKS = HISTORY["weekly"]
_RAW_PREFIX = "re:"  # a raw regex rule term (classifiers.terms.RAW_PREFIX; digests do not import classifiers)
TEXT_CHARS = 3000  # the start of the text is enough to tell two reports of one story apart


@dataclass(frozen=True)
class DigestArticle:
    article_id: int
    source: str                  # the source's name (its key); WeekData.source_title gives what readers see
    url: str
    title: str
    text: str                    # the first TEXT_CHARS characters, for near-duplicate detection
    when: datetime               # published (fetched when unknown), in the digest time zone
    score: float                 # orders the stories; not shown, a reader cannot weigh it
    words: Mapping[str, int]     # matched word as found in the text -> count, most frequent first
    snippets: tuple[str, ...]


@dataclass(frozen=True)
class TopicWeek:
    topic: str                                    # the name (what `newsmon export --topic` takes)
    title: str                                    # what readers see
    description: str                              # a line under the title; "" for none
    articles: list[DigestArticle]                 # the week's tagged articles, best score first, then newest
    per_source: dict[str, int]                    # this week's count per source (configured ones with 0 too)
    history: list[tuple[Period, dict[str, int]]]  # the last HISTORY weeks (or days), oldest first, this one last

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
    week: Period                                                     # a Week, or a Day for a daily digest
    topics: list[TopicWeek]
    problems: list[SourceProblem] = field(default_factory=list)
    source_titles: Mapping[str, str] = field(default_factory=dict)   # name -> what readers see
    coverage: list[SourceCoverage] = field(default_factory=list)     # per source: complete, gaps, low volume

    @property
    def article_count(self) -> int:
        """Distinct articles over all topics (an article in two topics counts once)."""
        return len({a.article_id for t in self.topics for a in t.articles})

    def source_title(self, name: str) -> str:
        """What readers see of a source: its configured title; its name for one no longer configured."""
        return self.source_titles.get(name, name)


def select_week(session: Session, week: Period, topics: Mapping[str, str],
                sources: Mapping[str, str] | Sequence[str] = (), *, descriptions: Mapping[str, str] | None = None,
                history_weeks: int | None = None, now: datetime | None = None) -> WeekData:
    """The digest data of `week` (or of a day) for `topics` (name -> title); the chart covers `history_weeks`
    periods (default: digests.period.HISTORY). `sources` are the configured sources, by
    name, or name -> title: they are listed with zero counts, and checked for silence and failures.
    `descriptions` (topic name -> text) adds a line under a topic's title where it says more than the title.
    `now` (when the week is being reported) limits the low-volume check to days that are over."""
    titles = dict(sources) if isinstance(sources, Mapping) else {n: n for n in sources}
    names = list(titles) or stored.source_names(session)
    if history_weeks is None:
        history_weeks = HISTORY["weekly" if isinstance(week, Week) else "daily"]
    topic_weeks = [_topic_week(session, week, name, names, history_weeks, title=title,
                               description=_subtitle(title, (descriptions or {}).get(name, "")))
                   for name, title in topics.items()]
    coverage = source_coverage(session, {n: titles.get(n, n) for n in names}, week.start, week.end, week.tz,
                               now or week.end)
    return WeekData(week=week, topics=topic_weeks, problems=source_problems(session, week, names),
                    source_titles=titles, coverage=coverage)


def _subtitle(title: str, description: str) -> str:
    """The description, when it says more than the title (the title defaults to it)."""
    description = " ".join(description.split())
    return description if description != title else ""


def _topic_week(session: Session, week: Period, topic: str, sources: Sequence[str], history_weeks: int, *,
                title: str, description: str) -> TopicWeek:
    tz = week.tz
    articles = [
        DigestArticle(article_id=r.article_id, source=r.source, url=r.url, title=r.title, text=r.text,
                      when=r.instant.astimezone(tz), score=r.score, words=r.words or words_of_terms(r.terms),
                      snippets=tuple(r.snippets))
        for r in stored.tagged_between(session, topic, week.start, week.end, text_chars=TEXT_CHARS)
    ]
    articles.sort(key=lambda a: (-a.score, -a.when.timestamp(), a.article_id))
    weeks = periods_ending(week, history_weeks)
    by_source = stored.tagged_counts(session, topic, [(w.start, w.end) for w in weeks])
    names = list(dict.fromkeys([*sources, *sorted(by_source)]))
    history = [(w, {n: by_source.get(n, [0] * len(weeks))[i] for n in names}) for i, w in enumerate(weeks)]
    return TopicWeek(topic=topic, title=title, description=description, articles=articles,
                     per_source=dict(history[-1][1]), history=history)


def words_of_terms(terms: Mapping[str, int]) -> dict[str, int]:
    """Words for a row stored before the classifier kept them: its rule terms without the rule syntax
    (`Azerbaijan*` -> "Azerbaijan"); a raw regex says nothing to a reader and is left out."""
    words: dict[str, int] = {}
    for term, n in terms.items():
        if term.startswith(_RAW_PREFIX):
            continue
        word = " ".join(term.replace("*", " ").split())
        if word:
            words[word] = words.get(word, 0) + n
    return dict(sorted(words.items(), key=lambda kv: (-kv[1], kv[0])))


def source_problems(session: Session, week: Period, sources: Sequence[str]) -> list[SourceProblem]:
    """Sources that stored no article of the week (any topic), and sources whose runs during the week
    had errors (failed items or discovery errors), with the last error."""
    counts = stored.stored_per_source(session, week.start, week.end)
    failures: dict[str, list[tuple[int, int, str]]] = {}
    for name, run_id, failed, errors in stored.run_failures(session, week.start, week.end):
        failures.setdefault(name, []).append((run_id, failed, errors))
    problems = []
    for name in sources:
        runs = failures.get(name)
        if runs:
            problems.append(SourceProblem(name, "failed", _failure_detail(runs)))
        if not counts.get(name):
            problems.append(SourceProblem(name, "silent", f"stored no article {week.this}"))
    return problems


def _failure_detail(runs: Sequence[tuple[int, int, str]]) -> str:
    last_error = next((e.strip().splitlines()[-1] for _, _, e in reversed(runs) if e.strip()), "")
    items = sum(f for _, f, _ in runs)
    detail = f"errors in {len(runs)} run{'s' if len(runs) != 1 else ''}"
    if items:
        detail += f", {items} item{'s' if items != 1 else ''} failed"
    if last_error:
        detail += f"; last: {last_error}"
    return detail
