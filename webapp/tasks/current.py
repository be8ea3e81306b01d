"""The logged-in user as an engine User (kept apart so other blueprints can import it without cycles)."""
from __future__ import annotations

from flask_login import current_user

from engine.identity.models import User


def me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined,no-any-return]
