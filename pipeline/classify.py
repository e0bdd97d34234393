"""The classify stage: the compiled topic rules applied to an article, the matches in storage's shape."""

from __future__ import annotations

from collections.abc import Iterable

from newsmon.classifiers import Classifier, TopicMatch
from newsmon.storage.articles import TopicRecord


def topic_records(classifier: Classifier, title: str, text: str) -> tuple[TopicRecord, ...]:
    return as_records(classifier.classify(title, text).values())


def as_records(matches: Iterable[TopicMatch]) -> tuple[TopicRecord, ...]:
    """Matches made elsewhere (in an extraction worker) in storage's shape."""
    return tuple(TopicRecord(topic=m.topic, score=m.score, terms=dict(m.terms), snippets=tuple(m.snippets),
                             words=dict(m.words))
                 for m in matches)
