"""Orders' periodic tasks, installed once into django-celery-beat
(`settings.BEAT_SCHEDULE_DEFAULTS`, see merchants/signals.py). Plain data: settings read it
before Django starts."""

BEAT_SCHEDULE = {
    "orders: cancel unpaid orders": {
        "task": "orders.cancel_unpaid_orders",
        "every_seconds": 60,
    },
    "orders: prune idempotency keys": {
        "task": "orders.prune_idempotency_keys",
        "crontab": ("15", "3"),
    },
}
