"""One access line and the request metrics per request, under a request id.

The id is the caller's `X-Request-ID` when sane (a proxy's or a client's), else a new one; it is
echoed in the response's `X-Request-ID`, stamped on every log line written while the request
runs (and on the tasks it queues), and reported with errors. The access line says who asked
(user kind and merchant), what (method, route, path without query string or secret tokens),
the status and the time it took. This runs on every request, the kiosk poll included, so it
does little: no query, no lookups beyond what the request has already loaded.
"""

import logging
import time

from django.utils.functional import SimpleLazyObject, empty

from merchants.observability.context import REQUEST_ID_HEADER, request_id_from, request_id_var
from merchants.observability.metrics import http_request_observe

access_logger = logging.getLogger("pos.access")

# URL parameters that are secrets (magic-link and gallery tokens): masked in logs and reports.
SECRET_URL_PARAMETERS = ("token", "key", "secret")
MAX_PATH_LENGTH = 200


def route_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


def path_for_logs(request) -> str:
    """The path without its query string, secret URL parameters masked."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is not None:
        for name, value in match.kwargs.items():
            if isinstance(value, str) and value and any(s in name for s in SECRET_URL_PARAMETERS):
                path = path.replace(value, "***")
    return path[:MAX_PATH_LENGTH]


def _user(request):
    """The authenticated principal, without loading a user nobody asked for."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        return None if user._wrapped is empty else user._wrapped
    return user


def user_kind_and_merchant(request, response) -> tuple[str, int | None]:
    user = _user(request)
    merchant_id = None
    # A staff API request acts for the merchant its viewset resolved (merchants.api.base).
    view = (getattr(response, "renderer_context", None) or {}).get("view")
    tenant = getattr(view, "__dict__", {}).get("tenant")
    if tenant is not None:
        merchant_id = tenant.merchant.pk
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous", merchant_id
    kind = getattr(user, "principal_kind", None) or "staff"
    if merchant_id is None:
        merchant_id = getattr(user, "merchant_id", None)
    return kind, merchant_id


class RequestObservabilityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request_id = request_id_from(request.META.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            self._observe(request, response, time.perf_counter() - started)
            return response
        finally:
            request_id_var.reset(token)

    def _observe(self, request, response, seconds: float) -> None:
        route = route_name(request)
        http_request_observe(
            route=route, method=request.method, status=response.status_code, seconds=seconds
        )
        if not access_logger.isEnabledFor(logging.INFO):
            return
        kind, merchant_id = user_kind_and_merchant(request, response)
        path = path_for_logs(request)
        duration_ms = round(seconds * 1000, 1)
        # The record is made here, not by `.info()`: that would walk the stack for the caller's
        # file and line, a third of this line's cost, to say what this comment says.
        record = access_logger.makeRecord(
            access_logger.name,
            logging.INFO,
            __file__,
            0,
            "%s %s %s %sms",
            (request.method, path, response.status_code, duration_ms),
            None,
            extra={
                "method": request.method,
                "path": path,
                "route": route,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_kind": kind,
                "merchant": merchant_id,
            },
        )
        access_logger.handle(record)
