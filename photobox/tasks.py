"""Celery entry points of photobox: thin, ids only."""

from celery import shared_task

from merchants.emails import EMAIL_TASK_OPTIONS
from photobox import photos, services


@shared_task(**EMAIL_TASK_OPTIONS)
def photo_session_send_email_task(session_id: int, send_number: int) -> bool:
    """Email the gallery link; a second delivery of the same send sends nothing."""
    return photos.photo_session_send_email(session_id=session_id, send_number=send_number)


@shared_task
def photo_session_expire_due_task() -> int:
    """Beat, every minute: PENDING sessions past their expiry become EXPIRED (quota back)."""
    return len(services.photo_session_expire_due())


@shared_task
def photo_session_clean_expired_task() -> dict:
    """Beat, daily: delete photos past their retention and mark their sessions cleaned."""
    report = photos.photo_sessions_clean_expired()
    return {
        "deleted": report.deleted,
        "failed": report.failed,
        "files_deleted": report.files_deleted,
    }
