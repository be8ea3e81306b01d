"""消息中心 (in-app notifications) and the delivery of notification e-mails when SMTP is configured."""
from flask import Blueprint

bp = Blueprint("notifications", __name__)

from . import views  # noqa: E402,F401  (registers the routes on bp)
