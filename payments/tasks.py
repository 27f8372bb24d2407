"""Celery entry points for payments (thin: they call services)."""

from celery import shared_task

from payments.services import payment_reconcile_pending


@shared_task
def payment_reconcile_pending_task() -> dict:
    """Beat: ask the gateways about payments still pending after a while."""
    summary = payment_reconcile_pending()
    return {"checked": summary.checked, "changed": summary.changed, "failed": summary.failed}
