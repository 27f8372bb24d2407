"""Celery entry points of the customers app: thin, ids only."""

from smtplib import SMTPException

from celery import shared_task

from customers import services


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
    acks_late=True,
)
def login_challenge_send_task(challenge_id: int) -> bool:
    """Email the magic link or code of one challenge; a second delivery sends nothing."""
    return services.login_challenge_send(challenge_id=challenge_id)


@shared_task
def login_challenge_prune_task() -> int:
    """Beat: delete login challenges that expired more than a day ago."""
    return services.login_challenge_prune()
