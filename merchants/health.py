"""`/health/`: can this instance reach what it needs? 200 when yes, 503 naming what is down.

It also reports whether the background processes live: a Celery worker answers a ping, and
beat's heartbeat (written by `merchants.beat.HeartbeatScheduler` on every tick) is fresh. Those
never make this instance's answer a 503 (a load balancer must not pull healthy web servers out
because a worker is down); the status then says "degraded" so an operator sees it.
It also names merchants whose stored secrets (gateway keys) no configured key decrypts, as
`"secrets": "unreadable: merchants 3, 7"` and `"status": "degraded"`, still with a 200: one
merchant's keys must not take every instance out of a load balancer.
It also says how many tasks wait in the outbox (`outbox.pending`, and the age of the oldest):
tasks the broker could not take after their commit, sent by the beat sweep once it is back.
Rows waiting do not make the instance unhealthy; an operator watches their count and age.
"""

import logging
import time
import uuid

from celery import current_app
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
    # The project's Celery app (the Django fix-up makes it the default in every thread).
    app = current_app
    if app.conf.task_always_eager:
        return "skipped"
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    return None


BEAT_HEARTBEAT_KEY = "beat:heartbeat"


def beat_heartbeat_record() -> None:
    """Beat is alive now (an int of epoch seconds: readable in Redis as it is)."""
    cache.set(BEAT_HEARTBEAT_KEY, int(time.time()), timeout=None)


def beat_heartbeat_age() -> float | None:
    """Seconds since beat last ticked; None when it never did (or the cache lost it)."""
    beat = cache.get(BEAT_HEARTBEAT_KEY)
    return None if beat is None else max(time.time() - beat, 0.0)


def _background_processes_expected() -> bool:
    return not current_app.conf.task_always_eager


def _check_worker() -> str | None:
    app = current_app
    if not _background_processes_expected():
        return "skipped"
    # Returns at the first answer; waits the whole timeout only when no worker is up.
    if not app.control.ping(timeout=settings.HEALTH_WORKER_PING_TIMEOUT, limit=1):
        raise RuntimeError("no worker answered the ping")
    return None


def _check_beat() -> str | None:
    if not _background_processes_expected():
        return "skipped"
    age = beat_heartbeat_age()
    if age is None:
        raise RuntimeError("beat has written no heartbeat")
    if age > settings.BEAT_HEARTBEAT_MAX_AGE_SECONDS:
        raise RuntimeError(f"beat's last heartbeat is {age:.0f} s old")
    return None


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}
# Reported, but down only "degrades" the answer (see the module docstring).
LIVENESS_CHECKS = {"worker": _check_worker, "beat": _check_beat}


def _run(name: str, check) -> tuple[str, bool]:
    try:
        return check() or "ok", True
    except Exception as exc:  # any failure of a dependency is what this page reports
        logger.warning("Health check %s failed: %s", name, exc)
        # The class name tells an operator enough; the message may hold hosts or secrets.
        return (f"down ({type(exc).__name__})" if settings.DEBUG else "down"), False


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
    """Every check, or those named in `?checks=database,cache` (a readiness probe that must
    not take every instance out when Redis is down asks for the database only)."""
    names = [n for n in request.GET.get("checks", "").split(",") if n] or list(CHECKS)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        return JsonResponse(
            {"error": f"Unknown check {', '.join(unknown)}; choose from {', '.join(CHECKS)}."},
            status=400,
        )
    results, healthy, alive = {}, True, True
    for name in names:
        results[name], passed = _run(name, CHECKS[name])
        healthy = healthy and passed
    if "checks" in request.GET:  # a probe: only what it asked for
        body = {"status": "ok" if healthy else "unhealthy", "checks": results}
        return JsonResponse(body, status=200 if healthy else 503)
    for name, check in LIVENESS_CHECKS.items():
        results[name], passed = _run(name, check)
        alive = alive and passed
    if healthy:
        results["secrets"], passed = _run("secrets", _unreadable_secrets_report)
        alive = alive and passed and results["secrets"] == "ok"
    status = "unhealthy" if not healthy else "ok" if alive else "degraded"
    body = {"status": status, "checks": results}
    try:
        body["outbox"] = outbox_pending_summary()
    except Exception as exc:  # the database check above already says why
        logger.warning("Health: outbox not counted: %s", exc)
        body["outbox"] = None
    return JsonResponse(body, status=200 if healthy else 503)
