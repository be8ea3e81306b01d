"""发起 (filing a new case) and the case page with its full history."""
from flask import Blueprint

bp = Blueprint("cases", __name__)

from . import views  # noqa: E402,F401  (registers the routes on bp)
