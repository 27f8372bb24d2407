"""Photobox's periodic tasks, installed once into django-celery-beat
(`settings.BEAT_SCHEDULE_DEFAULTS`, see merchants/signals.py). Plain data: settings read it
before Django starts."""

BEAT_SCHEDULE = {
    "photobox: expire unpaid sessions": {
        "task": "photobox.tasks.photo_session_expire_due_task",
        "every_seconds": 60,
    },
    "photobox: delete expired photos": {
        "task": "photobox.tasks.photo_session_clean_expired_task",
        "crontab": ("40", "3"),
    },
}
