"""Precision, recall and F1 per topic of the configured rules on the labelled evaluation set.

    .venv/bin/python benchmarks/evaluate.py [--config PATH] [--data DIR]

The set is tests/data/eval/: eval.jsonl (one labelled text a line) and seeds/*.txt (the five seed articles,
title on the first line, positives for both shipped topics). tests/test_classifiers_eval.py asserts the same
numbers (>= 0.95) with the same code (classifiers.evaluation).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from newsmon.classifiers import RuleError, compile_topics
from newsmon.classifiers.evaluation import LabelledText, evaluate, format_report, parse_jsonl, parse_seed

REPO = Path(__file__).resolve().parent.parent

SEED_LABELS = ("sco", "sco_azerbaijan")


def load_eval_set(directory: Path) -> list[LabelledText]:
    items = parse_jsonl((directory / "eval.jsonl").read_text(encoding="utf-8").splitlines())
    for path in sorted((directory / "seeds").glob("*.txt")):
        items.append(parse_seed(f"seed-{path.stem}", path.read_text(encoding="utf-8"), SEED_LABELS))
    return items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, default=REPO / "config.toml")
    parser.add_argument("--data", type=Path, default=REPO / "tests" / "data" / "eval")
    args = parser.parse_args(argv)
    with args.config.open("rb") as f:
        topics = tomllib.load(f).get("topics", {})
    try:
        classifier = compile_topics(topics)
    except RuleError as e:
        print(f"{args.config}: {e}", file=sys.stderr)
        return 2
    items = load_eval_set(args.data)
    print(format_report(evaluate(classifier, items), len(items)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
