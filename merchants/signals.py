"""Install the default beat schedules once, so the operator can edit them in the admin; delete
an export job's file with the job.

Each app lists its periodic tasks in its `schedule.py`, which settings gather into
`settings.BEAT_SCHEDULE_DEFAULTS`; an entry is created when missing and never overwritten, so an
operator's change survives deploys.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver

from merchants import auth_cache
from merchants.models import Membership, Merchant, StaffToken


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


# --- what a remembered staff token vouches for (merchants/auth_cache.py) -------------------


@receiver(post_save, sender=StaffToken, dispatch_uid="staffauth_token_saved")
@receiver(post_delete, sender=StaffToken, dispatch_uid="staffauth_token_deleted")
def forget_token(sender, instance, created=False, **kwargs) -> None:
    if not created:
        auth_cache.revoke([instance.key_hash])


@receiver(post_save, sender=get_user_model(), dispatch_uid="staffauth_user_saved")
@receiver(post_delete, sender=get_user_model(), dispatch_uid="staffauth_user_deleted")
def forget_user(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login: nothing a token vouches for
    auth_cache.revoke_users([instance.pk])


@receiver(post_save, sender=Membership, dispatch_uid="staffauth_membership_saved")
@receiver(post_delete, sender=Membership, dispatch_uid="staffauth_membership_deleted")
def forget_member(sender, instance, **kwargs) -> None:
    auth_cache.revoke_users([instance.user_id])


@receiver(post_save, sender=Merchant, dispatch_uid="staffauth_merchant_saved")
def forget_members(sender, instance, created=False, **kwargs) -> None:
    if not created:
        auth_cache.revoke_users(Membership.objects.filter(merchant=instance).values("user_id"))
