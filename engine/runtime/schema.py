"""Creating or migrating the schema with Alembic (idempotent)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> str:
    """Bring the database to the newest revision(s); returns them, comma-separated."""
    config = alembic_config(engine)
    command.upgrade(config, "heads")
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version ORDER BY version_num")
        return ",".join(str(r[0]) for r in rows)
