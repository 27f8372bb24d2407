"""Payments' periodic tasks, installed once into django-celery-beat
(`settings.BEAT_SCHEDULE_DEFAULTS`, see merchants/signals.py). Plain data: settings read it
before Django starts, and set the reconciliation's interval from PAYMENT_RECONCILE_EVERY_SECONDS."""

RECONCILE = "payments: reconcile pending payments"

BEAT_SCHEDULE = {
    RECONCILE: {
        "task": "payments.tasks.payment_reconcile_pending_task",
        "every_seconds": 180,
    },
}
