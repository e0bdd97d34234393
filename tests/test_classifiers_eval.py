"""The shipped rules on the labelled evaluation set and the seed articles, and their documentation."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from newsmon.classifiers import Classifier, compile_topics
from newsmon.classifiers.evaluation import LabelledText, evaluate, format_report, parse_jsonl, parse_seed
from newsmon.classifiers.rules import GROUP_KEYS, TERM_KEYS, TOPIC_KEYS

REPO = Path(__file__).parent.parent
EVAL = REPO / "tests" / "data" / "eval"
SHIPPED = ("sco", "sco_azerbaijan")


@pytest.fixture(scope="module")
def shipped() -> Classifier:
    with (REPO / "config.toml").open("rb") as f:
        return compile_topics(tomllib.load(f)["topics"])


def seeds() -> list[LabelledText]:
    return [parse_seed(f"seed-{p.stem}", p.read_text(encoding="utf-8"), SHIPPED)
            for p in sorted((EVAL / "seeds").glob("*.txt"))]


def eval_set() -> list[LabelledText]:
    return parse_jsonl((EVAL / "eval.jsonl").read_text(encoding="utf-8").splitlines()) + seeds()


def test_eval_set_is_big_enough_multilingual_and_small() -> None:
    items = eval_set()
    written = [i for i in items if not i.id.startswith("seed-")]
    assert len(written) >= 60 and len(seeds()) == 5
    assert {i.lang for i in written} == {"en", "ru", "az"}
    assert sum(p.stat().st_size for p in EVAL.rglob("*") if p.is_file()) < 300_000
    for topic in SHIPPED:  # both classes present for both topics
        assert any(topic in i.labels for i in written) and any(topic not in i.labels for i in written)


def test_shipped_topics_tag_all_five_seeds_sco_azerbaijan(shipped: Classifier) -> None:
    for seed in seeds():
        assert "sco_azerbaijan" in shipped.classify(seed.title, seed.text), seed.id


@pytest.mark.parametrize("topic", SHIPPED)
def test_shipped_topic_precision_and_recall_at_least_095(shipped: Classifier, topic: str) -> None:
    items = eval_set()
    scores = evaluate(shipped, items, [topic])
    s = scores[topic]
    assert s.precision >= 0.95 and s.recall >= 0.95, format_report(scores, len(items))


def test_shipped_matches_explain_themselves(shipped: Classifier) -> None:
    seed = seeds()[0]
    m = shipped.classify(seed.title, seed.text)["sco_azerbaijan"]
    assert m.terms["SCO"] > 0 and m.terms["Azerbaijan*"] > 0 and m.score >= 2
    assert 1 <= len(m.snippets) <= 3 and all(30 < len(s) < 400 for s in m.snippets)


def test_every_rule_key_is_documented_in_config_and_rules_md() -> None:
    config = (REPO / "config.toml").read_text(encoding="utf-8")
    rules_md = (REPO / "classifiers" / "RULES.md").read_text(encoding="utf-8")
    for key in {*TOPIC_KEYS, *GROUP_KEYS, *TERM_KEYS}:
        in_code = re.compile(rf"`[^`\n]*\b{key}\b[^`\n]*`")
        assert in_code.search(rules_md) and re.search(rf"\b{key}\b", config), key
