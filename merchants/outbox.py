"""Queue a Celery task after commit, and keep it when the broker cannot take it.

Every task queued because of a write (a receipt, a login email, a gallery email, a charge to
cancel, an export) goes through `task_queue_on_commit`:

    task_queue_on_commit(order_receipt_send_task, order.pk)

Like Celery's `delay_on_commit` it publishes nothing if the transaction rolls back. Unlike it,
a broker that is down (Redis stopped, unreachable, refusing) never turns a committed write into
an error: the task is written to an `OutboxTask` row instead, with a warning, and the beat sweep
`outbox_send_pending_task` sends it once the broker answers. The answer to the request is the
same either way.

After one failed publish, a process writes straight to the outbox for `OUTBOX_BROKER_RETRY_SECONDS`
instead of waiting on the broker again (each try costs Celery's publish retries, about 0.6 s).

With eager Celery (no broker: the embedded default, the tests) the task runs in-process at the
commit as before, and its errors surface, unless `robust=True` says the change stands anyway.

A process killed between the commit and the publish still loses the task (no row is written
inside the transaction, so the normal path costs no extra write); the beat tasks that reconcile
payments and expire sessions cover what matters of that window.
"""

import logging
import threading
import time
from collections.abc import Iterable
from datetime import timedelta

from celery import Task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from merchants.cache import rate_limited_log
from merchants.models import OutboxTask

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_broker_down_until = 0.0


def _celery_app():
    from celery import current_app as app

    return app


def _broker_marked_down() -> bool:
    return time.monotonic() < _broker_down_until


def _mark_broker_down() -> None:
    global _broker_down_until
    with _lock:
        _broker_down_until = time.monotonic() + settings.OUTBOX_BROKER_RETRY_SECONDS


def outbox_forget_broker_failures() -> None:
    """Try the broker again at the next publish (tests; the sweep once it sent a row)."""
    global _broker_down_until
    with _lock:
        _broker_down_until = 0.0


def task_queue_on_commit(
    task: Task, *args, kwargs: dict | None = None, robust: bool = False
) -> None:
    """Publish `task(*args, **kwargs)` once the current transaction commits (at once outside
    one); if the broker cannot take it, store it for the outbox sweep. Never raises for a
    broker failure. Arguments must be JSON (ids, strings)."""
    task_kwargs = dict(kwargs or {})

    def publish() -> None:
        if _celery_app().conf.task_always_eager:
            task.delay(*args, **task_kwargs)
        else:
            task_publish_or_store(task, args, task_kwargs)

    transaction.on_commit(publish, robust=robust)


def task_publish_or_store(task: Task, args: Iterable, kwargs: dict) -> bool:
    """Publish now; on a broker failure write an outbox row instead. True when published."""
    args = list(args)
    if not _broker_marked_down():
        try:
            task.apply_async(args=args, kwargs=kwargs)
            return True
        except Exception as error:  # kombu, redis and socket errors alike: the broker is down
            _mark_broker_down()
            reason = f"{type(error).__name__}: {error}"
    else:
        reason = "broker marked down by an earlier failure in this process"
    try:
        OutboxTask.objects.create(
            task_name=task.name, args=args, kwargs=kwargs, last_error=reason[:2000]
        )
    except Exception:
        # The database is gone too: nothing is left to keep it in. Say so loudly.
        logger.exception("Could not queue %s%s nor store it in the outbox", task.name, args)
        return False
    rate_limited_log.warning(
        "outbox.store",
        settings.CACHE_DOWN_LOG_SECONDS,
        "Broker unavailable (%s): %s%s kept in the outbox; the sweep sends it once the broker "
        "is back.",
        reason,
        task.name,
        tuple(args),
        log=logger,
    )
    return False


def outbox_send_pending(*, batch_size: int | None = None) -> dict[str, int]:
    """Send pending outbox rows, oldest first, until none is left or the broker fails again.

    Rows are locked and skipped by a concurrent sweep (PostgreSQL), so each goes once per
    sweep; a row whose send fails stays pending with its error and one more attempt. Sent rows
    older than `OUTBOX_KEEP_SENT_DAYS` are deleted. Returns counts: sent, failed, pruned.
    """
    app = _celery_app()
    batch_size = batch_size or settings.OUTBOX_SWEEP_BATCH_SIZE
    sent = failed = 0
    while True:
        with transaction.atomic():
            rows = list(
                OutboxTask.objects.select_for_update(skip_locked=True)
                .filter(sent_at__isnull=True)
                .order_by("created_at", "pk")[:batch_size]
            )
            if not rows:
                break
            stop = False
            for row in rows:
                row.attempts += 1
                row.last_attempt_at = timezone.now()
                try:
                    app.tasks[row.task_name].apply_async(args=row.args, kwargs=row.kwargs)
                except Exception as error:  # unknown task or broker down again
                    row.last_error = f"{type(error).__name__}: {error}"[:2000]
                    row.save(update_fields=["attempts", "last_attempt_at", "last_error"])
                    logger.warning("Outbox row %s not sent: %s", row.pk, row.last_error)
                    failed += 1
                    stop = True
                    break
                row.sent_at = row.last_attempt_at
                row.save(update_fields=["attempts", "last_attempt_at", "sent_at"])
                sent += 1
        if stop or len(rows) < batch_size:
            break
    if sent:
        outbox_forget_broker_failures()
        logger.info("Outbox: %s task(s) sent after a broker outage", sent)
    keep = timezone.now() - timedelta(days=settings.OUTBOX_KEEP_SENT_DAYS)
    pruned, _ = OutboxTask.objects.filter(sent_at__lt=keep).delete()
    return {"sent": sent, "failed": failed, "pruned": pruned}


def outbox_pending_summary() -> dict:
    """For `/health/`: how many rows wait, and the age in seconds of the oldest."""
    pending = OutboxTask.objects.filter(sent_at__isnull=True)
    oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
    age = int((timezone.now() - oldest).total_seconds()) if oldest else 0
    return {"pending": pending.count(), "oldest_pending_seconds": age}
