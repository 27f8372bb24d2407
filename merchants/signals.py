"""Install the default beat schedules once, so the operator can edit them in the admin; delete
an export job's file with the job.

Each app lists its periodic tasks in its `schedule.py`, which settings gather into
`settings.BEAT_SCHEDULE_DEFAULTS`; an entry is created when missing and never overwritten, so an
operator's change survives deploys.
"""

from django.conf import settings
from django.db.models.signals import post_delete, post_migrate
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


@receiver(post_delete, sender="merchants.ExportJob")
def export_job_file_delete(sender, instance, **kwargs) -> None:
    """An export job deleted (in the admin, or with its merchant or user) takes its file along,
    once the deletion is committed."""
    if not instance.file_name:
        return
    from django.core.files.storage import storages
    from django.db import transaction

    name = instance.file_name
    transaction.on_commit(lambda: storages["exports"].delete(name))
