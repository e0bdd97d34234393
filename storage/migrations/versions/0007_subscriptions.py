"""subscriptions: every send and every message waiting is a subscription's, to one channel; instant alerts sent

Revision ID: 0007
Revises: 0006

`digests_sent` and `digest_outbox` gain `subscription` ("digest" for the [digest] table, which is what every
row stored before was) and `channel` ("email", or "chat:<hash of the notify URL as config.toml writes it>").
`week` holds any period's label: "2025-W36", "2026-03-29", or the instant batch's "2026-03-29T08:15:00Z".
The outbox's key becomes (subscription, week, channel); its few rows are carried over.
`instant_sent` remembers which article went to which instant subscription, so none goes twice.
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OUTBOX_COLUMNS: dict[str, Any] = {   # name -> type: JSON and bytes must be bound as such on PostgreSQL
    "week": sa.String(), "topics": sa.JSON(), "recipients": sa.JSON(), "message_id": sa.String(),
    "subject": sa.Text(), "articles": sa.Integer(), "message": sa.LargeBinary(), "created_at": sa.DateTime(),
    "attempts": sa.Integer(), "last_error": sa.Text(), "last_attempt_at": sa.DateTime()}


def _outbox(key: Sequence[str], week_length: int, extra: Sequence[sa.Column[str]]) -> None:
    op.create_table(
        "digest_outbox",
        *extra,
        sa.Column("week", sa.String(length=week_length), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("message_id", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint(*key, name=op.f("pk_digest_outbox")),
    )


def _carry_outbox(build: Callable[[], None]) -> None:
    """Recreate digest_outbox (a primary key cannot be changed in place on SQLite), keeping its rows."""
    bind = op.get_bind()
    table = sa.table("digest_outbox", *(sa.column(name, kind) for name, kind in _OUTBOX_COLUMNS.items()))
    rows = [dict(r._mapping) for r in bind.execute(sa.select(*table.columns))]
    op.drop_table("digest_outbox")
    build()
    if rows:
        bind.execute(table.insert(), rows)


def upgrade() -> None:
    with op.batch_alter_table("digests_sent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subscription", sa.String(length=100), nullable=False,
                                      server_default="digest"))
        batch_op.add_column(sa.Column("channel", sa.String(length=40), nullable=False, server_default="email"))
        batch_op.alter_column("week", existing_type=sa.String(length=10), type_=sa.String(length=40),
                              existing_nullable=False)
        batch_op.create_index(batch_op.f("ix_digests_sent_subscription"), ["subscription"], unique=False)
    _carry_outbox(lambda: _outbox(("subscription", "week", "channel"), 40, (
        sa.Column("subscription", sa.String(length=100), nullable=False, server_default="digest"),
        sa.Column("channel", sa.String(length=40), nullable=False, server_default="email"))))
    op.create_table(
        "instant_sent",
        sa.Column("subscription", sa.String(length=100), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name=op.f("fk_instant_sent_article_id_articles"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("subscription", "article_id", name=op.f("pk_instant_sent")),
    )


def downgrade() -> None:
    op.drop_table("instant_sent")
    op.execute("DELETE FROM digest_outbox WHERE subscription != 'digest'")
    _carry_outbox(lambda: _outbox(("week",), 10, ()))
    op.execute("DELETE FROM digests_sent WHERE subscription != 'digest'")
    with op.batch_alter_table("digests_sent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digests_sent_subscription"))
        batch_op.alter_column("week", existing_type=sa.String(length=40), type_=sa.String(length=10),
                              existing_nullable=False)
        batch_op.drop_column("channel")
        batch_op.drop_column("subscription")
