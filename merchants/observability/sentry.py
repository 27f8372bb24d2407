"""Error reports to Sentry, only when SENTRY_DSN is set, and never with personal data.

`send_default_pii=False` keeps users, cookies and client addresses out; on top of that every
event loses request bodies, query strings, local variables and all headers but a harmless few
(the kiosk and maintenance keys are headers Sentry does not know to hide), secret URL tokens
are masked, and email addresses anywhere in the event are replaced.
"""

import re

# Headers worth seeing on an error, none of them a secret.
SAFE_HEADERS = frozenset(
    {
        "accept",
        "accept-language",
        "content-length",
        "content-type",
        "host",
        "user-agent",
        "x-request-id",
        "x-merchant",
    }
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Paths with a secret token in them (magic links, galleries): the token goes.
SECRET_PATH = re.compile(r"^(/(?:auth/magic|gallery)/)[^/]+")


def _scrub_text(value):
    if isinstance(value, str):
        return EMAIL.sub("[email]", value)
    if isinstance(value, dict):
        return {key: _scrub_text(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_text(item) for item in value]
    return value


def scrub_event(event: dict, _hint=None) -> dict:
    from merchants.observability.context import current_request_id

    request = event.get("request")
    if isinstance(request, dict):
        for field in ("data", "cookies", "query_string", "env"):
            request.pop(field, None)
        headers = request.get("headers") or {}
        request["headers"] = {k: v for k, v in headers.items() if k.lower() in SAFE_HEADERS}
        if isinstance(request.get("url"), str):
            scheme, sep, rest = request["url"].partition("://")
            host, slash, path = rest.partition("/")
            masked = SECRET_PATH.sub(r"\1***", "/" + path)
            request["url"] = f"{scheme}{sep}{host}{masked}" if slash else request["url"]
    event.pop("user", None)
    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return _scrub_text(event)


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float, transport=None) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        traces_sample_rate=traces_sample_rate,
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        transport=transport,
    )
