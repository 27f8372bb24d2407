"""The one domain error type. Services raise these; the API handler turns them into JSON."""


class DomainError(Exception):
    """A request that cannot be carried out, with a message a person can act on."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """The request is valid but the current state does not allow it (stock, status, quota)."""

    status_code = 409
    code = "conflict"


class PermissionDenied(DomainError):
    status_code = 403
    code = "permission_denied"


class MerchantAccessDenied(PermissionDenied):
    code = "merchant_access_denied"


class MerchantRequired(DomainError):
    code = "merchant_required"


class GatewayError(DomainError):
    """A payment or media provider failed or answered something we cannot use."""

    status_code = 502
    code = "gateway_error"


class PayloadTooLarge(DomainError):
    """A request body over a size limit (the message names the limit)."""

    status_code = 413
    code = "too_large"
