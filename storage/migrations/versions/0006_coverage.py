"""coverage: the route that found each article, and the gaps `run` found in what a feed or listing listed

Revision ID: 0006
Revises: 0005

`articles.route` (feed | listing | gap | backfill) is filled for the articles stored before: the kind of the
first discovery URL that found each one, else "backfill" (only backfill stores articles no feed or listing
page found).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("route", sa.String(length=20), nullable=True))
    op.execute("""
        UPDATE articles SET route = COALESCE(
            (SELECT discovery_urls.kind FROM discoveries
             JOIN discovery_urls ON discovery_urls.id = discoveries.discovery_url_id
             WHERE discoveries.article_id = articles.id
             ORDER BY discoveries.discovery_url_id LIMIT 1),
            'backfill')
    """)
    op.create_table(
        "coverage_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("discovery_url_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("found_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("route", sa.String(length=20), nullable=False),
        sa.Column("recovered", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("alerted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name=op.f("fk_coverage_gaps_source_id_sources"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["discovery_url_id"], ["discovery_urls.id"],
                                name=op.f("fk_coverage_gaps_discovery_url_id_discovery_urls"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_gaps")),
    )
    with op.batch_alter_table("coverage_gaps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coverage_gaps_source_id"), ["source_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("coverage_gaps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coverage_gaps_source_id"))
    op.drop_table("coverage_gaps")
    # SQLite 3.35+ drops a column in place; a batch copy of `articles` would cascade-delete its children
    op.drop_column("articles", "route")
