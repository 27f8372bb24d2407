"""The kernel's periodic tasks, installed once into django-celery-beat
(`settings.BEAT_SCHEDULE_DEFAULTS`, see merchants/signals.py). Plain data: settings read it
before Django starts, and set the outbox sweep's interval from OUTBOX_SWEEP_EVERY_SECONDS."""

OUTBOX_SWEEP = "merchants: send tasks kept in the outbox"

BEAT_SCHEDULE = {
    # Tasks the broker could not take after their commit are sent once it answers again.
    OUTBOX_SWEEP: {
        "task": "merchants.tasks.outbox_send_pending_task",
        "every_seconds": 30,
    },
    # Staff API tokens unused for STAFF_TOKEN_TTL_HOURS no longer authenticate; this deletes them.
    "merchants: prune expired staff tokens": {
        "task": "merchants.tasks.staff_token_prune_expired_task",
        "crontab": ("25", "3"),
    },
}
