"""The digest as an analyst reads it (issue 13, point 6), through the command line as a user runs it:
`newsmon run` over the local sample sites (so the real classifier tags and stores the articles), then
`newsmon digest --dry-run --out DIR`, and the files it wrote. Titles instead of keys, the words found in the
text instead of rule terms, no raw score; HTML that is fluid from 320 px up to 640 px, checked in headless
Chromium (Debian's chromium and chromium-driver; skipped without them, except in CI).
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from newsmon.demo.configs import write_config
from newsmon.demo.sites import SampleSites
from tests.conftest import run_cli

WEEK = "2026-W47"   # the week of the bundled sample articles
TITLES = {"trend": "Trend", "azernews": "AzerNews", "newsaz": "News.Az"}
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


@dataclass(frozen=True)
class Written:
    text: str
    html: str
    html_path: Path


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Written]:
    """The sample sites fetched and classified by `newsmon run`, and the week's digest written by
    `newsmon digest --dry-run --out`; sources configured with titles, the shipped topics (which have some)."""
    home = tmp_path_factory.mktemp("readers")
    with SampleSites() as sites:
        sites.add_article(reprint(sites.articles))
        sources = [{**src, "title": TITLES[src["name"]]} for src in sites.source_config()]
        config = write_config(home, sources, storage_url=f"sqlite:///{home / 'newsmon.db'}")
        code, _, err = run_cli("--config", str(config), "run")
        assert code == 0, err
    code, out, err = run_cli("--config", str(config), "digest", "--week", WEEK, "--dry-run", "--out",
                             str(home / "out"))
    assert code == 0 and "not sent (--dry-run)" in out, err
    html_path = home / "out" / f"digest-{WEEK}.html"
    yield Written(text=(home / "out" / f"digest-{WEEK}.txt").read_text("utf-8"),
                  html=html_path.read_text("utf-8"), html_path=html_path)


def reprint(articles: list[dict[str, Any]]) -> dict[str, Any]:
    """A Trend story as News.Az runs it three hours later: one story, "Also reported by" the other."""
    original = next(a for a in articles if a["site"] == "trend" and a.get("seed"))
    published = datetime.fromisoformat(original["published"]) + timedelta(hours=3)
    return {**original, "site": "newsaz", "slug": "reprint-" + str(original["id"]), "author": "News.Az",
            "published": published.isoformat(), "paragraphs": ["BAKU (News.Az)", *original["paragraphs"]]}


def story_lines(text: str, prefix: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith(prefix)]


def test_topics_are_named_by_their_titles(written: Written) -> None:
    text = written.text
    assert "== SCO and Azerbaijan ==" in text and "== SCO ==" in text
    assert not re.search(r"^== sco", text, re.M)
    assert re.search(r'class="topic-name"[^>]*>SCO and Azerbaijan<', written.html)
    assert ">sco_azerbaijan<" not in written.html


def test_sources_are_named_by_their_titles(written: Written) -> None:
    text = written.text
    per_source = story_lines(text, "Per source:")
    assert per_source and all(re.fullmatch(r"Per source: Trend \d+ · AzerNews \d+ · News\.Az \d+", line)
                              for line in per_source)
    # each story's source line, and each other report of it, starts with a title
    metas = [line.strip() for line in text.splitlines() if re.match(r"^ {3}\S+ · \w{3} \d+ \w{3} \d\d:\d\d$", line)]
    also = [line[2:] for line in story_lines(text, "- ")]
    assert metas and also
    assert {m.split(" · ")[0] for m in metas} | {a.split(" (")[0] for a in also} <= set(TITLES.values())
    assert re.search(r"<td[^>]*>News\.Az</td>", written.html) and not re.search(r"<td[^>]*>newsaz<", written.html)
    assert re.search(r"Also reported by: <a [^>]*>News\.Az</a>", written.html)


def test_matched_terms_are_the_words_found_in_the_text(written: Written) -> None:
    matched = story_lines(written.text, "Matched: ")
    assert matched
    words = {re.sub(r" ×\d+$", "", w) for line in matched for w in line.removeprefix("Matched: ").split(", ")}
    assert not [w for w in words if "*" in w or w.startswith("re:")]     # no rule syntax
    assert "Azerbaijani" in words                                          # the rule says "Azerbaijan*"
    html_terms = re.findall(r"Matched: (.*?)</div>", written.html, re.S)
    assert html_terms and "*" not in "".join(html_terms) and "Azerbaijani</b>" in "".join(html_terms)


def test_no_raw_score_is_shown(written: Written) -> None:
    assert "score" not in written.text.lower()
    assert "score" not in re.sub(r"<[^>]+>", " ", written.html).lower()
    assert not re.search(r"· \d+\.\d\b", written.text)


def test_html_is_fluid_up_to_640_px_with_a_viewport_and_an_outlook_table(written: Written) -> None:
    html = written.html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    sheet = re.search(r'<table class="sheet"[^>]*>', html)
    assert sheet is not None
    assert 'width="100%"' in sheet.group(0) and re.search(r"max-width: ?640px", sheet.group(0))
    assert re.search(r"\bwidth: ?100%", sheet.group(0))
    # Outlook for Windows ignores max-width: it gets a fixed 640 px table in its conditional comments
    assert re.search(r'<!--\[if mso\]><table role="presentation" width="640"', html)
    for img in re.findall(r"<img [^>]*>", html):
        assert re.search(r"\bwidth: ?100%", img) and re.search(r"max-width: ?\d+px", img)


def test_the_chart_is_drawn_for_a_phone(written: Written) -> None:
    """Its text is legible at phone width: the image is at most 400 px wide as shown (so a 320 px screen
    shrinks it little), drawn at twice that for sharp text."""
    import base64

    images = re.findall(r"<img [^>]*>", written.html)
    assert len(images) == 2                                  # one chart per topic
    for img in images:
        shown = int(re.search(r'width="(\d+)"', img).group(1))  # type: ignore[union-attr]
        png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', img).group(1))  # type: ignore[union-attr]
        width, _height = struct.unpack(">II", png[16:24])
        assert shown <= 400 and width == 2 * shown
        assert 'alt="Tagged articles per week and source' in img


# ---- in a real browser ----

def _browser(profile: Path) -> Any:  # noqa: ANN401 - selenium's WebDriver
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium")
    if missing:
        message = f"headless Chromium needs {', '.join(missing)} (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--hide-scrollbars", f"--user-data-dir={profile}"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium with a profile of its own."""
    driver = _browser(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


def open_at(browser: Any, path: Path, width: int) -> dict[str, Any]:  # noqa: ANN401
    """The page at a screen `width` CSS px wide (a phone's below 500: mobile, so the viewport meta counts),
    and its measures."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 500})
    browser.get(path.as_uri())
    return dict(browser.execute_script("""
        const box = (e) => e.getBoundingClientRect();
        const sheet = document.querySelector('.banner').closest('table');
        const img = document.querySelector('img');
        const sticking = [...document.body.querySelectorAll('*')]
            .filter(e => box(e).right > document.documentElement.clientWidth + 0.5 || box(e).left < -0.5)
            .map(e => e.tagName + '.' + e.className);
        return {viewport: document.documentElement.clientWidth, scroll: document.documentElement.scrollWidth,
                sheet: box(sheet).width, sheetLeft: box(sheet).left, img: box(img).toJSON(),
                imgAttr: Number(img.getAttribute('width')), imgLoaded: img.complete && img.naturalWidth > 0,
                sticking: sticking};
    """))


def test_at_320_px_nothing_overflows_and_the_chart_fits(written: Written, browser: Any) -> None:
    m = open_at(browser, written.html_path, 320)
    assert m["viewport"] == 320                     # laid out at the phone's width (the viewport meta)
    assert m["scroll"] <= 320 and m["sticking"] == []
    assert m["sheet"] <= 320
    assert m["imgLoaded"] and m["img"]["left"] >= 0 and m["img"]["right"] <= 320
    assert m["img"]["width"] >= 0.8 * m["imgAttr"]  # shrunk little: its text stays legible


def test_at_1280_px_the_content_is_at_most_640_px_wide(written: Written, browser: Any) -> None:
    m = open_at(browser, written.html_path, 1280)
    assert m["viewport"] == 1280 and m["scroll"] <= 1280
    assert m["sheet"] == 640 and abs(m["sheetLeft"] - (1280 - 640) / 2) <= 1   # centred
    assert m["imgLoaded"] and m["img"]["width"] == m["imgAttr"]                # shown at its own size
