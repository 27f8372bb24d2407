"""Celery signals: task metrics, the request id carried from a request to the tasks it queues,
and, in a worker with CELERY_METRICS_PORT set, an HTTP exporter of the worker's metrics."""

import contextlib
import logging
import os
import time
from pathlib import Path

from celery.signals import (
    before_task_publish,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_shutdown,
)
from django.conf import settings

from merchants.observability.context import current_request_id, request_id_var
from merchants.observability.metrics import (
    multiprocess_dir,
    process_registry,
    task_run_observe,
)

logger = logging.getLogger(__name__)

OUTCOMES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried"}
# The header a queued task carries its request's id in (read back as task.request.request_id).
HEADER = "request_id"


@before_task_publish.connect
def _carry_request_id(headers=None, **_kwargs) -> None:
    request_id = current_request_id()
    if request_id and headers is not None:
        headers.setdefault(HEADER, request_id)


@task_prerun.connect
def _task_started(task_id=None, task=None, **_kwargs) -> None:
    # Eager tasks run inside the request and keep its id; queued ones bring it in the header.
    request_id = getattr(task.request, HEADER, None) or current_request_id()
    task.request._observability = (time.perf_counter(), request_id_var.set(request_id))


@task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **_kwargs) -> None:
    started = getattr(task.request, "_observability", None)
    seconds = None
    if started is not None:
        seconds = time.perf_counter() - started[0]
        task.request._observability = None
        with contextlib.suppress(ValueError):  # set in another context (never in practice)
            request_id_var.reset(started[1])
    task_run_observe(task=task.name, outcome=OUTCOMES.get(state, "other"), seconds=seconds)


@worker_init.connect
def _start_exporter(**_kwargs) -> None:
    port = settings.CELERY_METRICS_PORT
    if not port:
        return
    from prometheus_client import start_http_server

    folder = multiprocess_dir()
    if folder is not None:
        # Counters start at zero with the worker: files of an earlier run go.
        Path(folder).mkdir(parents=True, exist_ok=True)
        for leftover in Path(folder).glob("*.db"):
            leftover.unlink()
    else:
        logger.warning(
            "CELERY_METRICS_PORT is set without PROMETHEUS_MULTIPROC_DIR: a prefork pool's "
            "task metrics stay in its child processes and are not exported."
        )
    start_http_server(port, addr=settings.CELERY_METRICS_ADDRESS, registry=process_registry())
    logger.info("Worker metrics on %s:%s/metrics", settings.CELERY_METRICS_ADDRESS, port)


@worker_process_shutdown.connect
def _forget_process(pid=None, **_kwargs) -> None:
    if multiprocess_dir() is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())
