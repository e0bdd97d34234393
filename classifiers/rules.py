"""The [topics.NAME] tables of config.toml, checked once and turned into plain specs.

Every mistake is a RuleError whose message is one line naming the topic and the key, group or term at fault,
because the user fixes it in a text editor with nothing else to go on.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from newsmon.classifiers.terms import RAW_PREFIX, CompiledTerm, TermSyntaxError, compile_term
from newsmon.errors import RuleError

__all__ = ["GroupSpec", "TermSpec", "TopicSpec", "parse_topics"]

TOPIC_KEYS = ("title", "description", "groups", "all", "any", "none", "exclude", "near", "near_words", "near_paragraph",
              "threshold", "title_weight", "case", "fold")
GROUP_KEYS = ("terms", "from", "weight", "case", "fold")
TERM_KEYS = ("term", "weight", "case", "fold")
CASES = ("auto", "sensitive", "insensitive")
DEFAULT_THRESHOLD = 1.0
DEFAULT_TITLE_WEIGHT = 2.0
_LOWER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class TermSpec:
    text: str  # as written in the rule: the key of TopicMatch.terms
    weight: float
    sensitive: bool
    fold: bool
    compiled: CompiledTerm  # shared by every use of the same text in the same mode


@dataclass(frozen=True)
class GroupSpec:
    name: str
    weight: float
    terms: tuple[TermSpec, ...]


@dataclass(frozen=True)
class TopicSpec:
    name: str
    description: str
    groups: tuple[GroupSpec, ...]
    all: tuple[int, ...]
    any: tuple[int, ...]
    none: tuple[int, ...]
    exclude: tuple[TermSpec, ...]
    near: tuple[int, ...]
    near_words: int | None
    near_paragraph: bool
    threshold: float
    title_weight: float


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__


class _Topic:
    """Parsing context of one topic: knows the prefix every message starts with."""

    def __init__(self, name: str, table: Mapping[str, Any], terms: dict[tuple[str, bool, bool], CompiledTerm]
                 ) -> None:
        self.name = name
        self.table = table
        self.terms = terms

    def compile(self, text: str, *, sensitive: bool, fold: bool) -> CompiledTerm:
        key = (text, sensitive, fold)
        if key not in self.terms:
            self.terms[key] = compile_term(len(self.terms), text, sensitive=sensitive, fold=fold)
        return self.terms[key]

    def fail(self, where: str, message: str, term: str | None = None) -> RuleError:
        path = f"topics.{self.name}" + (f".{where}" if where else "")
        return RuleError(f"{path}: {message}", topic=self.name, term=term)

    def known_keys(self, table: Mapping[str, Any], where: str, allowed: tuple[str, ...]) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(where, f"unknown key {key!r} (allowed: {', '.join(allowed)})")

    def number(self, table: Mapping[str, Any], key: str, where: str, default: float) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(_join(where, key), f"must be a number, got {_type_name(value)}")
        if value < 0:
            raise self.fail(_join(where, key), "must be >= 0")
        return float(value)

    def boolean(self, table: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(_join(where, key), f"must be true or false, got {_type_name(value)}")
        return value

    def case(self, table: Mapping[str, Any], where: str, default: str) -> str:
        value = table.get("case", default)
        if value not in CASES:
            shown = repr(value) if isinstance(value, str) else _type_name(value)
            raise self.fail(_join(where, "case"), f"must be 'auto', 'sensitive' or 'insensitive', got {shown}")
        return str(value)

    def names(self, key: str) -> list[str]:
        value = self.table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, f"must be an array of group names, got {_type_name(value)}")
        return value


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def parse_topics(tables: Mapping[str, Any]) -> tuple[list[TopicSpec], list[CompiledTerm]]:
    """The topics in config order, and every distinct term once (its uid is its index)."""
    if not isinstance(tables, Mapping):
        raise RuleError(f"topics: must be a table, got {_type_name(tables)}", topic="", term=None)
    terms: dict[tuple[str, bool, bool], CompiledTerm] = {}
    topics = [_parse_topic(str(name), table, tables, terms) for name, table in tables.items()]
    return topics, list(terms.values())


def _parse_topic(name: str, table: Any, tables: Mapping[str, Any],
                 terms: dict[tuple[str, bool, bool], CompiledTerm]) -> TopicSpec:
    if not isinstance(table, Mapping):
        raise RuleError(f"topics.{name}: must be a table ([topics.{name}]), got {_type_name(table)}",
                        topic=name, term=None)
    t = _Topic(name, table, terms)
    t.known_keys(table, "", TOPIC_KEYS)
    description = table.get("description", "")
    if not isinstance(description, str):
        raise t.fail("description", f"must be a string, got {_type_name(description)}")
    case = t.case(table, "", "auto")
    fold = t.boolean(table, "fold", "", True)
    groups = _parse_groups(t, case, fold, tables)
    resolve = functools.partial(_group_indices, t, {g.name: i for i, g in enumerate(groups)})
    all_, any_, none = _parse_requirements(t, groups, resolve)
    exclude = _parse_exclude(t, case, fold)
    near, near_words, near_paragraph = _parse_near(t, all_, groups, resolve)
    return TopicSpec(name=name, description=description, groups=groups, all=all_, any=any_, none=none,
                     exclude=exclude, near=near, near_words=near_words, near_paragraph=near_paragraph,
                     threshold=t.number(table, "threshold", "", DEFAULT_THRESHOLD),
                     title_weight=t.number(table, "title_weight", "", DEFAULT_TITLE_WEIGHT))


def _parse_groups(t: _Topic, case: str, fold: bool, tables: Mapping[str, Any]) -> tuple[GroupSpec, ...]:
    raw_groups = t.table.get("groups")
    if raw_groups is None:
        raise t.fail("", f"has no term groups: add [topics.{t.name}.groups] with at least one group")
    if not isinstance(raw_groups, Mapping):
        raise t.fail("groups", f"must be a table of groups, got {_type_name(raw_groups)}")
    if not raw_groups:
        raise t.fail("groups", "is empty: define at least one group")
    return tuple(_parse_group(t, gname, gvalue, case, fold, tables, set()) for gname, gvalue in raw_groups.items())


def _group_indices(t: _Topic, index: Mapping[str, int], key: str) -> tuple[int, ...]:
    """The groups a key (all, any, none, near) names, as indices into the topic's groups, each once."""
    out = []
    for g in t.names(key):
        if g not in index:
            raise t.fail(key, f"names unknown group {g!r} (groups: {', '.join(index)})", term=g)
        out.append(index[g])
    if key in t.table and not out:
        raise t.fail(key, "is empty: name at least one group or leave the key out")
    return tuple(dict.fromkeys(out))


def _parse_requirements(t: _Topic, groups: tuple[GroupSpec, ...], resolve: Callable[[str], tuple[int, ...]]
                        ) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """all, any and none; without all and any, a match of any group that none leaves out is enough."""
    all_, any_, none = resolve("all"), resolve("any"), resolve("none")
    for g in none:
        if g in all_ or g in any_:
            raise t.fail("none", f"group {groups[g].name!r} is also required by 'all' or 'any'")
    if not all_ and not any_:
        any_ = tuple(i for i in range(len(groups)) if i not in none)
        if not any_:
            raise t.fail("none", "leaves no group that can match: 'all' or 'any' must name one")
    return all_, any_, none


def _parse_near(t: _Topic, all_: tuple[int, ...], groups: tuple[GroupSpec, ...],
                resolve: Callable[[str], tuple[int, ...]]) -> tuple[tuple[int, ...], int | None, bool]:
    table = t.table
    words = table.get("near_words")
    if words is not None and (isinstance(words, bool) or not isinstance(words, int) or words < 1):
        shown = words if isinstance(words, int) and not isinstance(words, bool) else _type_name(words)
        raise t.fail("near_words", f"must be a whole number of words >= 1, got {shown}")
    paragraph = t.boolean(table, "near_paragraph", "", False)
    near = resolve("near") if "near" in table else ()
    if not near and (words is not None or paragraph):
        near = all_
    if near:
        if words is None and not paragraph:
            raise t.fail("near", "needs near_words = N or near_paragraph = true")
        if len(near) < 2:
            raise t.fail("near", "needs at least two groups (by default the groups of 'all')")
    return near, words, paragraph


def _parse_group(t: _Topic, gname: str, value: Any, case: str, fold: bool, tables: Mapping[str, Any],
                 seen: set[tuple[str, str]]) -> GroupSpec:
    where = f"groups.{gname}"
    if isinstance(value, list):
        value = {"terms": value}
    if not isinstance(value, Mapping):
        raise t.fail(where, f"must be an array of terms or a table, got {_type_name(value)}")
    t.known_keys(value, where, GROUP_KEYS)
    if "from" in value:
        return _copy_group(t, gname, value, tables, seen)
    case = t.case(value, where, case)
    fold = t.boolean(value, "fold", where, fold)
    weight = t.number(value, "weight", where, 1.0)
    raw_terms = value.get("terms")
    if raw_terms is None:
        raise t.fail(where, "needs 'terms' (or 'from')")
    if not isinstance(raw_terms, list):
        raise t.fail(f"{where}.terms", f"must be an array of terms, got {_type_name(raw_terms)}")
    if not raw_terms:
        raise t.fail(where, f"group {gname!r} is empty: give it at least one term")
    terms = tuple(_parse_term(t, item, f"in group {gname!r}", where, case, fold) for item in raw_terms)
    return GroupSpec(gname, weight, terms)


def _copy_group(t: _Topic, gname: str, value: Mapping[str, Any], tables: Mapping[str, Any],
                seen: set[tuple[str, str]]) -> GroupSpec:
    """`{ from = "sco" }` reuses another topic's group, so a term list is written and fixed in one place."""
    where = f"groups.{gname}"
    ref = value["from"]
    if not isinstance(ref, str):
        raise t.fail(f"{where}.from", f"must be a string naming a topic or topic.group, got {_type_name(ref)}")
    for key in ("terms", "case", "fold"):
        if key in value:
            raise t.fail(where, f"'{key}' cannot be combined with 'from' (the copied group keeps its own)")
    src_topic, src_group = (ref, gname) if ref in tables else (ref.rpartition(".")[0], ref.rpartition(".")[2])
    src = tables.get(src_topic)
    groups = src.get("groups") if isinstance(src, Mapping) else None
    if not isinstance(src, Mapping) or not isinstance(groups, Mapping) or src_group not in groups:
        raise t.fail(f"{where}.from", f"{ref!r} names no group (write 'TOPIC' for a group of the same name "
                                      f"or 'TOPIC.GROUP')")
    if (src_topic, src_group) in seen or (src_topic == t.name and src_group == gname):
        raise t.fail(f"{where}.from", f"{ref!r} leads back to itself")
    s = _Topic(src_topic, src, t.terms)
    src_case = s.case(src, "", "auto")
    src_fold = s.boolean(src, "fold", "", True)
    copied = _parse_group(s, src_group, groups[src_group], src_case, src_fold, tables,
                          seen | {(t.name, gname)})
    weight = t.number(value, "weight", where, copied.weight)
    return GroupSpec(gname, weight, copied.terms)


def _parse_exclude(t: _Topic, case: str, fold: bool) -> tuple[TermSpec, ...]:
    value = t.table.get("exclude", [])
    if not isinstance(value, list):
        raise t.fail("exclude", f"must be an array of terms, got {_type_name(value)}")
    specs = []
    for item in value:
        if isinstance(item, Mapping) and "weight" in item:
            raise t.fail("", f"term {item.get('term')!r} in exclude: a weight means nothing in 'exclude'",
                         term=str(item.get("term")))
        specs.append(_parse_term(t, item, "in exclude", "exclude", case, fold))
    return tuple(specs)


def _term_and_options(t: _Topic, item: Any, where: str) -> tuple[str, Mapping[str, Any]]:
    """A term is written as a string, or as an inline table with the term and its options."""
    if isinstance(item, str):
        return item, {}
    if not isinstance(item, Mapping):
        raise t.fail(where, f"a term must be a string or an inline table, got {_type_name(item)}")
    t.known_keys(item, f"{where}.terms", TERM_KEYS)
    text = item.get("term")
    if not isinstance(text, str):
        raise t.fail(where, f"an inline term needs term = \"...\" (a string), got {_type_name(text)}")
    return text, item


def _parse_term(t: _Topic, item: Any, context: str, where: str, case: str, fold: bool) -> TermSpec:
    text, options = _term_and_options(t, item, where)
    label = f"term {text!r} {context}"

    def bad(message: str) -> RuleError:
        return t.fail("", f"{label}: {message}", term=text)

    if not text.strip():
        raise bad("empty term")
    weight = options.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
        raise bad(f"weight must be a number >= 0, got {_shown(weight)}")
    case = options.get("case", case)
    if case not in CASES:
        raise bad(f"case must be 'auto', 'sensitive' or 'insensitive', got {_shown(case)}")
    fold = options.get("fold", fold)
    if not isinstance(fold, bool):
        raise bad(f"fold must be true or false, got {_shown(fold)}")
    if text.startswith(RAW_PREFIX) and ("case" in options or "fold" in options):
        raise bad("'case' and 'fold' do not apply to re: terms (write (?i) in the regex)")
    sensitive = case == "sensitive" or (case == "auto" and _looks_like_acronym(text))
    fold = fold and not sensitive
    try:
        compiled = t.compile(text, sensitive=sensitive, fold=fold)
    except TermSyntaxError as e:
        raise bad(str(e)) from None
    return TermSpec(text=text, weight=float(weight), sensitive=sensitive, fold=fold, compiled=compiled)


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str | int | float) and not isinstance(value, bool) else _type_name(
        value)


def _looks_like_acronym(text: str) -> bool:
    """No lower-case letter and at least one letter: SCO, ŞƏT, ШОС, SCO+ are matched exactly."""
    letters = _LOWER.findall(text.removesuffix("*"))
    return bool(letters) and not any(c.islower() for c in letters)
