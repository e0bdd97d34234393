"""topic words: the words found in the text for each topic of an article, beside the rule terms

Revision ID: 0005
Revises: 0004

Nullable: rows stored before it have none until `newsmon reclassify` fills them; the digest falls back on
the rule terms meanwhile.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("article_topics", schema=None) as batch_op:
        batch_op.add_column(sa.Column("words", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("article_topics", schema=None) as batch_op:
        batch_op.drop_column("words")
