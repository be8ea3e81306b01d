"""Alembic environment: the engine is handed in by engine.schema, never read from a file."""
from __future__ import annotations

from alembic import context

from engine import models  # noqa: F401  (registers the tables on Base.metadata)
from engine.db import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    context.run_migrations()
