"""Customers' periodic tasks, installed once into django-celery-beat
(`settings.BEAT_SCHEDULE_DEFAULTS`, see merchants/signals.py). Plain data: settings read it
before Django starts."""

BEAT_SCHEDULE = {
    "customers: prune old login challenges": {
        "task": "customers.tasks.login_challenge_prune_task",
        "crontab": ("17", "3"),
    },
}
