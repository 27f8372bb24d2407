"""Catalog's periodic tasks, installed once into django-celery-beat
(`settings.BEAT_SCHEDULE_DEFAULTS`, see merchants/signals.py). Plain data: settings read it
before Django starts."""

BEAT_SCHEDULE = {
    # Owners get one email a day listing products at or below their low-stock threshold.
    "catalog: email low-stock alerts": {
        "task": "catalog.tasks.low_stock_alerts_queue_task",
        "crontab": ("0", "8"),
    },
}
