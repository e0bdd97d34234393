"""Alembic environment: newsmon passes its own connection (storage.engine.upgrade)."""

from alembic import context

from newsmon.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` command line, for writing new migrations
    from sqlalchemy import create_engine

    connection = create_engine(context.config.get_main_option("sqlalchemy.url") or "sqlite://").connect()

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
