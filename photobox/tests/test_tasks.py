from importlib import import_module

import pytest
from django.conf import settings

from photobox.auth import KioskIdentity
from photobox.services import photo_session_create
from photobox.tests.factories import KioskLocationFactory, KioskPriceFactory


@pytest.mark.parametrize(
    ("name", "task", "schedule"),
    [
        (
            "photobox: expire unpaid sessions",
            "photobox.tasks.photo_session_expire_due_task",
            {"every_seconds": 60},
        ),
        (
            "photobox: delete expired photos",
            "photobox.tasks.photo_session_clean_expired_task",
            {"crontab": ("40", "3")},
        ),
    ],
)
def test_beat_schedules_point_at_real_tasks(name, task, schedule):
    entry = settings.BEAT_SCHEDULE_DEFAULTS[name]
    assert entry == {"task": task, **schedule}
    module, attribute = task.rsplit(".", 1)
    assert getattr(import_module(module), attribute).name == task


@pytest.mark.django_db
def test_a_kiosk_switched_off_mid_request_sells_nothing(merchant):
    from merchants.errors import PermissionDenied

    location = KioskLocationFactory(merchant=merchant, is_active=False)
    price = KioskPriceFactory(merchant=merchant)
    identity = KioskIdentity(location.pk, merchant.pk, location.machine_code)  # a stale cache
    with pytest.raises(PermissionDenied):
        photo_session_create(kiosk=identity, price_id=price.pk, email="a@example.com")
    price.refresh_from_db()
    assert price.quota_used == 0
