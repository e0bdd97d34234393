"""search and judgements: a full-text index of the articles' titles and texts, and relevance judgements

Revision ID: 0008
Revises: 0007

SQLite: `articles_fts`, an FTS5 table over `articles` (external content: it holds the index only, the text
stays in `articles`), ranked by bm25 with the title weighing ten times the text, kept in step by triggers on
`articles`; the articles stored before are indexed here. The text is column 0 and the title column 1: FTS5
marks every entry outside column 0 with its column, so text first makes the index about a quarter smaller.
`ix_articles_search_filters` holds what the search filters and the ranking read of an article (its instant
in whole seconds, source, language) beside its id, so the matches of a common word are filtered and ordered
without reading the article rows themselves (3 kB each); whole seconds keep it small (2 % of the index).
A later migration that copies `articles` (a batch operation) drops these triggers with the old table and
must create them again.
PostgreSQL: `articles.search_vector`, a stored generated tsvector (title weight A, text weight B) that the
ALTER fills for the rows stored before, with a GIN index.
Both: `ix_articles_instant`, on the instant an article belongs to (`Article.instant`, published else fetched)
and its source: the week, day and date-range queries of the digest, the coverage and the workbench's pages
read a period's articles from it instead of scanning every article; `ix_articles_source_fetched`, what the
health of a source counts (articles, last stored, stored this week) without reading the article rows. And
`judgements`, every verdict a person gave on an article for a topic; the latest one counts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_UP = [
    "CREATE VIRTUAL TABLE articles_fts USING fts5(text, title, content='articles', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "INSERT INTO articles_fts(articles_fts, rank) VALUES ('rank', 'bm25(1.0, 10.0)')",
    """CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, text, title) VALUES (new.id, new.text, new.title);
    END""",
    """CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, text, title) VALUES ('delete', old.id, old.text, old.title);
    END""",
    """CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, text, title) VALUES ('delete', old.id, old.text, old.title);
        INSERT INTO articles_fts(rowid, text, title) VALUES (new.id, new.text, new.title);
    END""",
    "CREATE INDEX ix_articles_search_filters ON articles "
    "(id, CAST(strftime('%s', coalesce(published_at, fetched_at)) AS INTEGER), source_id, language)",
    "CREATE INDEX ix_articles_instant ON articles (coalesce(published_at, fetched_at), source_id)",
    "CREATE INDEX ix_articles_source_fetched ON articles (source_id, fetched_at)",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
    "INSERT INTO articles_fts(articles_fts) VALUES ('optimize')",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS articles_fts_update",
    "DROP TRIGGER IF EXISTS articles_fts_delete",
    "DROP TRIGGER IF EXISTS articles_fts_insert",
    "DROP TABLE IF EXISTS articles_fts",
    "DROP INDEX IF EXISTS ix_articles_search_filters",
    "DROP INDEX IF EXISTS ix_articles_instant",
    "DROP INDEX IF EXISTS ix_articles_source_fetched",
]
_POSTGRES_UP = [
    "ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(text, '')), 'B')) STORED",
    "CREATE INDEX ix_articles_search_vector ON articles USING GIN (search_vector)",
    "CREATE INDEX ix_articles_instant ON articles (coalesce(published_at, fetched_at), source_id)",
    "CREATE INDEX ix_articles_source_fetched ON articles (source_id, fetched_at)",
]
_POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_articles_instant",
    "DROP INDEX IF EXISTS ix_articles_source_fetched",
    "DROP INDEX IF EXISTS ix_articles_search_vector",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search_vector",
]


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    for statement in _SQLITE_UP if _sqlite() else _POSTGRES_UP:
        op.execute(statement)
    op.create_table(
        "judgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("who", sa.String(length=100), nullable=False),
        sa.Column("judged_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name=op.f("fk_judgements_article_id_articles"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judgements")),
    )
    with op.batch_alter_table("judgements", schema=None) as batch_op:
        batch_op.create_index("ix_judgements_topic_article_id", ["topic", "article_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_judgements_article_id"), ["article_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("judgements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_judgements_article_id"))
        batch_op.drop_index("ix_judgements_topic_article_id")
    op.drop_table("judgements")
    for statement in _SQLITE_DOWN if _sqlite() else _POSTGRES_DOWN:
        op.execute(statement)
