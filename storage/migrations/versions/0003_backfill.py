"""backfill: jobs, their finished discovery pages, article pages fetched and not stored

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "backfill_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("range_key", sa.String(length=40), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name=op.f("fk_backfill_jobs_source_id_sources"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backfill_jobs")),
        sa.UniqueConstraint("source_id", "range_key", name=op.f("uq_backfill_jobs_source_id")),
    )
    op.create_table(
        "backfill_pages",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("newest", sa.DateTime(), nullable=True),
        sa.Column("fingerprint", sa.String(length=40), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["backfill_jobs.id"], name=op.f("fk_backfill_pages_job_id_backfill_jobs"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", "url", name=op.f("pk_backfill_pages")),
    )
    op.create_table(
        "backfill_skips",
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("published", sa.DateTime(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name=op.f("fk_backfill_skips_source_id_sources"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_backfill_skips")),
    )


def downgrade() -> None:
    op.drop_table("backfill_skips")
    op.drop_table("backfill_pages")
    op.drop_table("backfill_jobs")
