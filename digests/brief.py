"""An instant alert: the articles newly tagged for a subscription since its last alert, as one email and as
one chat message. Pure: data in, text and a MIME message out.

Each article says what a reader needs to decide whether to open it: title, source, time (in the
subscription's time zone), the topics it was tagged with, and the link.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from newsmon.digests.mail import new_message
from newsmon.digests.render import fmt_when, inliner, safe_link, templates

MAX_PER_MESSAGE = 20    # articles in one message; more go out as several (a chat message has a size limit)


@dataclass(frozen=True)
class AlertArticle:
    article_id: int
    title: str
    url: str
    source: str              # what readers call the source (its title)
    when: datetime           # published (fetched when unknown)
    topics: tuple[str, ...]  # what readers call the topics (their titles)

    @property
    def link(self) -> str | None:
        return safe_link(self.url)


@dataclass(frozen=True)
class Alert:
    title: str                         # the subscription's title: first words of the subject
    articles: tuple[AlertArticle, ...]
    tz: ZoneInfo

    @property
    def subject(self) -> str:
        if len(self.articles) == 1:
            return f"{self.title} · new: {self.articles[0].title or self.articles[0].url}"
        return f"{self.title} · {len(self.articles)} new articles"

    def _context(self) -> dict[str, object]:
        return {"alert": self, "articles": [(a, fmt_when(a.when.astimezone(self.tz))) for a in self.articles],
                "tz_name": self.tz.key, "subject": self.subject}

    def chat(self) -> tuple[str, str]:
        """(title, body) of the chat message."""
        return self.subject, templates.get_template("instant.chat.j2").render(self._context()).strip()

    def email(self, *, sender: str, recipients: Sequence[str], message_id: str, now: datetime) -> EmailMessage:
        """text/plain and text/html alternatives; nothing loaded from outside."""
        context = self._context()
        msg = new_message(subject=self.subject, sender=sender, recipients=recipients, message_id=message_id, now=now)
        msg.set_content(templates.get_template("instant.txt.j2").render(context))
        msg.add_alternative(inliner.inline(templates.get_template("instant.html.j2").render(context)), subtype="html")
        return msg


def batches(articles: Sequence[AlertArticle]) -> list[tuple[AlertArticle, ...]]:
    """The articles in messages of at most MAX_PER_MESSAGE, oldest first."""
    return [tuple(articles[i:i + MAX_PER_MESSAGE]) for i in range(0, len(articles), MAX_PER_MESSAGE)]
