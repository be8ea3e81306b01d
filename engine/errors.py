"""Domain exceptions. The web layer maps each class to one HTTP status in one place."""
from __future__ import annotations


class BaguanError(Exception):
    """Base of every error Baguan raises on purpose. ``code`` is stable for API clients."""

    code = "error"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(BaguanError):
    """The object does not exist, or the caller may not know that it exists."""

    code = "not_found"


class AccessDenied(NotFound):
    """Answers like NotFound, but the web layer records the attempt in the audit trail.

    ``detail`` goes to the audit event only; the client sees the message (and ``fields`` if given).
    """

    def __init__(self, message: str, detail: dict[str, str] | None = None,
                 fields: dict[str, str] | None = None) -> None:
        super().__init__(message, fields)
        self.detail = detail or {}


class PermissionDenied(BaguanError):
    """The caller may see the object but may not perform this operation on it."""

    code = "forbidden"


class Conflict(BaguanError):
    """The object changed under the caller (task already completed, concurrent edit)."""

    code = "conflict"


class InvalidData(BaguanError):
    """Submitted data failed validation; ``fields`` maps field names to messages."""

    code = "invalid_data"


class BadRequest(BaguanError):
    """The request itself is malformed."""

    code = "bad_request"


class DeployRejected(BaguanError):
    """An uploaded BPMN/DMN/form was refused. ``problems`` lists what was wrong, element by element."""

    code = "deploy_rejected"

    def __init__(self, message: str, problems: list[str] | None = None,
                 details: list[dict[str, str | None]] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]
        self.details = details or [{"element": None, "message": p} for p in self.problems]

    def __str__(self) -> str:
        return "; ".join(self.problems)


class SandboxViolation(BaguanError):
    """An expression or script uses something the sandbox does not allow."""

    code = "sandbox_violation"


class ExpressionError(BaguanError):
    """An allowed expression failed while running (unknown name, wrong type)."""

    code = "expression_error"


class AuthenticationFailed(BaguanError):
    code = "unauthenticated"


class TooManyAttempts(BaguanError):
    code = "too_many_attempts"
