"""待办 / 已办 / 我发起的, and the task page where a step is decided."""
from flask import Blueprint

bp = Blueprint("tasks", __name__)

from . import files, ops, people, settings, views  # noqa: E402,F401  (registers the routes on bp)
