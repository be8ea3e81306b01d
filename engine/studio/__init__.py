"""The admin studio: validating and deploying process versions, comparing and rolling them back, editing DMN
thresholds, moving running cases to a newer version, and managing organisations, users and roles."""

__all__ = ["diff", "dmn", "migrate", "people", "versions"]
