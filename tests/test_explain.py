"""Classifier.explain and describe: why an article carries a topic, with every counted match placed in the
title and text exactly as given, and the rule in words."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from newsmon.classifiers import Classifier, Explanation, Hit, compile_topics, describe_rule
from newsmon.classifiers.evaluation import LabelledText, parse_jsonl
from newsmon.classifiers.explanation import OffsetMap
from newsmon.classifiers.rules import TermSpec
from tests.test_classifiers_eval import SHIPPED, seeds
from tests.test_classifiers_paths import random_rules, random_text

REPO = Path(__file__).parent.parent
EVAL = REPO / "tests" / "data" / "eval"


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


def corpus() -> list[LabelledText]:
    return parse_jsonl((EVAL / "eval.jsonl").read_text(encoding="utf-8").splitlines())


def one(groups: dict[str, Any], **keys: Any) -> Classifier:
    return compile_topics({"t": {"groups": groups, **keys}})


def sliced(hit: Hit, title: str, text: str) -> str:
    return (title if hit.part == "title" else text)[hit.start:hit.end]


def term_specs(c: Classifier) -> dict[tuple[str, str, str], list[TermSpec]]:
    """(topic, group, term as written) -> its specs: one text may be listed twice, with other options."""
    out: dict[tuple[str, str, str], list[TermSpec]] = {}
    for spec in c.specs:
        for group in spec.groups:
            for term in group.terms:
                out.setdefault((spec.name, group.name, term.text), []).append(term)
    return out


def matches_term(found: str, term: TermSpec, part: str) -> bool:
    """``found`` (NFC) is a match of ``term``: its own pattern, case and diacritics as the rule says; a match
    that ends inside a composed character takes the marks NFC left after it too. A regex sees the title with
    its runs of white space made one space, as classify does."""
    if term.compiled.raw:
        return term.compiled.regex.search(" ".join(found.split()) if part == "title" else found) is not None
    m = term.compiled.regex.match(found)
    return m is not None and all(unicodedata.combining(c) for c in found[m.end():])


def assert_explains(c: Classifier, title: str, text: str) -> dict[str, Explanation]:
    """explain agrees with classify (topics, order, scores, term counts), and every hit is where it says."""
    found = c.classify(title, text)
    explained = c.explain(title, text)
    assert list(explained) == list(found)
    terms = term_specs(c)
    order = {"title": 0, "text": 1}
    for topic, e in explained.items():
        m = found[topic]
        assert e.topic == topic and e.score == m.score
        assert e.terms == m.terms  # as many hits as classify counted, term by term
        spec = next(s for s in c.specs if s.name == topic)
        assert e.threshold == spec.threshold
        assert list(e.groups) == [g.name for g in spec.groups if g.name in e.groups]  # rule order
        assert sum(h.weight for h in e.hits) == pytest.approx(e.score, abs=1e-6)
        for group, hits in e.groups.items():
            assert hits and all(h.group == group for h in hits)
            assert hits == sorted(hits, key=lambda h: (order[h.part], h.start))  # title first, text order
        placed = e.hits
        for a, b in zip(placed, placed[1:]):  # a topic's counted matches never overlap
            assert a.part != b.part or a.end <= b.start
        for h in placed:
            part = title if h.part == "title" else text
            assert 0 <= h.start < h.end <= len(part)
            found_text = nfc(sliced(h, title, text))
            assert any(matches_term(found_text, t, h.part) for t in terms[(topic, h.group, h.term)]), (h, found_text)
        for part, start, end in e.excluded:
            assert part in ("title", "text") and 0 <= start < end <= len(title if part == "title" else text)
    return explained


# -- the same topics and scores as classify -----------------------------------------------------------------

def test_explain_gives_the_topics_and_scores_of_classify_for_every_seed_article(shipped: Classifier) -> None:
    for seed in seeds():
        explained = assert_explains(shipped, seed.title, seed.text)
        assert "sco_azerbaijan" in explained, seed.id


def test_explain_gives_the_topics_and_scores_of_classify_on_the_evaluation_corpus(shipped: Classifier) -> None:
    items = corpus()
    assert len(items) > 60
    tagged = 0
    for item in items:
        tagged += bool(assert_explains(shipped, item.title, item.text))
    assert tagged > 20


def test_explain_of_an_article_without_topics_is_empty(shipped: Classifier) -> None:
    assert shipped.explain("", "") == {}
    assert shipped.explain("Weather", "Rain in Scotland; UNESCO meets in Paris.") == {}


@pytest.mark.parametrize("seed", range(12))
def test_explain_agrees_with_classify_for_random_rules_and_texts(seed: int) -> None:
    rng = random.Random(seed)
    c = compile_topics(random_rules(rng))
    for _ in range(40):
        title, text = random_text(rng, rng.randint(0, 4)), random_text(rng, rng.randint(0, 50))
        plain = assert_explains(c, title, text)
        # the same article with a decomposed text and a title spread over runs of white space: the same hits,
        # each on the same words
        spread = "  \n".join(title.split(" ")) + " \t"
        changed = assert_explains(c, spread, nfd(text))
        assert list(changed) == list(plain)
        for topic, e in changed.items():
            assert [(h.part, h.group, h.term, " ".join(nfc(sliced(h, spread, nfd(text))).split()))
                    for h in e.hits] == [(h.part, h.group, h.term, " ".join(nfc(sliced(h, title, text)).split()))
                                         for h in plain[topic].hits]


# -- places in the strings as given --------------------------------------------------------------------------

def test_hits_slice_the_original_text_of_their_terms_in_the_seed_articles(shipped: Classifier) -> None:
    for seed in seeds():
        e = shipped.explain(seed.title, seed.text)["sco_azerbaijan"]
        for h in e.hits:
            found = sliced(h, seed.title, seed.text)
            if h.term in ("SCO", "Baku", "Ilham Aliyev", "Shanghai Cooperation Organization"):
                assert found.casefold() == h.term.casefold()
            elif h.term == "Azerbaijan*":
                assert found.casefold().startswith("azerbaijan")
        assert {h.group for h in e.hits} == {"sco", "azerbaijan"}


def test_offsets_stay_right_in_a_title_with_runs_of_spaces_and_line_breaks() -> None:
    c = one({"sco": ["SCO", "SCO Plus"], "az": ["Azerbaijan*", "Baku"]}, all=["sco", "az"])
    title = "  \n The SCO \n\n  Plus   summit\t\tin  Baku:   Azerbaijani  views \n"
    e = assert_explains(c, title, "")["t"]
    assert [(h.part, sliced(h, title, ""), h.term) for h in e.hits] == [
        ("title", "SCO \n\n  Plus", "SCO Plus"), ("title", "Baku", "Baku"), ("title", "Azerbaijani", "Azerbaijan*")]
    assert [h.weight for h in e.hits] == [2.0, 2.0, 2.0]


def test_offsets_stay_right_after_decomposed_unicode_in_the_text() -> None:
    c = one({"sco": ["Şanxay Əməkdaşlıq Təşkilat*", "SCO"], "az": ["Azərbaycan*", "İlham Əliyev*", "Türkiye"]},
            all=["sco", "az"])
    text = nfd("Şəhərdə Türkiye, Azərbaycan və Şanxay Əməkdaşlıq Təşkilatı. Prezident İlham Əliyev: SCO.")
    assert text != nfc(text) and len(text) > len(nfc(text))
    e = assert_explains(c, "", text)["t"]
    found = [(sliced(h, "", text), h.term) for h in e.hits]
    assert found == [(nfd("Türkiye"), "Türkiye"), (nfd("Azərbaycan"), "Azərbaycan*"),
                     (nfd("Şanxay Əməkdaşlıq Təşkilatı"), "Şanxay Əməkdaşlıq Təşkilat*"),
                     (nfd("İlham Əliyev"), "İlham Əliyev*"), ("SCO", "SCO")]
    assert text[e.hits[-1].start - 2:e.hits[-1].end + 1] == ": SCO."


def test_offsets_stay_right_in_a_decomposed_title_with_runs_of_spaces(shipped: Classifier) -> None:
    title = nfd("  Şanxay  Əməkdaşlıq\nTəşkilatı   və   Azərbaycan:  ŞƏT  \n")
    e = assert_explains(shipped, title, "")["sco_azerbaijan"]
    assert [sliced(h, title, "") for h in e.hits] == [
        nfd("Şanxay  Əməkdaşlıq\nTəşkilatı"), nfd("Azərbaycan"), nfd("ŞƏT")]


def test_a_match_ending_inside_a_composed_character_takes_all_of_it() -> None:
    # NFC makes "s" + cedilla + acute into "ş" + acute: the term "Baş" ends between the two; the hit ends
    # after the whole letter as written, marks and all
    c = one({"g": ["Baş"]})
    text = "x Bas\u0327\u0301 y"
    assert nfc(text) == "x Baş\u0301 y"
    e = assert_explains(c, "", text)["t"]
    assert [(h.start, h.end) for h in e.hits] == [(2, 7)]


def test_raw_regex_hits_are_placed_in_the_original_text() -> None:
    c = one({"g": [r"re:\bSCO\s?\+", "Baku"]})
    text = nfd("Ümumi: SCO + Baku, SCO+.")
    e = assert_explains(c, "", text)["t"]
    assert [sliced(h, "", text) for h in e.hits] == ["SCO +", "Baku", "SCO+"]


# -- exclusions -------------------------------------------------------------------------------------------------

def test_exclusions_are_reported_with_their_places_and_their_matches_are_not_hits() -> None:
    c = one({"az": ["Azerbaijan*"], "sco": ["SCO"]}, all=["az", "sco"],
            exclude=[{"term": "BAKU, Azerbaijan", "case": "sensitive"}, r"re:SCO(?= \d-\d)"])
    title = "SCO  and   Azerbaijan"
    text = "BAKU, Azerbaijan, July 4. Azerbaijan and the SCO met. Result: SCO 2-1 AZE."
    e = assert_explains(c, title, text)["t"]
    assert e.excluded == [("text", 0, 16), ("text", text.index("SCO 2"), text.index("SCO 2") + 3)]
    assert [(h.part, h.start) for h in e.groups["az"]] == [("title", 11), ("text", 26)]
    assert [(h.part, h.start) for h in e.groups["sco"]] == [("title", 0), ("text", text.index("SCO met"))]


def test_shipped_exclusions_are_reported(shipped: Classifier) -> None:
    text = ("BAKU, Azerbaijan, July 4. Azerbaijan joined the SCO summit.\n"
            "Football: SCO 2-1 AZE in Glasgow.")
    e = shipped.explain("", text)["sco_azerbaijan"]
    football = text.index("SCO 2-1")
    assert e.excluded == [("text", 0, 16), ("text", football, football + 3)]  # the dateline, the score line
    assert e.terms == {"Azerbaijan*": 1, "SCO": 1}


# -- the explanation's shape -------------------------------------------------------------------------------------

def test_groups_are_listed_in_rule_order_with_title_hits_first() -> None:
    c = one({"az": ["Baku"], "sco": ["SCO"], "other": ["summit"]}, all=["sco", "az"], title_weight=3)
    e = assert_explains(c, "Baku summit", "The SCO met in Baku. SCO again.")["t"]
    assert list(e.groups) == ["az", "sco", "other"]
    assert [(h.part, h.start, h.weight) for h in e.groups["az"]] == [("title", 0, 3.0), ("text", 15, 1.0)]
    assert e.score == 3 + 1 + 3 + 2 and e.threshold == 1.0
    assert e.rule.startswith("Needs a term of every group: sco and az")


def test_explanation_hits_carry_term_and_group_weights() -> None:
    c = one({"a": {"terms": [{"term": "Baku", "weight": 0.5}], "weight": 4}, "b": ["SCO"]}, threshold=0)
    e = assert_explains(c, "SCO", "Baku")["t"]
    assert [(h.term, h.weight) for h in e.hits] == [("SCO", 2.0), ("Baku", 2.0)]


# -- the rule in words --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("topic", SHIPPED)
def test_describe_of_each_shipped_topic_mentions_every_group_name(shipped: Classifier, topic: str) -> None:
    words = shipped.describe(topic)
    spec = next(s for s in shipped.specs if s.name == topic)
    for group in spec.groups:
        assert group.name in words
    assert "score at least" in words and "title matches count ×2" in words
    assert "\n" not in words and len(words) < 600


def test_describe_of_the_shipped_pair_topic_names_its_requirements(shipped: Classifier) -> None:
    words = shipped.describe("sco_azerbaijan")
    assert words.startswith("Needs a term of every group: sco (SCO, SCO+, SCO Plus and 7 more) and azerbaijan "
                            "(Azerbaijan*, Baku, Ilham Aliyev and 26 more)")
    assert "refused if any of these matches: other_sco (SCO Group [exact case]" in words
    assert "BAKU, Azerbaijan [exact case]" in words and "score at least 2" in words


def test_describe_puts_every_part_of_the_rule_into_words() -> None:
    c = compile_topics({"t": {
        "groups": {"a": {"terms": ["Baku", {"term": "Aliyev", "weight": 2}], "weight": 0.5}, "b": ["SCO"],
                   "c": ["summit"], "d": ["SCO Group"]},
        "all": ["a", "b"], "any": ["c"], "none": ["d"], "exclude": [r"re:(?x) SCO \s+ \d+ \s+ \d+ \s+ \d+ \s+ \d+"],
        "near_words": 30, "near_paragraph": True, "threshold": 2.5, "title_weight": 1}})
    words = c.describe("t")
    assert words == (
        "Needs a term of every group: a (weight 0.5: Baku, Aliyev [×2]) and b (SCO); and a term of group c "
        "(summit); refused if any of these matches: d (SCO Group); matches inside these do not count: "
        r"re:(?x) SCO \s+ \d+ \s+ \d+ \s+ \d+ \s+… [regular expression]; terms of groups a and b within "
        "30 words and in one paragraph; score at least 2.5.")
    assert describe_rule(c.specs[0]) == words
    assert describe_rule(c.specs[0], terms=False) == (
        "Needs a term of every group: a (weight 0.5) and b; and a term of group c; refused if any of these "
        "matches: d; 1 exclusion; terms of groups a and b within 30 words and in one paragraph; "
        "score at least 2.5.")


def test_describe_of_a_rule_without_all_or_any_needs_any_group() -> None:
    c = compile_topics({"t": {"groups": {"x": ["Baku"], "y": ["SCO"]}}})
    assert c.describe("t") == ("Needs a term of at least one group: x (Baku) or y (SCO); score at least 1; "
                               "title matches count ×2.")
    with pytest.raises(KeyError):
        c.describe("nope")


# -- the offset maps ---------------------------------------------------------------------------------------------

PIECES = ["a", "e", "S", " ", "\u0301", "\u0308", "\u0323", "\u0327", "\u0307", "é", "Ş", "ə", "I", "\u212b",
          "\u0958", "\u1100", "\u1161", "\u11a8", "가", "\u0b47", "\u0b3e", "Ω", "\n", "x"]


@pytest.mark.parametrize("seed", range(5))
def test_nfc_offsets_map_back_to_whole_characters(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(300):
        original = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 12)))
        scanned = nfc(original)
        offsets = OffsetMap.nfc(original)
        assert bool(offsets) == (scanned != original)
        for j in range(len(scanned) + 1):
            start, end = offsets.start(j), offsets.end(j)
            assert 0 <= start <= end <= len(original)
            # a start never moves right of the character it falls in, an end never left of it
            before = nfc(original[:start])
            assert scanned.startswith(before) and len(before) <= j
            upto = nfc(original[:end])
            assert upto.startswith(scanned[:j]) and len(upto) >= j
            if start == end:  # j is between two characters of both strings: nothing is widened
                assert len(before) == j


def test_collapsed_offsets_map_words_back_exactly() -> None:
    original = " \t SCO \n\n Plus  in\u00a0Baku \n"
    scanned = " ".join(original.split())
    offsets = OffsetMap.collapsed(original)
    for word in ("SCO", "Plus", "in", "Baku"):
        j = scanned.index(word)
        assert original[offsets.start(j):offsets.end(j + len(word))] == word
    assert original[offsets.start(0):offsets.end(len(scanned))] == "SCO \n\n Plus  in\u00a0Baku"
    assert not OffsetMap.collapsed("SCO Plus")
