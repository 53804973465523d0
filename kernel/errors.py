"""Domain errors. Mapped to HTTP answers in one place (complaints/api_errors.py)."""


class DomainError(Exception):
    """A request the domain refuses; the message is shown to the user as is."""

    status_code = 400
    code = "invalid"

    def __init__(self, message, *, field: str | None = None):
        self.message, self.field = message, field
        super().__init__(str(message))


class InvalidInput(DomainError):
    code = "invalid_input"


class NotAllowed(DomainError):
    status_code = 403
    code = "permission_denied"


class StaleVersion(DomainError):
    """The complaint changed since the caller read it; nothing was written."""

    status_code = 409
    code = "stale_version"

    def __init__(self, message, *, complaint, changes):
        super().__init__(message)
        self.complaint, self.changes = complaint, changes
