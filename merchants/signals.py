"""Install the default beat schedules once, so the operator can edit them in the admin.

Each app lists its periodic tasks in its `schedule.py`, which settings gather into
`settings.BEAT_SCHEDULE_DEFAULTS`; an entry is created when missing and never overwritten, so an
operator's change survives deploys.
"""

from django.conf import settings
from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def install_default_beat_schedules(sender, **kwargs) -> None:
    if getattr(sender, "name", None) != "django_celery_beat":
        return
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    for name, entry in getattr(settings, "BEAT_SCHEDULE_DEFAULTS", {}).items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        schedule = {}
        if "every_seconds" in entry:
            schedule["interval"], _ = IntervalSchedule.objects.get_or_create(
                every=entry["every_seconds"], period=IntervalSchedule.SECONDS
            )
        else:
            minute, hour = entry["crontab"]
            schedule["crontab"], _ = CrontabSchedule.objects.get_or_create(
                minute=minute,
                hour=hour,
                day_of_week="*",
                day_of_month="*",
                month_of_year="*",
                timezone=settings.TIME_ZONE,
            )
        PeriodicTask.objects.create(name=name, task=entry["task"], **schedule)
