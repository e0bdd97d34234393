"""Alembic migrations. SCHEMA_HEAD names the newest revision so that opening an up-to-date database does
not pay for importing Alembic (a test keeps it equal to the real head): update it with each migration."""

SCHEMA_HEAD = "0008"
