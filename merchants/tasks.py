"""Celery entry points of the kernel: thin."""

from celery import shared_task

from merchants.export_jobs import export_job_run
from merchants.outbox import outbox_send_pending


@shared_task
def outbox_send_pending_task() -> dict[str, int]:
    """Beat: send the tasks the broker could not take after their commit (see outbox.py)."""
    return outbox_send_pending()


# A year of a busy shop takes minutes to write: longer than the default task limits allow.
@shared_task(acks_late=True, soft_time_limit=30 * 60, time_limit=31 * 60)
def export_job_run_task(job_id: int) -> str:
    """Write one export job's CSV file; a second delivery writes nothing."""
    return export_job_run(job_id=job_id)
