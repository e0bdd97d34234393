"""The one error the classifiers raise: a rule in config.toml that cannot be compiled."""

from __future__ import annotations

__all__ = ["RuleError"]


class RuleError(ValueError):
    """A bad topic rule. str() is one line naming the topic and the key, group or term at fault;
    the pipeline prefixes the config file's path and exits with status 2."""

    def __init__(self, message: str, *, topic: str, term: str | None = None) -> None:
        super().__init__(message)
        self.topic = topic
        self.term = term  # the offending term (or group name a rule refers to); None for key errors
