"""Bounds on the gateway webhooks, which anyone on the internet can post to.

- A body over `WEBHOOK_MAX_BYTES` is a 413 and nothing is stored.
- A body that is not a JSON object, nests too deeply (`API_JSON_MAX_DEPTH`) or holds a NUL
  character is a 400 and nothing is stored.
- Rejected notifications (unknown order, bad signature or token) are counted per client address;
  past `THROTTLE_WEBHOOK_REJECTED` the address gets 429s for the rest of the window. Verified
  notifications are never counted nor throttled: the gateway retries on its own schedule.
- What such a rejected notification leaves in the payment log is cut to `UNVERIFIED_KEEP_BYTES`
  (`PaymentEvent.save` applies `bounded_unverified_raw`).
"""

import json
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext
from rest_framework.exceptions import ParseError, Throttled

from merchants.errors import NotFound, PayloadTooLarge, PermissionDenied
from merchants.login_guard import client_address

# The most an unverified notification may leave in the log, in bytes of JSON.
UNVERIFIED_KEEP_BYTES = 4096
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def webhook_body(request) -> dict:
    """The webhook's JSON object, or a 413/400 before anything is stored."""
    limit = settings.WEBHOOK_MAX_BYTES
    too_large = PayloadTooLarge(
        gettext("The body is larger than %(limit)s bytes, the most a notification may be.")
        % {"limit": limit},
        details={"limit_bytes": limit},
    )
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit or len(request.body) > limit:
        raise too_large
    data = request.data  # the API's JSON parser: too deep a body is a 400 here
    if not isinstance(data, dict):
        raise ParseError(gettext("Expected a JSON object."))
    if _holds_nul(data):
        raise ParseError(gettext("The body holds a NUL character, which no gateway sends."))
    return dict(data)


def _holds_nul(value) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _rate() -> tuple[int, int]:
    count, period = settings.THROTTLE_WEBHOOK_REJECTED.split("/")
    return int(count), _PERIODS[period.strip()[0]]


class WebhookRejections:
    """Rejected notifications per client address, in fixed windows (in the cache)."""

    rejected_errors = (NotFound, PermissionDenied)

    def __init__(self, request):
        self.limit, self.window = _rate()
        slot = int(time.time() // self.window)
        self.key = f"webhook-rejected:{client_address(request)}:{slot}"
        self.retry_after = self.window - int(time.time() % self.window)

    def check(self) -> None:
        if (cache.get(self.key) or 0) >= self.limit:
            raise Throttled(wait=self.retry_after)

    def record(self) -> None:
        if not cache.add(self.key, 1, self.window):
            try:
                cache.incr(self.key)
            except ValueError:  # the window ended in between
                cache.set(self.key, 1, self.window)


def bounded_unverified_raw(raw):
    """`raw` as it is when its JSON fits in `UNVERIFIED_KEEP_BYTES`, else its beginning."""
    text = json.dumps(raw, ensure_ascii=False, default=str)
    size = len(text.encode())
    if size <= UNVERIFIED_KEEP_BYTES:
        return raw
    cut = UNVERIFIED_KEEP_BYTES
    while True:
        head = text.encode()[:cut].decode(errors="ignore")
        kept = {"truncated": True, "size_bytes": size, "head": head}
        if len(json.dumps(kept, ensure_ascii=False).encode()) <= UNVERIFIED_KEEP_BYTES:
            return kept
        cut -= max(64, cut // 8)
