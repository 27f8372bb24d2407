"""`Idempotency-Key` for POSTs that create things (Stripe's rules).

The same key and body replay the first answer; the same key with another body is a 422; a
request still running with that key is a 409. Keys are scoped to the merchant and the caller.
Client mistakes (4xx) are not stored, so the client can fix the request and retry the same key.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.response import Response

from merchants.errors import Conflict, DomainError
from orders.models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(DomainError):
    status_code = 422
    code = "idempotency_key_reused"


def request_fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(
        f"{request.method} {request.path.rstrip('/')}\n{body}".encode()
    ).hexdigest()


def idempotent(request, *, scope: str, handler: Callable[[], Response]) -> Response:
    """Run `handler` once per (scope, key); without the header it simply runs."""
    key = request.META.get(HEADER, "").strip()
    if not key:
        return handler()
    if len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            gettext("Idempotency-Key is at most %(max_key_length)s characters.")
            % {"max_key_length": MAX_KEY_LENGTH}
        )
    fingerprint = request_fingerprint(request)
    record = _claim(scope=scope, key=key, fingerprint=fingerprint)
    if record.state == IdempotencyRecord.State.DONE:
        response = Response(record.response_body, status=record.response_status)
        response["Idempotent-Replayed"] = "true"
        return response

    try:
        response = handler()
    except Exception:
        record.delete()  # nothing was created; the same key may be retried
        raise
    if 400 <= response.status_code < 500:
        record.delete()
        return response
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        state=IdempotencyRecord.State.DONE,
        response_status=response.status_code,
        response_body=response.data,
        updated_at=timezone.now(),
    )
    return response


def _claim(*, scope: str, key: str, fingerprint: str) -> IdempotencyRecord:
    """Insert the in-progress marker (committed at once so racing requests see it).

    Outside a transaction (a request) the insert is its own autocommitted statement: one round
    trip, where a transaction around it added BEGIN and COMMIT. Inside one (a test, a caller's
    atomic block) a savepoint keeps that transaction usable after a duplicate key."""
    stale_before = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS)
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    scope=scope, key=key, request_hash=fingerprint
                )
        return IdempotencyRecord.objects.create(scope=scope, key=key, request_hash=fingerprint)
    except IntegrityError:
        existing = IdempotencyRecord.objects.get(scope=scope, key=key)
    if existing.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            gettext(
                "This Idempotency-Key was already used with a different request; use a new key."
            )
        )
    if existing.state == IdempotencyRecord.State.IN_PROGRESS:
        if existing.updated_at >= stale_before:
            raise Conflict(
                gettext(
                    "A request with this Idempotency-Key is still being processed; retry shortly."
                ),
                code="idempotency_in_progress",
            )
        # The first attempt died mid-way (nothing committed with it): take the key over.
        IdempotencyRecord.objects.filter(pk=existing.pk).update(updated_at=timezone.now())
    return existing


def idempotency_prune(*, older_than: timedelta | None = None) -> int:
    older_than = older_than or timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - older_than
    ).delete()
    return deleted
