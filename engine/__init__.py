"""Baguan's engine: SpiffWorkflow and SQLAlchemy behind a small typed facade. Never imports Flask."""
