"""The request id of the work in progress, for every log line it writes.

A context variable, not an argument: log records are made deep inside Django, DRF and the
libraries, where no argument reaches; each gunicorn thread (and each Celery task) has its own.
"""

import re
import uuid
from contextvars import ContextVar

REQUEST_ID_HEADER = "HTTP_X_REQUEST_ID"
# What a client or proxy may send: short, printable, no spaces (it goes into logs and headers).
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id_from(value: str | None) -> str:
    """The id a caller sent when it is sane, else a new one."""
    if value and _SANE_REQUEST_ID.match(value):
        return value
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()
