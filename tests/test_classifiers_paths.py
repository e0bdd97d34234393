"""The fast paths of the classifier give the results of the plain ones: the prefilter, the two shapes of the
combined pattern, the one-pass title and body scan, and the sentence-end index of snippets.

Each fast path is compared with its plain counterpart on the evaluation set, the sample articles and random
texts made of the words the rules are about (seeded, so a failure repeats)."""

from __future__ import annotations

import random
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from newsmon.classifiers import Classifier, compile_topics
from newsmon.classifiers.classifier import (
    _SENTENCE_END,
    _last_sentence_end,
    _next_sentence_end,
    _normalize,
    _snippet_bounds,
    _Snippets,
)
from newsmon.classifiers.evaluation import parse_jsonl, parse_seed
from newsmon.classifiers.matcher import Matcher, Prefilter, _legacy_regex, _trie

REPO = Path(__file__).parent.parent
EVAL = REPO / "tests" / "data" / "eval"

FRAGMENTS = [
    "SCO", "sco", "Sco", "SCO+", "SCO Plus", "SCO-Plus", "SCO – Plus", "ШОС", "шос", "ШОССЕ", "ŞƏT", "SET", "set",
    "Shanghai", "Cooperation", "Co-operation", "Organization", "Organisation", "Şanxay", "Sanxay", "Əməkdaşlıq",
    "Emekdasliq", "Təşkilatı", "Teskilati", "Azerbaijan", "AZERBAIJAN", "Azerbaijan's", "Azerbaijani",
    "Azərbaycan", "AZƏRBAYCAN", "Azerbaycan", "Baku", "BAKU", "Баку", "БАКУ", "Bakı", "BAKI", "Bakıda", "İlham",
    "Ilham", "Aliyev", "Əliyev", "Азербайджан", "Азербайджана", "Шанхайской", "организации", "сотрудничества",
    "UNESCO", "ICESCO", "Scottish", "Chamber", "Orchestra", "SCO Group", "Santa", "Cruz", "Operation", "plus",
    "Plus", "Sputnik", "AZƏRTAC", "Türkiye", "Turkiye", "ΟΔΟΣ", "οδος", "Σ", "ʼ", "ʻ", "’", "'", "+", "-", "—",
    "(", ")", ".", ",", "\n", "  ", "«", "»", '"', "the", "summit", "a", "µ", "Μ", "K", "İ", "ı", "ß", "x", "1",
    "_", "Ǆ", "\u00a0", "S\u0327ƏT", "ё", "Ё", "е", "😀", "𝐀", "😀SCO", "𝐀SCO", "«ШОС»",
]
TERMS = [
    "SCO", "SCO+", "SCO Plus", "Shanghai Cooperation Organi*", "ШОС", "ŞƏT", "Şanxay Əməkdaşlıq Təşkilat*",
    "Azerbaijan*", "Baku", "Bakı", "Bakıda", "İlham Əliyev*", "Ilham Aliyev", "Азербайдж*", "Баку", "БАКУ",
    "Шанхайск* организаци* сотрудничеств*", "Türkiye", "ΟΔΟΣ", "οδος*", "Azerbaijan's", "SCO Group", "Sco*",
    "µ", "K", "x", "ß*", "Azərbaycan", "Shanghai*", "Scottish Chamber Orchestra", "aʼ", "Ёлка", "е", "the summit",
    "Sputnik Azerbaijan", "S+*", "1", "+1", "'s", r"re:\bSCO\s?\+", r"re:^BAKU, \w+",
]


def random_text(rng: random.Random, n: int) -> str:
    out = []
    for _ in range(n):
        out.append(rng.choice(FRAGMENTS))
        out.append(rng.choice(["", " ", " ", " ", "\n", "-", ".", ", ", ". "]))
    return "".join(out)


def random_term(rng: random.Random, weight: bool = True) -> Any:
    term = rng.choice(TERMS)
    if term.startswith("re:"):
        return term
    r = rng.random()
    if r < 0.15:
        return {"term": term, "case": rng.choice(["sensitive", "insensitive", "auto"])}
    if r < 0.25:
        return {"term": term, "fold": False}
    if r < 0.35 and weight:
        return {"term": term, "weight": rng.choice([0, 0.1, 0.3, 2, 1.7])}
    return term


def random_rules(rng: random.Random) -> dict[str, Any]:
    tables: dict[str, Any] = {}
    for k in range(rng.randint(1, 4)):
        groups = {f"g{j}": [random_term(rng) for _ in range(rng.randint(1, 4))] for j in range(rng.randint(1, 3))}
        table: dict[str, Any] = {"groups": groups}
        names = list(groups)
        r = rng.random()
        if r < 0.4 and len(names) > 1:
            table["all"] = names[:2]
            if len(names) > 2 and rng.random() < 0.5:
                table["none"] = [names[2]]
            if rng.random() < 0.3:
                table["near_words"] = rng.randint(1, 6)
        elif r < 0.7:
            table["any"] = names[:1]
            if len(names) > 1 and rng.random() < 0.5:
                table["none"] = [names[-1]]
        if rng.random() < 0.4:
            table["exclude"] = [random_term(rng, weight=False) for _ in range(rng.randint(1, 2))]
        if rng.random() < 0.4:
            table["threshold"] = rng.choice([0, 1, 2, 3, 0.3])
        if rng.random() < 0.3:
            table["title_weight"] = rng.choice([0, 1, 3, 0.1])
        tables[f"t{k}"] = table
    return tables


def as_data(c: Classifier, title: str, text: str) -> dict[str, Any]:
    """Everything a result says, in order (a dict of TopicMatch compares terms without their order)."""
    return {k: (m.score, list(m.terms.items()), m.snippets) for k, m in c.classify(title, text).items()}


def articles() -> list[tuple[str, str]]:
    from newsmon.demo.articles import load_sample_articles

    out = [(i.title, i.text) for i in parse_jsonl((EVAL / "eval.jsonl").read_text(encoding="utf-8").splitlines())]
    out += [(s.title, s.text) for s in (parse_seed(p.stem, p.read_text(encoding="utf-8"), ())
                                        for p in sorted((EVAL / "seeds").glob("*.txt")))]
    out += [(a["title"], "\n".join(a["paragraphs"])) for a in load_sample_articles()]
    return out


@pytest.fixture(scope="module")
def shipped_tables() -> dict[str, Any]:
    with (REPO / "config.toml").open("rb") as f:
        return tomllib.load(f)["topics"]


# -- the prefilter ---------------------------------------------------------------------------------------

def test_shipped_rules_have_a_prefilter_that_skips_most_other_news(shipped_tables: dict[str, Any]) -> None:
    c = compile_topics(shipped_tables)
    assert c._prefilter is not None
    skipped = [t + "\n" + x for t, x in articles() if not c._prefilter.maybe_in(_normalize(t), _normalize(x))]
    assert any("UNESCO" in t for t in skipped)  # "SCO" inside a word is no reason to look closer
    assert any("plus or minus" in t for t in skipped)  # "plus" alone is no "SCO Plus"


def test_prefilter_changes_no_result_on_eval_set_and_sample_articles(shipped_tables: dict[str, Any]) -> None:
    fast = compile_topics(shipped_tables)
    full = compile_topics(shipped_tables, prefilter=False)
    rng = random.Random(7)
    docs = articles()
    docs += [(random_text(rng, rng.randint(0, 3)), random_text(rng, rng.randint(0, 60))) for _ in range(300)]
    for title, text in docs:
        assert as_data(fast, title, text) == as_data(full, title, text), (title, text)


@pytest.mark.parametrize("seed", range(2))
def test_prefilter_changes_no_result_for_random_rules(seed: int) -> None:
    rng = random.Random(seed)
    docs = articles()[::5]
    gated = 0
    for _ in range(60):
        tables = random_rules(rng)
        fast = compile_topics(tables)
        full = compile_topics(tables, prefilter=False)
        gated += fast._prefilter is not None
        for title, text in docs + [(random_text(rng, rng.randint(0, 3)), random_text(rng, rng.randint(0, 40)))
                                   for _ in range(12)]:
            assert as_data(fast, title, text) == as_data(full, title, text), (tables, title, text)
    assert gated  # the random rules do exercise the prefilter


@pytest.mark.parametrize("seed", range(2))
def test_prefilter_says_maybe_whenever_a_term_matches(seed: int) -> None:
    """Prefilter alone, on any set of terms: never "absent" when the matcher finds one of them."""
    rng = random.Random(100 + seed)
    for _ in range(150):
        group = [random_term(rng) for _ in range(rng.randint(1, 5))]
        c = compile_topics({"t": {"groups": {"g": group}}}, prefilter=False)
        terms = [t.compiled for t in c.specs[0].groups[0].terms]
        for word_start in {False, c._matcher.word_start}:  # True only where every stretch starts a word
            gate = Prefilter(terms, word_start=word_start)
            for _ in range(10):
                title, text = random_text(rng, rng.randint(0, 3)), random_text(rng, rng.randint(0, 30))
                if c.classify(title, text):
                    assert gate.maybe_in(_normalize(" ".join(title.split())), _normalize(text)), (group, title, text)


def test_prefilter_looks_for_whole_terms() -> None:
    az = ["Azerbaijan*", "Baku", "Ilham Aliyev", "Азербайдж*", "Azərbaycan*", "Bakı"]
    c = compile_topics({"t": {"groups": {"sco": ["SCO", "SCO Plus", "Shanghai Cooperation Organization", "ШОС"],
                                         "az": az}, "all": ["sco", "az"]}})
    gate = c._prefilter
    assert gate is not None
    for text in ("UNESCO and Azerbaijan", "ICESCO", "РЕКОНСТРУКЦИЯ ШОССЕ", "BRICS Plus in Kazan",
                 "4 percent plus or minus", "Shanghai stocks", "Shanghai Cooperation with Baku"):
        assert not gate.maybe_in("", text), text
    for text in ("the SCO met", "(SCO)", "SCO-Plus", "sco  plus", "Şhanghai Cooperation\nOrganization", "«ШОС»"):
        assert gate.maybe_in("", text), text


# -- the combined pattern --------------------------------------------------------------------------------

def test_a_term_right_after_one_ending_in_punctuation_is_found() -> None:
    c = compile_topics({"t": {"groups": {"g": ["SCO+", "SCO"]}}})
    assert c.classify("", "SCO+SCO summit")["t"].terms == {"SCO": 1, "SCO+": 1}


@pytest.mark.parametrize(("text", "found"), [("😀SCO", True), ("𝐀SCO", False), ("𠀀SCO", False), ("x😀 SCO", True)])
def test_characters_beyond_the_bmp_bound_words_as_their_class_says(text: str, found: bool) -> None:
    assert bool(compile_topics({"t": {"groups": {"g": ["SCO"]}}}).classify("", text)) is found


def test_no_term_spans_the_title_and_the_text() -> None:
    c = compile_topics({"t": {"groups": {"g": ["SCO", "SCO Plus", "Shanghai Cooperation Organization"]}}})
    assert c.classify("Shanghai Cooperation", "Organization members met") == {}
    assert c.classify("The SCO", "Plus members met")["t"].terms == {"SCO": 1}


def test_greek_final_sigma_folds_the_same_in_title_and_text() -> None:
    c = compile_topics({"t": {"groups": {"g": ["οδος"]}}})
    assert c.classify("ΟΔΟΣ", "ΟΔΟΣ και")["t"].terms == {"οδος": 2}


def test_a_term_starting_with_punctuation_uses_the_older_pattern_shape() -> None:
    c = compile_topics({"t": {"groups": {"g": ["+1", "SCO"]}}})
    assert not c._matcher.word_start
    assert c.classify("", "SCO +1 and x+1 SCO")["t"].terms == {"+1": 2, "SCO": 2}


@pytest.mark.parametrize("seed", range(3))
def test_both_pattern_shapes_find_the_same_stretches(seed: int) -> None:
    rng = random.Random(200 + seed)
    for _ in range(40):
        terms = []
        for group in random_rules(rng).values():
            terms += [t for g in group["groups"].values() for t in g]
        c = compile_topics({"t": {"groups": {"g": terms}}}, prefilter=False)
        m = c._matcher
        if not m.word_start or m.pattern is None:
            continue
        plain = [t for ts in m.by_first.values() for t in ts]
        legacy = Matcher([])
        legacy.pattern = re.compile(_legacy_regex(_trie(list({t.uid: t for t in plain}.values()))))
        legacy._consuming = False
        legacy._fold_only = m._fold_only
        for _ in range(15):
            text = _normalize(random_text(rng, rng.randint(0, 40)))
            assert m.spans(text) == legacy.spans(text), (terms, text)
            title = _normalize(" ".join(random_text(rng, 3).split()))
            assert m.spans_of_pair(title, text) == (m.spans(title), m.spans(text)), (terms, title, text)


# -- snippets ----------------------------------------------------------------------------------------------

def sentence_texts(rng: random.Random, n: int) -> list[str]:
    pieces = [" w", "ab", " ", "  ", "\u00a0", "\u2009x", "\t", "é", ".", ". ", "\n", " ‘q’ ", "ʼ", '…"', "?»",
              '." ', ".)\n", "!"]
    weights = [30, 10, 10, 3, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    return ["".join(rng.choices(pieces, weights, k=rng.randint(1, 1500))) for _ in range(n)]


def test_sentence_ends_searched_around_a_match_are_those_of_the_regex() -> None:
    rng = random.Random(3)
    for text in sentence_texts(rng, 150):
        for _ in range(20):
            lo = rng.randrange(len(text) + 1)
            hi = rng.randint(lo, len(text))
            last = None
            for m in _SENTENCE_END.finditer(text, lo, hi):
                last = m
            assert _last_sentence_end(text, lo, hi) == (last.end() if last else lo)
            first = _SENTENCE_END.search(text, lo, hi)
            assert _next_sentence_end(text, lo, hi) == (first.end() if first else -1)


def test_listed_sentence_ends_give_the_bounds_searched_around_each_match(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("classifiers.classifier._INDEX_FROM", 1)
    rng = random.Random(4)
    for text in sentence_texts(rng, 200):
        places = sorted({(a, min(len(text), a + rng.randint(1, 6)))
                         for a in (rng.randrange(len(text)) for _ in range(rng.randint(6, 12)))})
        items = [(a, b, 0) for a, b in places]
        snippets = _Snippets(text, "", [items])
        assert snippets.reach >= 0  # the index is used
        for a, b, _g in items[:5]:
            assert snippets._bounds(a, b) == _snippet_bounds(text, a, b)


def test_a_long_sentence_is_cut_to_the_same_words_either_way() -> None:
    words = " ".join(f"w{i}" for i in range(100))
    text = f"{words} SCO {words}."
    s0, s1, cut_lo, cut_hi = _snippet_bounds(text, text.index("SCO"), text.index("SCO") + 3)
    assert cut_lo and cut_hi and text[s0:s1].split() == [*words.split()[-12:], "SCO", *words.split()[:12]]
