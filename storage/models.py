"""The schema. Changes to it go through an Alembic migration in storage/migrations/versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql import ColumnElement


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, stored naive UTC: SQLite has no time zones."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Source(Base):
    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class DiscoveryURL(Base):
    """A feed, listing page or sitemap of a source, with what the last request of it said."""

    __tablename__ = "discovery_urls"
    __table_args__ = (UniqueConstraint("source_id", "url"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    kind: Mapped[str] = mapped_column(String(20))
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_item_count: Mapped[int | None] = mapped_column(Integer)


class Article(Base):
    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    published_offset: Mapped[int | None] = mapped_column(Integer)  # minutes east of UTC, as the site gave
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(20))
    extraction: Mapped[str] = mapped_column(String(20))  # article | feed-summary | failed
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    route: Mapped[str | None] = mapped_column(String(20))  # what found it: feed | listing | gap | backfill

    @hybrid_property
    def instant(self) -> datetime:
        """The instant an article belongs to — its published time, its fetched time when the site gave none:
        what puts it in a week, a day or a date range everywhere (digest, status, export, reclassify)."""
        return self.published_at or self.fetched_at

    @instant.inplace.expression
    @classmethod
    def _instant_expression(cls) -> ColumnElement[datetime]:
        return func.coalesce(cls.published_at, cls.fetched_at)

    @property
    def published(self) -> datetime | None:
        """Published time in the site's own offset (Baku: +04:00)."""
        return site_time(self.published_at, self.published_offset)


def site_time(published_at: datetime | None, offset_minutes: int | None) -> datetime | None:
    """A stored UTC published time in the offset the site gave."""
    if published_at is None:
        return None
    return published_at.astimezone(timezone(timedelta(minutes=offset_minutes or 0)))


class ArticleURL(Base):
    """Every URL known to lead to an article (feed link, canonical, index.php variant): the dedupe key."""

    __tablename__ = "article_urls"
    url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)


class Discovery(Base):
    """Which discovery URL found which article: shows what a feed missed and a listing caught."""

    __tablename__ = "discoveries"
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    discovery_url_id: Mapped[int] = mapped_column(ForeignKey("discovery_urls.id", ondelete="CASCADE"),
                                                  primary_key=True, index=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Rejection(Base):
    """A URL that was fetched and refused. Permanent refusals (foreign host, too large, 404) are never
    requested again; passing ones (timeouts, 5xx) are retried a few times."""

    __tablename__ = "rejections"
    url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    permanent: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    last_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    command: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))  # running | ok | partial | failed | interrupted


class RunSource(Base):
    __tablename__ = "run_sources"
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[str] = mapped_column(Text, default="")  # one line per error


class ArticleTopic(Base):
    """A topic an article carries, with why: the classifier's score, matched terms and snippets."""

    __tablename__ = "article_topics"
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)
    score: Mapped[float] = mapped_column(Float)
    terms: Mapped[dict[str, int]] = mapped_column(JSON)      # matched term (as the rule writes it) -> count
    snippets: Mapped[list[str]] = mapped_column(JSON)
    # the same matches by the words found in the text -> count; NULL in rows stored before migration 0005
    words: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True)


class Judgement(Base):
    """A person's verdict on whether an article belongs to a topic. The history is kept; the latest judgement
    per (article, topic) counts (highest judged_at, then id): "not_relevant" keeps it out of digests and feeds."""

    __tablename__ = "judgements"
    __table_args__ = (Index("ix_judgements_topic_article_id", "topic", "article_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(100))
    verdict: Mapped[str] = mapped_column(String(20))              # relevant | not_relevant
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    who: Mapped[str] = mapped_column(String(100))
    judged_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DigestSent(Base):
    """A message a subscription's channel took (the SMTP server, a chat service): that period is not sent
    there again without --force. `subscription` "digest" is the [digest] table."""

    __tablename__ = "digests_sent"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription: Mapped[str] = mapped_column(String(100), index=True, default="digest", server_default="digest")
    channel: Mapped[str] = mapped_column(String(40), default="email", server_default="email")  # email | chat:HASH
    week: Mapped[str] = mapped_column(String(40), index=True)   # the period: "2025-W36", "2026-03-29", instant's time
    topics: Mapped[list[str]] = mapped_column(JSON)
    recipients: Mapped[list[str]] = mapped_column(JSON)
    message_id: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(Text, default="")
    articles: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DigestOutbox(Base):
    """A rendered message not sent yet (kept before sending, left here when the send fails): the next attempt
    sends exactly these bytes — an email with the same Message-ID, or a chat message as JSON {title, body}."""

    __tablename__ = "digest_outbox"
    subscription: Mapped[str] = mapped_column(String(100), primary_key=True, default="digest",
                                              server_default="digest")
    week: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(String(40), primary_key=True, default="email", server_default="email")
    topics: Mapped[list[str]] = mapped_column(JSON)
    recipients: Mapped[list[str]] = mapped_column(JSON)
    message_id: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(Text, default="")
    articles: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[bytes] = mapped_column(LargeBinary)                 # the whole message, as sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InstantSent(Base):
    """An article an instant subscription has sent (or queued in the outbox): never again, whatever reruns,
    restarts or reclassifies."""

    __tablename__ = "instant_sent"
    subscription: Mapped[str] = mapped_column(String(100), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BackfillJob(Base):
    """One `newsmon backfill` of one source over one date range: what a resumed backfill continues."""

    __tablename__ = "backfill_jobs"
    __table_args__ = (UniqueConstraint("source_id", "range_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    range_key: Mapped[str] = mapped_column(String(40))          # "2026-01-01..2026-03-31"; "2026-01-01.." open
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)      # the range as instants, end exclusive
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))               # running | stopped | complete | finished
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BackfillPage(Base):
    """A discovery page of a backfill job (listing page, archive day, sitemap) and how it ended. Finished
    pages are not requested again when the job resumes; failed ones are, a few times."""

    __tablename__ = "backfill_pages"
    job_id: Mapped[int] = mapped_column(ForeignKey("backfill_jobs.id", ondelete="CASCADE"), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))                 # listing | archive | sitemap
    status: Mapped[str] = mapped_column(String(20))               # done | empty | loop | missing | failed
    items: Mapped[int] = mapped_column(Integer, default=0)        # article links it gave
    newest: Mapped[datetime | None] = mapped_column(UTCDateTime)  # newest published among them (listing stop)
    fingerprint: Mapped[str | None] = mapped_column(String(40))   # of its link set (pagination loops)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BackfillSkip(Base):
    """An article page a backfill fetched and did not store: published outside that backfill's range (or
    with no date at all). Backfills whose range does not hold `published` skip it without a request."""

    __tablename__ = "backfill_skips"
    url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    published: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CoverageGap(Base):
    """A stretch of time a feed or listing page skipped: when it was read after an outage, nothing it listed
    was stored yet, so the articles between the last one stored from it and the oldest it lists were never
    seen. `run` fills it from the source's listing pages, sitemaps or archives, or says it cannot."""

    __tablename__ = "coverage_gaps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    discovery_url_id: Mapped[int] = mapped_column(ForeignKey("discovery_urls.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)      # the newest article stored from the URL before
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)        # the oldest article it listed after
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))               # open | closed | unrecoverable
    route: Mapped[str] = mapped_column(String(20))                # listing | sitemaps | archives | none
    recovered: Mapped[int] = mapped_column(Integer, default=0)    # articles the fill stored
    detail: Mapped[str | None] = mapped_column(Text)              # why it cannot be filled, or how the fill ended
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)   # the admins were told it cannot be filled


class SourceAlert(Base):
    """An alert the admins were sent about a source (failing runs, or nothing stored for days) and that has
    not yet been followed by its "recovered" email. The row is the memory that keeps a restarted process
    from sending either email twice."""

    __tablename__ = "source_alerts"
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True)
    problem: Mapped[str] = mapped_column(String(20))              # failing | silent
    detail: Mapped[str] = mapped_column(Text, default="")         # what the alert email said, in one line
    alerted_at: Mapped[datetime] = mapped_column(UTCDateTime)
