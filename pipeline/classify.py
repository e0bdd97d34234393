"""The classify stage: the compiled topic rules applied to an article, the matches in storage's shape."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Protocol

from newsmon.storage.articles import TopicRecord

if TYPE_CHECKING:
    from newsmon.classifiers import TopicMatch


class Classifies(Protocol):
    """What the pipeline needs of the topic rules: a `newsmon.classifiers.Classifier`, or the shell's
    `TopicRules`, which compiles one only when the first new article comes (an unchanged run needs none)."""

    def classify(self, title: str, text: str) -> Mapping[str, TopicMatch]: ...


def topic_records(classifier: Classifies, title: str, text: str) -> tuple[TopicRecord, ...]:
    return as_records(classifier.classify(title, text).values())


def as_records(matches: Iterable[TopicMatch]) -> tuple[TopicRecord, ...]:
    """Matches made elsewhere (in an extraction worker) in storage's shape."""
    return tuple(TopicRecord(topic=m.topic, score=m.score, terms=dict(m.terms), snippets=tuple(m.snippets),
                             words=dict(m.words))
                 for m in matches)
