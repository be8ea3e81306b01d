"""Extensions bound in the factory, and the per-request database session."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from engine.db import begin_reading, is_reading, make_engine, make_session_factory

login_manager = LoginManager()
csrf = CSRFProtect()
READING_METHODS = frozenset({"GET", "HEAD"})
WRITES_ON_READ = "baguan_writes_on_read"
View = TypeVar("View", bound=Callable[..., Any])


class WriteWhileReading(RuntimeError):
    """A GET or HEAD view wrote without being marked ``writes_on_read``."""


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]


def init_database(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"], **app.config.get("ENGINE_OPTIONS", {}))
    sessions = make_session_factory(engine)
    event.listen(sessions, "before_flush", _refuse_writes_while_reading)
    app.extensions["baguan_db"] = Database(engine, sessions)
    app.teardown_appcontext(_close_session)


def writes_on_read(view: View) -> View:
    """Mark a GET view that writes (it records an audit event): its transaction takes the write lock like a POST's."""
    setattr(view, WRITES_ON_READ, True)
    return view


def reads_only() -> bool:
    """A GET or HEAD request to a view not marked ``writes_on_read``: its transaction needs no write lock."""
    if not has_request_context() or request.method not in READING_METHODS:
        return False
    return not getattr(current_app.view_functions.get(request.endpoint or ""), WRITES_ON_READ, False)


def begin_request_transaction(session: Session) -> None:
    """A reading request's transaction begins as a reader; any other begins when first used, with the write lock."""
    if reads_only():
        begin_reading(session)


def database() -> Database:
    return current_app.extensions["baguan_db"]


def db_session() -> Session:
    """The request's session, opened on first use and closed (rolled back if uncommitted) at teardown."""
    if "db_session" not in g:
        g.db_session = database().sessions()
        begin_request_transaction(g.db_session)
    return g.db_session


def commit() -> None:
    """The one commit of a request or command: every operation before it only flushed."""
    db_session().commit()


def _refuse_writes_while_reading(session: Session, _context: Any, _instances: Any) -> None:
    if is_reading(session):
        raise WriteWhileReading(f"{request.method} {request.endpoint} writes: mark the view writes_on_read")


def discard(session: Session) -> None:
    """Roll back what the request did. A connection the database dropped meanwhile (restart, failover, an admin's
    pg_terminate_backend) has nothing left to roll back: the server rolled it back, so that is not an error."""
    try:
        session.rollback()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        discard(session)
        session.close()
