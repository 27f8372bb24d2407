"""`/health/`: can this instance reach what it needs? 200 when yes, 503 naming what is down.

It also says how many tasks wait in the outbox (`outbox.pending`, and the age of the oldest):
tasks the broker could not take after their commit, sent by the beat sweep once it is back.
Rows waiting do not make the instance unhealthy; an operator watches their count and age.
"""

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from merchants.outbox import outbox_pending_summary

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


@never_cache
@require_GET
def health(request):
    """Every check, or those named in `?checks=database,cache` (a readiness probe that must
    not take every instance out when Redis is down asks for the database only)."""
    names = [n for n in request.GET.get("checks", "").split(",") if n] or list(CHECKS)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        return JsonResponse(
            {"error": f"Unknown check {', '.join(unknown)}; choose from {', '.join(CHECKS)}."},
            status=400,
        )
    results, healthy = {}, True
    for name in names:
        check = CHECKS[name]
        try:
            results[name] = check() or "ok"
        except Exception as exc:  # any failure of a dependency is what this page reports
            logger.warning("Health check %s failed: %s", name, exc)
            healthy = False
            # The class name tells an operator enough; the message may hold hosts or secrets.
            results[name] = f"down ({type(exc).__name__})" if settings.DEBUG else "down"
    body = {"status": "ok" if healthy else "unhealthy", "checks": results}
    if "checks" in request.GET:  # a probe: only what it asked for
        return JsonResponse(body, status=200 if healthy else 503)
    try:
        body["outbox"] = outbox_pending_summary()
    except Exception as exc:  # the database check above already says why
        logger.warning("Health: outbox not counted: %s", exc)
        body["outbox"] = None
    return JsonResponse(body, status=200 if healthy else 503)
