"""Celery entry points of the merchants app: thin, ids only."""

from celery import shared_task

from merchants.api.authentication import staff_token_prune_expired


@shared_task
def staff_token_prune_expired_task() -> int:
    """Beat: delete staff API tokens that lapsed (unused for longer than their lifetime)."""
    return staff_token_prune_expired()
