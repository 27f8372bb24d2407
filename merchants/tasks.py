"""Celery entry points of the kernel: thin."""

from celery import shared_task

from merchants.outbox import outbox_send_pending


@shared_task
def outbox_send_pending_task() -> dict[str, int]:
    """Beat: send the tasks the broker could not take after their commit (see outbox.py)."""
    return outbox_send_pending()
