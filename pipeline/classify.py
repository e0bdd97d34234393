"""The classify stage: compiled topic rules applied to an article, results in storage's shape."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from newsmon.classifiers import Classifier, RuleError, compile_topics
from newsmon.storage.queries import TopicRecord

from newsmon.errors import ConfigError

__all__ = ["Classifier", "build_classifier", "topic_records"]


def build_classifier(topics: Mapping[str, Mapping[str, Any]], config_path: Path) -> Classifier:
    """Compile the [topics] tables once at start-up; a bad rule is a config error naming topic and term."""
    try:
        return compile_topics(topics)
    except RuleError as e:
        raise ConfigError(f"{config_path}: {e}") from None


def topic_records(classifier: Classifier, title: str, text: str) -> tuple[TopicRecord, ...]:
    matches = classifier.classify(title, text)
    return tuple(TopicRecord(topic=m.topic, score=m.score, terms=dict(m.terms), snippets=tuple(m.snippets))
                 for m in matches.values())
