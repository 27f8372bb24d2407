"""Celery entry points of the merchants app: thin, ids only."""

from celery import shared_task

from merchants.api.authentication import staff_token_prune_expired
from merchants.emails import EMAIL_TASK_OPTIONS
from merchants.services import staff_invitation_send


@shared_task
def staff_token_prune_expired_task() -> int:
    """Beat: delete staff API tokens that lapsed (unused for longer than their lifetime)."""
    return staff_token_prune_expired()


@shared_task(**EMAIL_TASK_OPTIONS)
def staff_invitation_send_task(invitation_id: int) -> bool:
    """Email one staff invitation's link; a second delivery sends nothing."""
    return staff_invitation_send(invitation_id=invitation_id)
