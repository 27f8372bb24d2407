"""Log records as one JSON object per line, each with the request id of its work.

`LOGGING` in settings uses `JsonFormatter` when LOG_FORMAT is `json` (the default with DEBUG
off) and a plain line otherwise; both go through `RequestIdFilter`.
"""

import json
import logging
from datetime import UTC, datetime

from merchants.observability.context import current_request_id

# Attributes every LogRecord has; anything else on a record is an `extra` field to keep.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


# Extras never copied into a line: Django's `request` (its repr holds the query string, where
# tokens may be) is summed up by the access line instead.
_LEFT_OUT = frozenset({"request"})


class RequestIdFilter(logging.Filter):
    """Stamps the request id; on Django's request records, also masks secret URL tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "request_id"):
            return True
        # django.request logs a 4xx/5xx ("Not Found: /path") after the middleware finished;
        # its record carries the request, and so the id and the path to mask.
        request = getattr(record, "request", None)
        record.request_id = current_request_id() or getattr(request, "request_id", None) or "-"
        if request is not None and isinstance(record.args, tuple):
            from merchants.observability.middleware import path_for_logs

            path, masked = getattr(request, "path", None), path_for_logs(request)
            if path != masked:
                record.args = tuple(masked if arg == path else arg for arg in record.args)
        return True


def _request_id(record: logging.LogRecord) -> str | None:
    value = getattr(record, "request_id", None) or current_request_id()
    return None if value == "-" else value


class ClientErrorTracebackFilter(logging.Filter):
    """A refusal (403: a role too low, another merchant's page) is the client's answer, not our
    failure: Django's request logger keeps its one warning line but not the traceback it
    attaches (the PermissionDenied raised by a view)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": _request_id(record),
        }
        for name, value in record.__dict__.items():
            if name not in _RECORD_ATTRIBUTES and name not in _LEFT_OUT and name not in entry:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
