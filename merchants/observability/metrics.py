"""Prometheus metrics, and `/metrics` to scrape them.

Counters and histograms live in this process, or, when PROMETHEUS_MULTIPROC_DIR is set (the
product's gunicorn.conf.py sets it for its workers), in files there that every process of the
instance writes, so one scrape sums all workers. The Celery queue length is read from the
broker at scrape time. `/metrics` answers a `Authorization: Bearer <METRICS_TOKEN>` or a client
inside METRICS_ALLOWED_NETWORKS, and nobody when neither is set.
"""

import hmac
import ipaddress
import logging
import os
from functools import lru_cache

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

HTTP_REQUESTS = Counter(
    "pos_http_requests_total",
    "HTTP requests answered, by route name, method and status.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "pos_http_request_duration_seconds",
    "Time from the request's arrival to its answer, by route name and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
TASK_RUNS = Counter(
    "pos_celery_task_runs_total",
    "Celery task runs by task and outcome (succeeded, failed, retried, other).",
    ["task", "outcome"],
)
TASK_DURATION = Histogram(
    "pos_celery_task_duration_seconds",
    "Celery task run time, by task.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300),
)
PAYMENT_WEBHOOKS = Counter(
    "pos_payment_webhooks_total",
    "Payment gateway notifications by gateway and outcome "
    "(applied, rejected, unknown_payment, invalid, error).",
    ["gateway", "outcome"],
)

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# kombu's Redis transport keeps a queue's messages of priority p > 0 in "<queue>\x06\x16<p>".
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_STEPS = (0, 3, 6, 9)


# Labelled children by their labels: a plain dict lookup per request instead of the client's
# locked one (route names, methods and statuses are few, so these stay small).
_request_counters: dict[tuple[str, str, int], Counter] = {}
_request_timers: dict[tuple[str, str], Histogram] = {}


def http_request_observe(*, route: str, method: str, status: int, seconds: float) -> None:
    method = method if method in HTTP_METHODS else "OTHER"
    counter = _request_counters.get((route, method, status))
    if counter is None:
        counter = _request_counters[route, method, status] = HTTP_REQUESTS.labels(
            route, method, str(status)
        )
    timer = _request_timers.get((route, method))
    if timer is None:
        timer = _request_timers[route, method] = HTTP_DURATION.labels(route, method)
    counter.inc()
    timer.observe(seconds)


def task_run_observe(*, task: str, outcome: str, seconds: float | None) -> None:
    TASK_RUNS.labels(task, outcome).inc()
    if seconds is not None:
        TASK_DURATION.labels(task).observe(seconds)


def payment_webhook_observe(*, gateway: str, outcome: str) -> None:
    PAYMENT_WEBHOOKS.labels(gateway, outcome).inc()


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def process_registry():
    """What this instance has counted: every process's files in multiprocess mode."""
    if multiprocess_dir() is None:
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def _celery_queues() -> list[str]:
    from celery import current_app as app

    names = {app.conf.task_default_queue}
    names.update(queue.name for queue in app.conf.task_queues or ())
    return sorted(names)


@lru_cache(maxsize=4)
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


class CeleryQueueCollector:
    """`pos_celery_queue_length{queue}`: tasks waiting in each queue, read from Redis now."""

    def collect(self):
        from celery import current_app as app

        url = app.conf.broker_url or ""
        if app.conf.task_always_eager or not url.startswith(("redis://", "rediss://")):
            return
        queues = _celery_queues()
        try:
            pipe = _redis(url).pipeline(transaction=False)
            for queue in queues:
                for priority in _PRIORITY_STEPS:
                    pipe.llen(f"{queue}{_PRIORITY_SEPARATOR}{priority}" if priority else queue)
            lengths = pipe.execute()
        except Exception as error:  # a scrape must still answer; the gap shows the outage
            logger.warning("Could not read the Celery queue lengths: %s", error)
            return
        family = GaugeMetricFamily(
            "pos_celery_queue_length", "Tasks waiting in each Celery queue.", labels=["queue"]
        )
        steps = len(_PRIORITY_STEPS)
        for index, queue in enumerate(queues):
            family.add_metric([queue], sum(lengths[index * steps : (index + 1) * steps]))
        yield family


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header[7:].strip().encode(), token.encode())
    networks = settings.METRICS_ALLOWED_NETWORKS
    if networks:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(net, strict=False) for net in networks)
    return False


@never_cache
@require_GET
def metrics_view(request):
    if not _allowed(request):
        if not (settings.METRICS_TOKEN or settings.METRICS_ALLOWED_NETWORKS):
            message = "Metrics are off: set METRICS_TOKEN or METRICS_ALLOWED_NETWORKS.\n"
        else:
            message = (
                "Send Authorization: Bearer <METRICS_TOKEN>, or scrape from an allowed network.\n"
            )
        return HttpResponse(message, status=403, content_type="text/plain")
    scrape = CollectorRegistry()
    scrape.register(CeleryQueueCollector())
    body = generate_latest(process_registry()) + generate_latest(scrape)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
