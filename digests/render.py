"""Turning a week's data into the digest: stories (near-duplicates grouped), the text and HTML bodies, the
charts, the subject, and the MIME message.

Pure: data in, strings and bytes out. HTML comes from Jinja2 templates with autoescaping (a title holding
`<script>` is shown as text), then css-inline moves the stylesheet into `style` attributes, since many mail
clients drop `<style>` blocks; only the media query for small screens stays in one, for the clients that
read it. The layout is tables, fluid from 320 px up to 640 px (Outlook, which knows no max-width, gets a
fixed 640 px table through its conditional comments). Charts are PNG parts of a multipart/related,
referenced as `cid:` URLs: the message loads nothing from outside.

Readers see titles, not keys: a topic's title, each source's title, and the words found in the text rather
than the rule terms that found them. The classifier's score orders the stories but is not shown: it is a
sum of rule weights that a reader has no scale for; the words found, with their counts, say the same.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage, MIMEPart
from pathlib import Path
from urllib.parse import urlsplit

import css_inline
import jinja2

from newsmon.digests.chart import HEIGHT_PX as CHART_HEIGHT
from newsmon.digests.chart import WIDTH_PX as CHART_WIDTH
from newsmon.digests.chart import weekly_chart
from newsmon.digests.dedupe import DEFAULT_THRESHOLD, group_duplicates
from newsmon.digests.mail import new_message
from newsmon.digests.period import Period
from newsmon.digests.select import DigestArticle, SourceProblem, TopicWeek, WeekData

TEMPLATES = Path(__file__).with_name("templates")
MAX_SNIPPET_CHARS = 400
CHAT_STORIES = 5     # stories per topic in a digest's chat message; the email has them all

templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
inliner = css_inline.CSSInliner(keep_style_tags=False, keep_at_rules=True, load_remote_stylesheets=False)


@dataclass(frozen=True)
class Story:
    """One entry of the digest: the best report of a story and the other reports of it."""

    lead: DigestArticle
    also: list[DigestArticle]
    snippet: list[tuple[str, bool]]          # (text, is a matched word), to show with the words highlighted
    words: list[tuple[str, int]]             # matched word as found in the text, count; most frequent first

    @property
    def link(self) -> str | None:
        return safe_link(self.lead.url)


@dataclass(frozen=True)
class TopicView:
    data: TopicWeek
    stories: list[Story]                     # shown, best first
    story_count: int                         # all stories of the week (also those past the limit)
    chart_cid: str | None

    @property
    def hidden(self) -> int:
        return self.story_count - len(self.stories)

    @property
    def delta(self) -> str:
        noun = self.data.history[-1][0].noun if self.data.history else "week"
        return delta_text(self.data.count, self.data.previous_count, noun)


@dataclass(frozen=True)
class RenderedDigest:
    week: Period
    subject: str
    text: str
    html: str                                 # charts referenced as cid: URLs
    images: dict[str, bytes] = field(default_factory=dict)   # Content-ID (without <>) -> PNG
    articles: int = 0
    stories: int = 0
    chat: str = ""                            # the short version for chat: counts and the first stories
    page: str = ""                            # the HTML before its CSS is inlined (the workbench shows it)


def safe_link(url: str) -> str | None:
    """Only http(s) URLs become links."""
    return url if urlsplit(url).scheme in ("http", "https") else None


def delta_text(count: int, previous: int, noun: str = "week") -> str:
    if count == previous:
        return f"same as the previous {noun} ({previous})"
    sign = "+" if count > previous else "−"
    return f"{sign}{abs(count - previous)} on the previous {noun} ({previous})"


def best_snippet(snippets: Sequence[str], words: Iterable[str]) -> str:
    """The snippet that shows the most distinct matched words (the first one on a tie)."""
    lowered = [w.lower() for w in words]
    best, best_hits = "", -1
    for s in snippets:
        low = s.lower()
        hits = sum(1 for w in lowered if w in low)
        if hits > best_hits:
            best, best_hits = s, hits
    best = " ".join(best.split())
    if len(best) > MAX_SNIPPET_CHARS:
        best = best[:MAX_SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    return best


def highlight(text: str, words: Iterable[str]) -> list[tuple[str, bool]]:
    """Split `text` into (segment, matched) pairs; matched segments are occurrences of a word (case-insensitive,
    whole words where the word starts/ends with a word character; white space inside a phrase may be any run
    of it). Escaping is left to the template."""
    wanted = sorted({" ".join(w.split()) for w in words if w.strip()}, key=len, reverse=True)
    if not text or not wanted:
        return [(text, False)] if text else []
    alternatives = [(r"\b" if re.match(r"\w", w) else "") + r"\s+".join(map(re.escape, w.split(" ")))
                    + (r"\b" if re.search(r"\w$", w) else "") for w in wanted]
    pattern = re.compile("|".join(alternatives), re.IGNORECASE)
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            out.append((text[pos:m.start()], False))
        out.append((m.group(0), True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def reader_words(words: Mapping[str, int]) -> list[tuple[str, int]]:
    """The words of a story as a reader counts them: spellings that differ only in case are one word, shown
    as its most frequent spelling ("SCO" ×3, not "SCO" ×2 and "sco" ×1); most frequent first."""
    merged: dict[str, tuple[str, int]] = {}
    for word, n in sorted(words.items(), key=lambda kv: (-kv[1], kv[0])):
        key = word.casefold()
        shown, total = merged.get(key, (word, 0))
        merged[key] = (shown, total + n)
    return sorted(merged.values(), key=lambda wn: (-wn[1], wn[0].lower()))


def build_stories(articles: Sequence[DigestArticle], *, threshold: float = DEFAULT_THRESHOLD) -> list[Story]:
    """Group near-duplicate reports (see digests.dedupe) into stories. The lead of a story is its best-scored
    report (the earliest on a tie); stories are ordered by the lead's score, then newest first."""
    groups = group_duplicates([f"{a.title}\n{a.text}" for a in articles], threshold=threshold)
    stories = []
    for group in groups:
        members = sorted((articles[i] for i in group), key=lambda a: (-a.score, a.when, a.article_id))
        lead = members[0]
        stories.append(Story(lead=lead, also=sorted(members[1:], key=lambda a: (a.when, a.article_id)),
                             snippet=highlight(best_snippet(lead.snippets, lead.words), lead.words),
                             words=reader_words(lead.words)))
    stories.sort(key=lambda s: (-s.lead.score, -s.lead.when.timestamp(), s.lead.article_id))
    return stories


def subject_line(title: str, week: Period, articles: int) -> str:
    count = "no articles" if articles == 0 else f"{articles} article{'s' if articles != 1 else ''}"
    return f"{title} · {week.label} ({week.span}) · {count}"


def render_digest(data: WeekData, *, now: datetime, title: str, max_stories: int = 0,
                  threshold: float = DEFAULT_THRESHOLD, workbench: str = "", charts: bool = True,
                  chart_base: str = "cid:") -> RenderedDigest:
    """The digest of one week (or day): subject, plain text, HTML and chart images. `max_stories` (0: all) limits the
    stories listed per topic; the counts always cover the whole week. `workbench` (the `[serve] public_url`)
    links each story to its page there. `charts=False` leaves the images out (the workbench serves each chart
    from `chart_base` + its Content-ID on its own request)."""
    views: list[TopicView] = []
    images: dict[str, bytes] = {}
    for t in data.topics:
        stories = build_stories(t.articles, threshold=threshold)
        cid = chart_cid(t)
        if cid is not None and charts:
            images[cid] = weekly_chart(t.history, data.source_titles)
        views.append(TopicView(data=t, stories=stories[:max_stories] if max_stories else stories,
                               story_count=len(stories), chart_cid=cid))
    subject = subject_line(title, data.week, data.article_count)
    story_count = sum(v.story_count for v in views)
    context = {
        "title": title, "subject": subject, "week": data.week, "topics": views, "problems": data.problems,
        "coverage": data.coverage,
        "articles": data.article_count, "stories": story_count, "now": now.astimezone(
            data.week.tz), "tz_name": str(data.week.tz), "fmt_when": fmt_when, "fmt_day": fmt_day,
        "problem_text": problem_text, "export_hint": export_hint, "source_title": data.source_title,
        "chart_width": CHART_WIDTH, "chart_height": CHART_HEIGHT, "workbench": workbench, "chart_base": chart_base,
    }
    text = templates.get_template("digest.txt.j2").render(context)
    page = templates.get_template("digest.html.j2").render(context)
    html = inliner.inline(page)
    chat = templates.get_template("digest.chat.j2").render({**context, "chat_stories": CHAT_STORIES})
    return RenderedDigest(week=data.week, subject=subject, text=text, html=html, images=images,
                          articles=data.article_count, stories=story_count, chat=chat.strip(), page=page)


def chart_cid(topic: TopicWeek) -> str | None:
    """The Content-ID of a topic's chart, None when it has nothing to draw (no article in any period shown)."""
    if not (topic.count or any(sum(c.values()) for _, c in topic.history)):
        return None
    return chart_id(topic.topic)


def chart_id(topic: str) -> str:
    """The Content-ID a topic's chart has when it has one."""
    return f"chart-{re.sub(r'[^A-Za-z0-9_.-]', '-', topic)}@newsmon"


def fmt_when(when: datetime) -> str:
    """'Tue 2 Sep 14:35'."""
    return f"{when:%a} {when.day} {when:%b %H:%M}"


def fmt_day(when: datetime) -> str:
    """'Mon 1 Sep 2025'."""
    return f"{when:%a} {when.day} {when:%b %Y}"


def problem_text(p: SourceProblem, source: str) -> str:
    """One line about a source's week; `source` is what readers call it (its title)."""
    return f"{source}: {'failed' if p.kind == 'failed' else 'silent'} — {p.detail}"


def export_hint(topic: str, week: Period) -> str:
    return (f"newsmon export --topic {topic} --since {week.first_day.isoformat()} "
            f"--until {week.last_day.isoformat()}")


# ---- the MIME message ----

def build_message(digest: RenderedDigest, *, sender: str, recipients: Sequence[str], message_id: str,
                  now: datetime) -> EmailMessage:
    """multipart/alternative: text/plain, then multipart/related (text/html + the chart PNGs by Content-ID)."""
    msg = new_message(subject=digest.subject, sender=sender, recipients=recipients, message_id=message_id, now=now)
    msg[f"X-Newsmon-{digest.week.noun.capitalize()}"] = digest.week.label
    msg.set_content(digest.text)
    msg.add_alternative(digest.html, subtype="html")
    html_part = msg.get_body(("html",))
    assert html_part is not None
    for cid, png in digest.images.items():
        html_part.add_related(png, "image", "png", cid=f"<{cid}>", disposition="inline",
                              filename=f"{cid.split('@')[0]}.png")
    return msg


@dataclass(frozen=True)
class MessageParts:
    text: str
    html: str                              # charts as cid: URLs
    images: dict[str, bytes]               # Content-ID (without <>) -> bytes

    def standalone_html(self) -> str:
        """The HTML with its images embedded as data: URLs, to open in a browser."""
        html = self.html
        for cid, data in self.images.items():
            html = html.replace(f'"cid:{cid}"', f'"data:image/png;base64,{base64.b64encode(data).decode()}"')
        return html


def message_parts(msg: EmailMessage) -> MessageParts:
    """The text, HTML and inline images of a digest message (one built here, or one read back from bytes)."""
    text_part = msg.get_body(("plain",))
    html_part = msg.get_body(("html",))
    images = {}
    for part in msg.walk():
        cid = part.get("Content-ID")
        if cid and part.get_content_maintype() == "image":
            images[cid.strip("<>")] = part.get_content()

    def content(part: MIMEPart | None) -> str:
        return str(part.get_content()).replace("\r\n", "\n") if part is not None else ""

    return MessageParts(text=content(text_part), html=content(html_part), images=images)
