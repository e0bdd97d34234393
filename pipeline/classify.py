"""The classify stage: the compiled topic rules applied to an article, the matches in storage's shape."""

from __future__ import annotations

from newsmon.classifiers import Classifier
from newsmon.storage.articles import TopicRecord


def topic_records(classifier: Classifier, title: str, text: str) -> tuple[TopicRecord, ...]:
    matches = classifier.classify(title, text)
    return tuple(TopicRecord(topic=m.topic, score=m.score, terms=dict(m.terms), snippets=tuple(m.snippets),
                             words=dict(m.words))
                 for m in matches.values())
