"""The JSON API under /api/v1: bearer-token auth, JSON in and out, errors as {"error": {...}}."""
from flask import Blueprint

bp = Blueprint("api", __name__)

from . import auth, review_views, views  # noqa: E402,F401  (register the hooks and routes on bp)
