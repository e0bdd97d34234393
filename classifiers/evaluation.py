"""Precision and recall of topic rules on labelled texts: the same numbers for the eval script and the tests.

Pure: the callers read the files and hand over their contents.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from newsmon.classifiers.classifier import Classifier

__all__ = ["LabelledText", "TopicScores", "evaluate", "format_report", "parse_jsonl", "parse_seed"]


@dataclass(frozen=True)
class LabelledText:
    id: str
    lang: str
    title: str
    text: str
    labels: frozenset[str]  # the topics that should match


@dataclass(frozen=True)
class TopicScores:
    topic: str
    tp: int
    fp: int
    fn: int
    tn: int
    false_positives: tuple[str, ...]
    false_negatives: tuple[str, ...]

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def parse_jsonl(lines: Iterable[str]) -> list[LabelledText]:
    """One JSON object a line: {id, lang, title, text, labels}."""
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            out.append(LabelledText(str(rec["id"]), str(rec["lang"]), str(rec["title"]), str(rec["text"]),
                                    frozenset(rec["labels"])))
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"line {n}: not a labelled text ({e})") from None
    return out


def parse_seed(item_id: str, content: str, labels: Iterable[str], lang: str = "en") -> LabelledText:
    """A seed file: the first line is the title, the rest is the text."""
    title, _, text = content.partition("\n")
    return LabelledText(item_id, lang, title.strip(), text, frozenset(labels))


def evaluate(classifier: Classifier, items: Sequence[LabelledText],
             topics: Iterable[str] | None = None) -> dict[str, TopicScores]:
    topics = tuple(topics) if topics is not None else classifier.topics
    found = {item.id: set(classifier.classify(item.title, item.text)) for item in items}
    scores = {}
    for topic in topics:
        tp = fp = fn = tn = 0
        fps, fns = [], []
        for item in items:
            expected, got = topic in item.labels, topic in found[item.id]
            if expected and got:
                tp += 1
            elif got:
                fp += 1
                fps.append(item.id)
            elif expected:
                fn += 1
                fns.append(item.id)
            else:
                tn += 1
        scores[topic] = TopicScores(topic, tp, fp, fn, tn, tuple(fps), tuple(fns))
    return scores


def format_report(scores: dict[str, TopicScores], n_items: int) -> str:
    lines = [f"{n_items} labelled texts", f"{'topic':<16} {'precision':>9} {'recall':>7} {'F1':>6}   tp  fp  fn  tn"]
    for s in scores.values():
        lines.append(f"{s.topic:<16} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f} "
                     f"{s.tp:>4} {s.fp:>3} {s.fn:>3} {s.tn:>3}")
    for s in scores.values():
        if s.false_positives:
            lines.append(f"{s.topic}: false positives: {', '.join(s.false_positives)}")
        if s.false_negatives:
            lines.append(f"{s.topic}: false negatives: {', '.join(s.false_negatives)}")
    return "\n".join(lines)
