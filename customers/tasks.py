"""Celery entry points of the customers app: thin, ids only."""

from celery import shared_task

from customers import services
from merchants.emails import EMAIL_TASK_OPTIONS


@shared_task(**EMAIL_TASK_OPTIONS)
def login_challenge_send_task(challenge_id: int) -> bool:
    """Email the magic link or code of one challenge; a second delivery sends nothing."""
    return services.login_challenge_send(challenge_id=challenge_id)


@shared_task
def login_challenge_prune_task() -> int:
    """Beat: delete login challenges that expired more than a day ago."""
    return services.login_challenge_prune()
