"""The kernel's periodic tasks, installed once into django-celery-beat
(`settings.BEAT_SCHEDULE_DEFAULTS`, see merchants/signals.py). Plain data: settings read it
before Django starts."""

BEAT_SCHEDULE = {
    # Staff API tokens unused for STAFF_TOKEN_TTL_HOURS no longer authenticate; this deletes them.
    "merchants: prune expired staff tokens": {
        "task": "merchants.tasks.staff_token_prune_expired_task",
        "crontab": ("25", "3"),
    },
}
