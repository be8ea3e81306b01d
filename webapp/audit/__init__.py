"""The auditor workspace: chain integrity, case histories, search and export, dossiers and reports."""
from flask import Blueprint

bp = Blueprint("audit", __name__)

from . import reports_views, views  # noqa: E402,F401  (registers the routes on bp)
