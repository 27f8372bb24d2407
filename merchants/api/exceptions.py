"""One JSON error shape for the whole API: {"error": {"code", "message", "details"}}."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from merchants.errors import DomainError

logger = logging.getLogger(__name__)


def error_body(code: str, message: str, details=None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _first_message(detail) -> str:
    """A one-line summary of DRF validation details, naming the field."""
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else gettext("Invalid input.")
    if isinstance(detail, dict):
        for field, value in detail.items():
            message = _first_message(value)
            if field in ("non_field_errors", "detail"):
                return message
            return f"{field}: {message}"  # the field's name, as the client sent it
        return gettext("Invalid input.")
    return str(detail)


def _request_limit_error(exc: SuspiciousOperation) -> Response:
    """Django's request limits (read while parsing a body) as the client's mistake it is."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            error_body(
                "too_large",
                gettext("The request body is larger than %(limit)d bytes, the most accepted here.")
                % {"limit": limit},
                {"limit_bytes": limit},
            ),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        message = gettext("Too many files in one request; at most %(limit)d are accepted.") % {
            "limit": limit
        }
        details = {"limit_files": limit}
    elif isinstance(exc, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        message = gettext("Too many fields in one request; at most %(limit)d are accepted.") % {
            "limit": limit
        }
        details = {"limit_fields": limit}
    else:
        message, details = gettext("The request is malformed."), {}
    return Response(error_body("invalid", message, details), status=status.HTTP_400_BAD_REQUEST)


def api_exception_handler(exc, context):
    if isinstance(exc, SuspiciousOperation):
        return _request_limit_error(exc)
    if isinstance(exc, DomainError):
        response = Response(error_body(exc.code, exc.message, exc.details), status=exc.status_code)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:  # a busy dependency: when to come back
            response["Retry-After"] = str(retry_after)
        return response
    if isinstance(exc, ProtectedError | RestrictedError):
        return Response(
            error_body(
                "protected",
                gettext(
                    "This record is still used by other records and cannot be deleted; "
                    "deactivate it instead."
                ),
            ),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, IntegrityError):
        logger.warning("Integrity error answered as 409: %s", exc)
        return Response(
            error_body(
                "conflict", gettext("This conflicts with an existing record (a duplicate?).")
            ),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(gettext("Not found."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
        return Response(
            error_body(
                "server_error", gettext("Something went wrong on our side; it has been logged.")
            ),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, exceptions.ValidationError):
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body("invalid", _first_message(exc.detail), details)
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = error_body(str(code), str(detail) or gettext("Request failed."))
    return response


def json_404(request, exception=None):
    return JsonResponse(error_body("not_found", gettext("No such endpoint.")), status=404)


def json_500(request):
    return JsonResponse(
        error_body(
            "server_error", gettext("Something went wrong on our side; it has been logged.")
        ),
        status=500,
    )
