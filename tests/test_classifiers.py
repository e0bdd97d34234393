"""The rule language, case by case: each test fails if one boundary case regresses."""

from __future__ import annotations

from typing import Any

import pytest

from newsmon.classifiers import Classifier, RuleError, TopicMatch, compile_topics

SCO_TERMS = ["SCO", "SCO+", "SCO Plus", "Shanghai Cooperation Organization", "Shanghai Cooperation Organisation",
             "ШОС", "Шанхайск* организаци* сотрудничеств*", "ŞƏT", "Şanxay Əməkdaşlıq Təşkilat*"]
AZ_TERMS = ["Azerbaijan*", "Baku", "Ilham Aliyev", "Азербайдж*", "Azərbaycan*", "Bakı"]


def one(groups: dict[str, Any], **keys: Any) -> Classifier:
    return compile_topics({"t": {"groups": groups, **keys}})


def match(c: Classifier, text: str, title: str = "") -> TopicMatch | None:
    return c.classify(title, text).get("t")


def matches(c: Classifier, text: str, title: str = "") -> bool:
    return match(c, text, title) is not None


SCO = one({"sco": SCO_TERMS})


# -- word boundaries and case ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "ICESCO held its general conference in Baku.",
    "UNESCO added the site to its list.",
    "Scotland beat Wales.", "SCOTLAND beat Wales.", "A night at the disco.", "The SCOs of the world",
    "ISCO-08 occupation codes", "Ремонт шоссе завершён.", "РЕМОНТ ШОССЕ ЗАВЕРШЁН", "the sco summit", "Sco summit",
])
def test_sco_does_not_match_inside_other_words_or_in_other_case(text: str) -> None:
    assert not matches(SCO, text)


def test_sco_does_not_match_inside_unesco() -> None:
    assert not matches(SCO, "UNESCO and ICESCO signed a memorandum in Baku.")


@pytest.mark.parametrize("text", [
    "The SCO summit opened.", "(SCO)", "SCO's role", "SCO-Azerbaijan ties", "at the SCO.", "«ШОС»",
    "ŞƏT-in sammiti", "the SCO\u00a0summit",
])
def test_acronym_matches_at_word_boundaries(text: str) -> None:
    assert matches(SCO, text)


def test_names_are_case_insensitive_by_default() -> None:
    c = one({"az": ["Azerbaijan"]})
    for text in ("Azerbaijan", "AZERBAIJAN", "azerbaijan"):
        assert matches(c, text)


def test_case_option_overrides_the_acronym_rule() -> None:
    assert matches(one({"g": [{"term": "SCO", "case": "insensitive"}]}), "the sco summit")
    assert not matches(one({"g": [{"term": "Baku", "case": "sensitive"}]}), "BAKU")
    assert not matches(one({"g": ["Baku"]}, case="sensitive"), "baku")


# -- phrases, stems, folding ----------------------------------------------------------------------------

def test_phrase_matches_across_line_breaks_hyphens_and_dashes() -> None:
    assert match(SCO, "SCO-Plus format").terms == {"SCO Plus": 1}
    assert matches(SCO, "Shanghai Cooperation\nOrganization")
    assert match(SCO, "SCO – Plus").terms == {"SCO Plus": 1}
    assert not matches(one({"g": ["Shanghai Cooperation Organization"]}), "Shanghai Cooperation Organ")


@pytest.mark.parametrize("text", ["Azerbaijani", "Azerbaijan's", "Azerbaijanis", "Azerbaijan"])
def test_stem_matches_inflections(text: str) -> None:
    assert match(one({"az": ["Azerbaijan*"]}), text).terms == {"Azerbaijan*": 1}


@pytest.mark.parametrize("text", ["Азербайджан", "Азербайджана", "Азербайджаном", "азербайджанский"])
def test_russian_stem_matches_case_endings(text: str) -> None:
    assert matches(one({"az": ["Азербайджан*"]}), text)


def test_stem_does_not_match_a_shorter_word_or_mid_word() -> None:
    c = one({"az": ["Azerbaijan*"]})
    assert not matches(c, "Azerbaija")
    assert not matches(c, "proAzerbaijan")


def test_russian_phrase_stems_match_every_case() -> None:
    text = "делегация Шанхайской организации сотрудничества и Шанхайская организация сотрудничества"
    assert match(SCO, text).terms == {"Шанхайск* организаци* сотрудничеств*": 2}


@pytest.mark.parametrize("text", ["Azərbaycan", "Azerbaycan", "AZƏRBAYCAN", "Azərbaycanın", "AZERBAYCANIN"])
def test_folding_matches_azerbaijani_with_and_without_diacritics(text: str) -> None:
    assert matches(one({"az": ["Azərbaycan*"]}), text)


def test_folding_is_symmetric_for_a_term_typed_without_diacritics() -> None:
    c = one({"g": ["Sanxay Emekdasliq Teskilati"]})
    assert matches(c, "Şanxay Əməkdaşlıq Təşkilatı")
    assert matches(one({"g": ["Turkiye"]}), "Türkiye")


def test_fold_false_keeps_diacritics_apart() -> None:
    c = one({"az": ["Azərbaycan"]}, fold=False)
    assert matches(c, "AZƏRBAYCAN")
    assert not matches(c, "Azerbaycan")
    assert not matches(one({"az": {"terms": ["Azərbaycan"], "fold": False}}), "Azerbaycan")


def test_a_letter_outside_the_fold_table_matches_itself() -> None:
    c = one({"g": ["Cạnh", "Thượng Hải"]})
    assert match(c, "Cạnh tranh ở Thượng Hải, CẠNH").terms == {"Cạnh": 2, "Thượng Hải": 1}
    assert match(c, "Canh").terms == {"Cạnh": 1}  # as before: the term's letter folds, so "a" matches too
    assert matches(one({"g": ["Cạnh"]}, fold=False), "CẠNH")
    assert matches(one({"g": [{"term": "Cạnh", "case": "sensitive"}]}), "Cạnh")
    assert not matches(one({"g": ["Canh"]}), "Cạnh")  # a term typed without it does not match it


def test_case_sensitive_acronym_is_not_folded() -> None:
    c = one({"g": ["ŞƏT"]})
    assert matches(c, "ŞƏT sammiti")
    assert not matches(c, "GAME, SET AND MATCH")


def test_decomposed_unicode_is_normalized_first() -> None:
    assert matches(one({"g": ["ŞƏT"]}), "S\u0327ƏT sammiti")


# -- exclusions -------------------------------------------------------------------------------------------

def test_exclusion_removes_the_overlapping_match_only() -> None:
    c = one({"sh": ["Shanghai*"]}, exclude=["Shanghai Composite"])
    assert not matches(c, "The Shanghai Composite index fell 1%.")
    m = match(c, "The Shanghai Composite fell as the Shanghai summit opened.")
    assert m is not None and m.terms == {"Shanghai*": 1}


def test_exclusion_applies_to_one_topic_not_to_others() -> None:
    c = compile_topics({
        "a": {"groups": {"g": ["SCO"]}, "exclude": [{"term": "SCO Group", "case": "sensitive"}]},
        "b": {"groups": {"g": ["SCO"]}},
    })
    assert set(c.classify("", "The SCO Group sued IBM.")) == {"b"}
    assert set(c.classify("", "the SCO group of countries")) == {"a", "b"}


def test_regex_exclusion_removes_a_dateline() -> None:
    c = one({"sco": ["SCO"], "az": ["Azerbaijan*"]}, all=["sco", "az"],
            exclude=[r"re:^BAKU, Azerbaijan, \w+ \d+\."])
    assert not matches(c, "BAKU, Azerbaijan, July 4. The SCO summit opened in Astana.")
    assert matches(c, "BAKU, Azerbaijan, July 4. Azerbaijan attended the SCO summit.")


def test_none_group_vetoes_the_whole_article() -> None:
    c = one({"sco": ["SCO"], "other": ["Scottish Chamber Orchestra"]}, none=["other"])
    assert not matches(c, "The Scottish Chamber Orchestra (SCO) plays in Baku. The SCO tours Asia.")
    assert matches(c, "The SCO summit opened.")


# -- rules over groups ----------------------------------------------------------------------------------

def test_all_requires_every_group_and_any_one_of_them() -> None:
    both = one({"sco": ["SCO"], "az": AZ_TERMS}, all=["sco", "az"])
    assert not matches(both, "The SCO summit opened.")
    assert matches(both, "The SCO summit opened in Baku.")
    either = one({"sco": ["SCO"], "az": AZ_TERMS}, any=["sco", "az"])
    assert matches(either, "Baku")


def test_default_rule_is_any_group() -> None:
    c = one({"a": ["alpha"], "b": ["beta"]})
    assert matches(c, "beta") and matches(c, "alpha") and not matches(c, "gamma")


def test_overlapping_terms_count_once_as_the_longest() -> None:
    m = match(SCO, "The SCO Plus meeting and the SCO+ format of the SCO.")
    assert m is not None and m.terms == {"SCO Plus": 1, "SCO+": 1, "SCO": 1}


def test_a_shorter_term_of_another_topic_still_counts_inside_a_longer_match() -> None:
    c = compile_topics({"long": {"groups": {"g": ["SCO Plus"]}}, "short": {"groups": {"g": ["SCO"]}}})
    found = c.classify("", "the SCO Plus meeting")
    assert found["short"].terms == {"SCO": 1} and found["long"].terms == {"SCO Plus": 1}


# -- proximity ------------------------------------------------------------------------------------------

FILLER = " ".join(["word"] * 50)


def test_near_words_requires_groups_close_together() -> None:
    c = one({"sco": ["SCO"], "az": AZ_TERMS}, all=["sco", "az"], near_words=10)
    assert matches(c, "Azerbaijan joined the SCO meeting.")
    assert not matches(c, f"Azerbaijan. {FILLER} The SCO meeting.")


def test_near_words_finds_a_close_pair_among_distant_ones() -> None:
    c = one({"sco": ["SCO"], "az": AZ_TERMS}, all=["sco", "az"], near_words=10)
    assert matches(c, f"SCO. {FILLER} Azerbaijan. {FILLER} The SCO and Baku.")


def test_near_paragraph_requires_one_paragraph() -> None:
    c = one({"sco": ["SCO"], "az": AZ_TERMS}, all=["sco", "az"], near_paragraph=True)
    assert matches(c, f"Intro.\nAzerbaijan {FILLER} SCO.\nEnd.")
    assert not matches(c, "Azerbaijan is mentioned here.\nThe SCO is mentioned here.")


def test_near_is_satisfied_by_the_title_alone() -> None:
    c = one({"sco": ["SCO"], "az": AZ_TERMS}, all=["sco", "az"], near_paragraph=True)
    assert matches(c, "Azerbaijan here.\nSCO there.", title="Azerbaijan and the SCO")


def test_near_names_groups_explicitly() -> None:
    c = one({"sco": ["SCO"], "az": AZ_TERMS, "x": ["summit"]}, all=["sco", "az", "x"], near=["sco", "az"],
            near_words=5)
    assert matches(c, f"summit {FILLER} SCO Baku")


# -- weights, title, threshold --------------------------------------------------------------------------

def test_score_is_term_weight_times_group_weight() -> None:
    c = one({"sco": {"terms": [{"term": "SCO", "weight": 3}, "Shanghai Cooperation Organization"],
                     "weight": 2}})
    assert match(c, "SCO and the Shanghai Cooperation Organization").score == 8.0


def test_title_matches_weigh_more() -> None:
    c = one({"sco": ["SCO"]}, title_weight=3)
    m = match(c, "The SCO met.", title="SCO summit")
    assert m is not None and m.score == 4.0 and m.terms == {"SCO": 2}


def test_threshold_needs_enough_mentions() -> None:
    c = one({"sco": ["SCO"]}, threshold=3)
    assert not matches(c, "SCO and SCO")
    assert matches(c, "SCO and SCO and SCO")
    assert matches(c, "SCO", title="SCO")  # 1 + title 2 = 3


def test_zero_weight_group_satisfies_the_rule_but_adds_nothing() -> None:
    c = one({"sco": ["SCO"], "az": {"terms": AZ_TERMS, "weight": 0}}, all=["sco", "az"], threshold=2)
    assert not matches(c, "SCO in Baku")
    assert matches(c, "SCO and SCO in Baku")


# -- several topics, explanations -------------------------------------------------------------------------

def test_several_topics_at_once_in_config_order() -> None:
    c = compile_topics({
        "sco": {"groups": {"g": SCO_TERMS}},
        "az": {"groups": {"g": AZ_TERMS}},
        "sco_az": {"groups": {"sco": {"from": "sco.g"}, "az": {"from": "az.g"}}, "all": ["sco", "az"]},
        "other": {"groups": {"g": ["CSTO"]}},
    })
    assert c.topics == ("sco", "az", "sco_az", "other")
    assert list(c.classify("", "Azerbaijan at the SCO summit")) == ["sco", "az", "sco_az"]


def test_snippets_are_sentences_around_matches_best_first() -> None:
    text = ("The weather was fine. The SCO met in Astana on Thursday. Delegates ate lunch. "
            "Azerbaijan attended the SCO summit as a dialogue partner. The end.")
    c = one({"sco": ["SCO"], "az": AZ_TERMS}, all=["sco", "az"])
    m = match(c, text)
    assert m is not None
    assert m.snippets[0] == "Azerbaijan attended the SCO summit as a dialogue partner."
    assert "The SCO met in Astana on Thursday." in m.snippets
    assert len(m.snippets) <= 3


def test_long_sentence_snippet_is_cut_to_about_25_words() -> None:
    text = " ".join(f"w{i}" for i in range(100)) + " SCO " + " ".join(f"v{i}" for i in range(100)) + "."
    snippet = match(SCO, text).snippets[0]
    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert 20 <= len(snippet.split()) <= 30 and "SCO" in snippet


def test_title_is_the_snippet_when_only_the_title_matches() -> None:
    assert match(SCO, "Nothing here.", title="SCO summit").snippets == ("SCO summit",)


def test_empty_article_matches_nothing() -> None:
    assert SCO.classify("", "") == {}


def test_raw_regex_term_counts_and_is_reported_as_written() -> None:
    c = one({"g": [r"re:\bSCO\s?\+"]})
    m = match(c, "the SCO + format")
    assert m is not None and m.terms == {r"re:\bSCO\s?\+": 1}


def test_from_copies_a_group_of_another_topic() -> None:
    c = compile_topics({"a": {"groups": {"sco": ["SCO"]}},
                        "b": {"groups": {"sco": {"from": "a", "weight": 5}}}})
    assert c.classify("", "SCO")["b"].score == 5.0


# -- bad rules ------------------------------------------------------------------------------------------

def rule_error(tables: dict[str, Any]) -> RuleError:
    with pytest.raises(RuleError) as info:
        compile_topics(tables)
    assert "\n" not in str(info.value)
    return info.value


def test_broken_regex_names_topic_group_and_term() -> None:
    err = rule_error({"sco": {"groups": {"azerbaijan": ["re:Azerbaijan["]}}})
    assert str(err).startswith("topics.sco: term 're:Azerbaijan[' in group 'azerbaijan': bad regex:")
    assert err.topic == "sco" and err.term == "re:Azerbaijan["


def test_unknown_group_in_rule_names_topic_and_group() -> None:
    err = rule_error({"sco": {"groups": {"sco": ["SCO"]}, "all": ["sco", "azerbaijn"]}})
    assert "topics.sco.all" in str(err) and "'azerbaijn'" in str(err) and err.term == "azerbaijn"


def test_empty_group_names_topic_and_group() -> None:
    err = rule_error({"sco": {"groups": {"sco": ["SCO"], "az": []}}})
    assert "topics.sco.groups.az" in str(err) and "empty" in str(err)


def test_unknown_key_names_topic_and_key() -> None:
    err = rule_error({"sco": {"groups": {"sco": ["SCO"]}, "treshold": 2}})
    assert "topics.sco" in str(err) and "'treshold'" in str(err)


def test_unknown_term_key_names_topic_and_key() -> None:
    err = rule_error({"sco": {"groups": {"sco": [{"term": "SCO", "wieght": 2}]}}})
    assert "topics.sco" in str(err) and "'wieght'" in str(err)


@pytest.mark.parametrize(("keys", "expected"), [
    ({"threshold": "high"}, "topics.sco.threshold: must be a number, got a string"),
    ({"title_weight": True}, "topics.sco.title_weight: must be a number, got a boolean"),
    ({"all": "sco"}, "topics.sco.all: must be an array of group names, got a string"),
    ({"near_words": 0}, "topics.sco.near_words: must be a whole number of words >= 1"),
    ({"fold": "yes"}, "topics.sco.fold: must be true or false, got a string"),
    ({"case": "upper"}, "topics.sco.case: must be 'auto', 'sensitive' or 'insensitive', got 'upper'"),
    ({"exclude": "SCO Group"}, "topics.sco.exclude: must be an array of terms, got a string"),
])
def test_wrong_type_names_topic_and_key(keys: dict[str, Any], expected: str) -> None:
    err = rule_error({"sco": {"groups": {"sco": ["SCO"]}, **keys}})
    assert str(err).startswith(expected)


@pytest.mark.parametrize(("term", "reason"), [
    ("Azer*baijan", "'*' is allowed only at the end of a word"),
    ("*", "'*' needs a stem"),
    ("   ", "empty term"),
    ({"term": "SCO", "weight": "heavy"}, "weight must be a number"),
    (42, "a term must be a string or an inline table"),
])
def test_bad_term_names_topic_and_term(term: Any, reason: str) -> None:
    err = rule_error({"sco": {"groups": {"sco": ["SCO", term]}}})
    assert str(err).startswith("topics.sco") and reason in str(err)
    if isinstance(term, str) and term.strip():
        assert repr(term) in str(err)


def test_topic_without_groups_is_an_error() -> None:
    err = rule_error({"sco": {"description": "x"}})
    assert "topics.sco" in str(err) and "groups" in str(err)


def test_near_without_distance_is_an_error() -> None:
    err = rule_error({"t": {"groups": {"a": ["a"], "b": ["b"]}, "all": ["a", "b"], "near": ["a", "b"]}})
    assert "near_words" in str(err)


def test_from_pointing_nowhere_is_an_error() -> None:
    err = rule_error({"t": {"groups": {"sco": {"from": "nosuch"}}}})
    assert "topics.t.groups.sco.from" in str(err)


def test_group_both_required_and_vetoed_is_an_error() -> None:
    err = rule_error({"t": {"groups": {"a": ["a"]}, "all": ["a"], "none": ["a"]}})
    assert "topics.t.none" in str(err)


def test_rules_sent_to_an_extraction_worker_match_as_the_originals(shipped: Classifier) -> None:
    """The workers classify with a pickled copy of the compiled rules (pipeline.worker)."""
    import pickle
    from pathlib import Path

    from newsmon.classifiers.evaluation import parse_jsonl

    copy = pickle.loads(pickle.dumps(shipped))
    items = parse_jsonl((Path(__file__).parent / "data" / "eval" / "eval.jsonl").read_text().splitlines())
    assert sum(1 for i in items if shipped.classify(i.title, i.text)) >= 10
    for item in items:
        assert copy.classify(item.title, item.text) == shipped.classify(item.title, item.text)
