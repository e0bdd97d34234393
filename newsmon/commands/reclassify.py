"""`newsmon reclassify`: the current rules over stored history, and what changed.

A user who edits a rule wants to see its effect on past articles before trusting it, so the same pass
can run as a dry run. Articles are read in id order in batches (keyset pagination), so memory stays flat
however many are stored, and each batch is written in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from newsmon.classifiers import Classifier
from newsmon.pipeline.classify import topic_records
from newsmon.storage import articles
from newsmon.storage.articles import StoredText, TopicRecord
from newsmon.storage.engine import Store

BATCH = 1000
REPORT_LINES = 50   # articles listed per topic and direction; the rest are counted


@dataclass(frozen=True)
class Change:
    article_id: int
    title: str
    published: datetime | None
    source: str
    terms: dict[str, int]     # the terms that decided: new ones for a gain, the old ones for a loss

    def line(self, tz: tzinfo) -> str:
        day = self.published.astimezone(tz).date().isoformat() if self.published else "no date"
        terms = ", ".join(f"{t}×{n}" for t, n in sorted(self.terms.items(), key=lambda x: -x[1]))
        return f"{day}  {self.source:<10} {self.title[:90]}  [{terms}]"


@dataclass
class ReclassifyReport:
    articles: int = 0
    changed: int = 0                              # articles whose stored topics/terms/scores/words changed
    gained: dict[str, list[Change]] = field(default_factory=dict)
    lost: dict[str, list[Change]] = field(default_factory=dict)

    def lines(self, tz: tzinfo, *, dry_run: bool) -> list[str]:
        """The summary, then per topic the articles gained (+) and lost (-) with the terms that decided."""
        out = [f"reclassified {self.articles:,} articles: {self.changed:,} changed"
               + (" (dry run: nothing stored)" if dry_run else "")]
        for topic in sorted(self.gained.keys() | self.lost.keys()):
            gained, lost = self.gained.get(topic, []), self.lost.get(topic, [])
            out.append(f"{topic}: {len(gained)} gained, {len(lost)} lost")
            for sign, changes in (("+", gained), ("-", lost)):
                out += [f"  {sign} {c.line(tz)}" for c in changes[:REPORT_LINES]]
                if len(changes) > REPORT_LINES:
                    out.append(f"  {sign} ... and {len(changes) - REPORT_LINES:,} more")
        return out


def reclassify(store: Store, classifier: Classifier, *, since: datetime | None = None, dry_run: bool = False,
               progress: Callable[[int, int], None] | None = None) -> ReclassifyReport:
    """Re-run `classifier` over stored articles (published, else fetched, at or after `since`)."""
    report = ReclassifyReport()
    with store.read() as s:
        total = articles.count_articles(s, since=since)
    last_id = 0
    while True:
        with store.read() as s:
            batch = articles.texts_after(s, last_id, BATCH, since=since)
            if not batch:
                break
            old = articles.topics_in_range(s, last_id, batch[-1].id)
        updates: list[tuple[int, tuple[TopicRecord, ...]]] = []
        moves: list[_Move] = []
        for a in batch:
            new = _changes(a, old.get(a.id, []), classifier, moves)
            if new is not None:
                updates.append((a.id, new))
        report.articles += len(batch)
        report.changed += len(updates)
        if moves:
            _note(store, moves, report)
        if updates and not dry_run:
            with store.write() as s:
                articles.replace_topics_of(s, updates)
        last_id = batch[-1].id
        if progress:
            progress(report.articles, total)
    return report


@dataclass(frozen=True)
class _Move:
    """A topic an article gained or lost, with the terms that decided (the new ones, or the old ones)."""

    gained: bool
    topic: str
    article: StoredText
    terms: dict[str, int]


def _changes(article: StoredText, stored: list[TopicRecord], classifier: Classifier, moves: list[_Move]
             ) -> tuple[TopicRecord, ...] | None:
    """The article's topics under the current rules if they differ from `stored` (gains and losses added to
    `moves`), else None."""
    new = topic_records(classifier, article.title, article.text)
    if not new and not stored:
        return None
    before = {t.topic: _evidence(t) for t in stored}
    after = {t.topic: _evidence(t) for t in new}
    if before == after:
        return None
    moves += [_Move(True, name, article, after[name][1]) for name in after.keys() - before.keys()]
    moves += [_Move(False, name, article, before[name][1]) for name in before.keys() - after.keys()]
    return new


def _note(store: Store, moves: list[_Move], report: ReclassifyReport) -> None:
    """The gains and losses of a batch in `report`, with each article's date and source (read for these only)."""
    with store.read() as s:
        details = articles.article_details(s, list(dict.fromkeys(m.article.id for m in moves)))
    for m in moves:
        published, source = details[m.article.id]
        change = Change(m.article.id, m.article.title, published, source, m.terms)
        (report.gained if m.gained else report.lost).setdefault(m.topic, []).append(change)


def _evidence(t: TopicRecord) -> tuple[float, dict[str, int], list[str], dict[str, int]]:
    """What a stored topic says; words included, so a reclassify fills them in rows stored without."""
    return t.score, dict(t.terms), list(t.snippets), dict(t.words)
