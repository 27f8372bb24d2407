"""Celery entry points of the merchants app (the kernel): thin, ids only."""

from celery import shared_task

from merchants.api.authentication import staff_token_prune_expired
from merchants.emails import EMAIL_TASK_OPTIONS
from merchants.export_jobs import export_job_run
from merchants.outbox import outbox_send_pending
from merchants.services import staff_invitation_send


@shared_task
def staff_token_prune_expired_task() -> int:
    """Beat: delete staff API tokens that lapsed (unused for longer than their lifetime)."""
    return staff_token_prune_expired()


@shared_task(**EMAIL_TASK_OPTIONS)
def staff_invitation_send_task(invitation_id: int) -> bool:
    """Email one staff invitation's link; a second delivery sends nothing."""
    return staff_invitation_send(invitation_id=invitation_id)


@shared_task
def outbox_send_pending_task() -> dict[str, int]:
    """Beat: send the tasks the broker could not take after their commit (see outbox.py)."""
    return outbox_send_pending()


# A year of a busy shop takes minutes to write: longer than the default task limits allow.
@shared_task(acks_late=True, soft_time_limit=30 * 60, time_limit=31 * 60)
def export_job_run_task(job_id: int) -> str:
    """Write one export job's CSV file; a second delivery writes nothing."""
    return export_job_run(job_id=job_id)
