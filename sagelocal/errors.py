"""Errors every room raises, shaped like AWS service errors so the HTTP API can return them as-is."""


class ServiceError(Exception):
    """An AWS-style error: ``code`` is what botocore reads as ``Error.Code``."""

    status = 400

    def __init__(self, message: str, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    code = "ServiceError"


class ValidationError(ServiceError):
    code = "ValidationException"


class ResourceNotFound(ServiceError):
    code = "ResourceNotFound"


class ResourceInUse(ServiceError):
    code = "ResourceInUse"


class ResourceLimitExceeded(ServiceError):
    code = "ResourceLimitExceeded"


class ConflictError(ServiceError):
    code = "ConflictException"
    status = 409


class BodyTooLarge(Exception):
    """A request body is (or says it is) longer than its route accepts; nothing more of it is read."""

    def __init__(self, limit: int):
        super().__init__(f"HTTP content length exceeded {limit} bytes.")
        self.limit = limit


class UserError(Exception):
    """Bad input from the command line or a file: printed as one line, never as a traceback."""
