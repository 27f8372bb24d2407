"""`/health/`: can this instance reach what it needs? 200 when yes, 503 naming what is down.

It also names merchants whose stored secrets (gateway keys) no configured key decrypts, as
`"secrets": "unreadable: merchants 3, 7"` and `"status": "degraded"`, still with a 200: one
merchant's keys must not take every instance out of a load balancer.
"""

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "ok", 5)
    if cache.get(key) != "ok":
        raise RuntimeError("value written was not read back")
    cache.delete(key)


def _check_broker() -> str | None:
    from config.celery_app import app

    if app.conf.task_always_eager:
        return "skipped"
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    return None


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}
SECRETS_CACHE_KEY = "health:unreadable-secrets"
SECRETS_CACHE_SECONDS = 60


def _unreadable_secrets_report() -> str:
    """ "ok", or which rows hold secrets no key decrypts (checked once a minute at most)."""
    from merchants.crypto import unreadable_secrets

    report = cache.get(SECRETS_CACHE_KEY)
    if report is None:
        found = unreadable_secrets()
        parts = []
        for label, pks in found.items():
            name = "merchants" if label == "merchants.Merchant" else label
            parts.append(f"{name} {', '.join(str(pk) for pk in pks)}")
        report = f"unreadable: {'; '.join(parts)}" if parts else "ok"
        if parts:
            logger.error("Stored secrets no FIELD_ENCRYPTION_KEYS key decrypts: %s", report)
        cache.set(SECRETS_CACHE_KEY, report, SECRETS_CACHE_SECONDS)
    return report


@never_cache
@require_GET
def health(request):
    results, healthy = {}, True
    for name, check in CHECKS.items():
        try:
            results[name] = check() or "ok"
        except Exception as exc:  # any failure of a dependency is what this page reports
            logger.warning("Health check %s failed: %s", name, exc)
            healthy = False
            # The class name tells an operator enough; the message may hold hosts or secrets.
            results[name] = f"down ({type(exc).__name__})" if settings.DEBUG else "down"
    overall = "ok" if healthy else "unhealthy"
    if healthy:
        results["secrets"] = _unreadable_secrets_report()
        if results["secrets"] != "ok":
            overall = "degraded"
    return JsonResponse(
        {"status": overall, "checks": results},
        status=200 if healthy else 503,
    )
