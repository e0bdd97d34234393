"""Keyword classifiers: article text in, topic matches out. Pure: no I/O, no logging set-up.

    classifier = compile_topics(config["topics"])   # RuleError on a bad rule
    classifier.classify(title, text)                 # {topic: TopicMatch(score, terms, snippets, words)}
    classifier.explain(title, text)                  # {topic: Explanation(score, groups -> hits with places)}
    classifier.describe(topic)                       # the rule in words (describe_rule(spec))

The rule language is described in classifiers/RULES.md and in the comments of config.toml.
"""

from newsmon.classifiers.classifier import Classifier, TopicMatch, compile_topics
from newsmon.classifiers.explanation import Explanation, Hit, describe_rule
from newsmon.errors import RuleError

__all__ = ["Classifier", "Explanation", "Hit", "RuleError", "TopicMatch", "compile_topics", "describe_rule"]
