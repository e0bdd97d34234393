"""The digest message: content, grouping, escaping, the inline chart, the empty week."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from newsmon.config import DEFAULTS
from newsmon.demo.articles import load_sample_articles
from newsmon.digests.dedupe import group_duplicates
from newsmon.digests.render import build_message, build_stories, highlight, message_parts, render_digest
from newsmon.digests.select import select_week
from newsmon.digests.week import parse_week
from newsmon.storage.articles import NewArticle, TopicRecord, store_article
from newsmon.storage.engine import open_store
from newsmon.storage.runs import source_ids
from tests.conftest import DIGEST_TOPIC, seed_digest_weeks

BAKU = ZoneInfo("Asia/Baku")
NOW = datetime(2025, 9, 8, 4, 0, tzinfo=UTC)
SOURCES = {"trend": "Trend", "azernews": "AzerNews", "newsaz": "News.Az"}
TITLE = DEFAULTS["digest"]["title"]


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = open_store(f"sqlite:///{tmp_path / 'digest.db'}")
    yield s
    s.close()


def digest_of(store: Any, week: str) -> Any:
    with store.read() as s:
        data = select_week(s, parse_week(week, BAKU), {DIGEST_TOPIC: "SCO and Azerbaijan"}, SOURCES)
    return render_digest(data, now=NOW, title=TITLE)


def as_message(digest: Any) -> Any:
    msg = build_message(digest, sender="newsmon@example.org", recipients=["a@example.org", "b@example.org"],
                        message_id="<test@example.org>", now=NOW)
    return message_from_bytes(msg.as_bytes(), policy=policy.default)  # what the recipient parses


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def visible(html: str) -> str:
    """The text a reader sees, whitespace collapsed."""
    parser = _Tags()
    parser.feed(html)
    return " ".join("".join(parser.text).split())


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_middle_week_digest_has_counts_groups_and_the_chart_inline(store: Any) -> None:
    seed_digest_weeks(store)
    digest = digest_of(store, "2025-W36")
    assert digest.subject == "SCO–Azerbaijan monitor · 2025-W36 (1–7 Sep) · 5 articles"
    msg = as_message(digest)
    assert msg.get_content_type() == "multipart/alternative"
    text_part, related = msg.get_payload()
    assert text_part.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, image = related.get_payload()
    assert html_part.get_content_type() == "text/html"
    assert image.get_content_type() == "image/png" and image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert image["Content-Disposition"].startswith("inline")
    cid = image["Content-ID"].strip("<>")
    html, text = html_part.get_content(), text_part.get_content()
    img_srcs = [a["src"] for t, a in tags_of(html) if t == "img"]
    assert img_srcs == [f"cid:{cid}"]                      # nothing loaded from outside
    assert not [a for t, a in tags_of(html) if t in ("link", "script")]
    assert 'style="' in html                               # css inlined; only the small-screen rule stays
    assert [style.strip().startswith("@media") for style in re.findall(r"<style>(.*?)</style>", html, re.S)] == [True]
    assert len(image.get_content()) < 60_000

    for body in (text, visible(html)):
        assert "5 articles in 3 stories" in body
        assert "+2 on the previous week (3)" in body
    assert "Per source: Trend 2 · AzerNews 2 · News.Az 1" in text
    # three stories: A with its reprint C, B with its second publication E, F alone; best score first
    stories = text.split("\n1. ", 1)[1]
    titles = [line for line in stories.splitlines() if line[:3] in ("1. ", "2. ", "3. ")]
    assert len(titles) == 2 and "\n4. " not in stories
    sco = [r for r in load_sample_articles() if r["sco"]]
    assert stories.startswith(sco[0]["title"])
    assert stories.index(sco[2]["title"]) < stories.index(sco[1]["title"])
    also = [line.strip() for line in text.splitlines() if line.strip().startswith("- ")]
    assert also == [f'- News.Az (Mon 1 Sep 10:00) "{sco[0]["title"]} — News.Az": https://newsaz.example/c.html',
                    f'- AzerNews (Wed 3 Sep 16:00) "{sco[1]["title"]} (updated)": https://azernews.example/e.html']
    assert html.count("Also reported by") == 2
    assert "Trend · Sun 7 Sep 23:59" in [line.strip() for line in text.splitlines()]   # Baku time; no score
    assert "score" not in text.lower() and "score" not in visible(html).lower()
    # the matched terms are highlighted in the snippet
    assert "*SCO*" in text or "*Azerbaijan*" in text
    assert '<b class="hit" style="background: #fff1a8;' in html


def test_html_injection_in_titles_and_snippets_is_escaped_in_both_parts(store: Any) -> None:
    evil_title = 'SCO <script>alert("t")</script> & Azerbaijan'
    evil_snippet = 'Azerbaijan and the SCO <img src=x onerror=alert(1)> "quoted" </div><b>bold</b>'
    with store.write() as s:
        sid = source_ids(s, ["trend"])["trend"]
        store_article(s, NewArticle(
            source_id=sid, url="javascript:alert(1)", title=evil_title, author="",
            published=datetime(2025, 9, 2, 10, 0, tzinfo=timezone(timedelta(hours=4))), fetched=NOW,
            text="SCO and Azerbaijan. " * 20, summary="", language="en", extraction="article",
            topics=(TopicRecord(DIGEST_TOPIC, 5.0, {"SCO": 1, "<b>": 1}, [evil_snippet]),)), None, NOW)
    msg = as_message(digest_of(store, "2025-W36"))
    parts = message_parts(msg)
    html = parts.html
    # HTML: every tag is ours; the title and snippet show as text
    tags = tags_of(html)
    assert not [t for t, _ in tags if t == "script"]
    assert [a["src"] for t, a in tags if t == "img"] == [src for src in (f"cid:{c}" for c in parts.images)]
    assert not [a for _, a in tags if any(k.startswith("on") for k in a)]
    assert not [a for t, a in tags if t == "a" and (a.get("href") or "").startswith("javascript")]
    assert 'SCO &lt;script&gt;alert("t")&lt;/script&gt; &amp; Azerbaijan' in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;/div&gt;" in html
    assert evil_title in visible(html) and evil_snippet in visible(html)   # what the reader sees
    # plain text: shown literally, as text (a text/plain part is never interpreted)
    assert msg.get_body(("plain",)).get_content_type() == "text/plain"
    assert evil_title in parts.text
    assert '*SCO* <img src=x onerror=alert(1)> "quoted" </div>*<b>*bold</b>' in parts.text  # *term* highlights


def test_empty_week_sends_a_short_digest(store: Any) -> None:
    seed_digest_weeks(store)
    digest = digest_of(store, "2025-W20")
    assert digest.subject == "SCO–Azerbaijan monitor · 2025-W20 (12–18 May) · no articles"
    assert digest.images == {}
    msg = as_message(digest)
    assert not [p for p in msg.walk() if p.get_content_maintype() == "image"]
    parts = message_parts(msg)
    for body in (parts.text, visible(parts.html)):
        assert "Nothing was tagged this week." in body
        assert "No articles this week" in body
    assert "Also reported by" not in parts.text and len(parts.text) < 1200
    assert "stored no article this week" in parts.text   # every source was silent that week


def test_story_limit_keeps_the_counts_and_points_to_export(store: Any) -> None:
    seed_digest_weeks(store)
    with store.read() as s:
        data = select_week(s, parse_week("2025-W36", BAKU), {DIGEST_TOPIC: "SCO"}, SOURCES)
    digest = render_digest(data, now=NOW, title=TITLE, max_stories=1)
    assert "5 articles in 3 stories" in digest.text
    assert "… and 2 more stories: newsmon export --topic sco_azerbaijan --since 2025-09-01 --until 2025-09-07" \
        in digest.text


def test_near_duplicates_across_outlets_and_within_one_are_grouped() -> None:
    sco = [r for r in load_sample_articles() if r["sco"]]
    other = [r for r in load_sample_articles() if not r["sco"]]
    texts = ["\n".join([r["title"], *r["paragraphs"]]) for r in sco + other[:5]]
    reprint = "BAKU (AzerNews). " + texts[0].replace(" said ", " noted ") + " Follow us on social media."
    shortened = "\n".join(texts[1].split("\n")[:-1])         # the same outlet again, last paragraph cut
    docs = [*texts, reprint, shortened]
    groups = group_duplicates(docs)
    assert [0, len(texts)] in groups and [1, len(texts) + 1] in groups
    assert len(groups) == len(texts)
    assert group_duplicates([]) == [] and group_duplicates(["", ""]) == [[0], [1]]


def test_highlight_marks_whole_terms_case_insensitively() -> None:
    assert highlight("The sco met; SCOPE grew; Azerbaijan's role", ["SCO", "Azerbaijan"]) == [
        ("The ", False), ("sco", True), (" met; SCOPE grew; ", False), ("Azerbaijan", True), ("'s role", False)]
    assert build_stories([]) == []


def test_chart_is_legible_on_a_phone_with_the_legend_below_the_bars() -> None:
    from newsmon.digests.chart import WIDTH_PX, chart_figure
    from newsmon.digests.week import weeks_ending

    weeks = weeks_ending(parse_week("2025-W36", BAKU), 8)
    fig = chart_figure([(w, {"trend": i, "newsaz": 1}) for i, w in enumerate(weeks)],
                       {"trend": "Trend", "newsaz": "News.Az"})
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["Trend", "News.Az"]      # titles, not keys
    ax = fig.axes[0]
    ticks = ax.get_xticklabels()
    # every other week by its Monday, counting back from this one (bold)
    assert [t.get_text() for t in ticks] == ["21 Jul", "4 Aug", "18 Aug", "1 Sep"]
    assert ticks[-1].get_fontweight() == "bold"
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    fig.canvas.draw()
    lowest_label = min(t.get_window_extent(renderer).y0 for t in ticks)
    assert legend.get_window_extent(renderer).y1 <= lowest_label                    # below, not beside
    # text of at least 10 pt on a chart shown at most WIDTH_PX wide: 13 CSS px or more at full size
    assert WIDTH_PX <= 400
    assert min(t.get_fontsize() for t in [*legend.get_texts(), *ticks, *ax.texts]) >= 10


def test_words_differing_only_in_case_are_one_word_for_readers() -> None:
    from newsmon.digests.render import reader_words

    assert reader_words({"SCO": 2, "Azerbaijani": 2, "sco": 1, "Azerbaijan": 3}) == [
        ("Azerbaijan", 3), ("SCO", 3), ("Azerbaijani", 2)]
    assert highlight("The Shanghai Cooperation Organisation met", ["Shanghai  Cooperation\nOrganisation"]) == [
        ("The ", False), ("Shanghai Cooperation Organisation", True), (" met", False)]
