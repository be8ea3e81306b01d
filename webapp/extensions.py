"""Extensions bound in the factory, and the per-request database session."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine.db import make_engine, make_session_factory

login_manager = LoginManager()
csrf = CSRFProtect()


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]


def init_database(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"], **app.config.get("ENGINE_OPTIONS", {}))
    app.extensions["baguan_db"] = Database(engine, make_session_factory(engine))
    app.teardown_appcontext(_close_session)


def database() -> Database:
    return current_app.extensions["baguan_db"]


def db_session() -> Session:
    """The request's session, opened on first use and closed (rolled back if uncommitted) at teardown."""
    if "db_session" not in g:
        g.db_session = database().sessions()
    return g.db_session


def commit() -> None:
    """The one commit of a request or command: every operation before it only flushed."""
    db_session().commit()


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
