"""seed_demo gives Foto Ceria a working kiosk, packages and sessions, and can run again."""

import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from photobox.models import KioskLocation, KioskPrice, Photo, PhotoSession

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_demo_kiosk_packages_sessions_and_gallery(client):
    first = seed()
    output = seed()  # idempotent

    location = KioskLocation.objects.get(machine_code="PB-001")
    assert location.merchant.slug == "foto-ceria"
    prices = {p.amount: p for p in KioskPrice.objects.filter(merchant=location.merchant)}
    assert set(prices) == {Decimal(40000), Decimal(60000)}
    assert prices[Decimal(40000)].quota == 100
    assert prices[Decimal(60000)].quota is None
    sessions = PhotoSession.objects.filter(location=location)
    assert sessions.count() == 4
    statuses = sorted(sessions.values_list("status", flat=True))
    assert statuses == ["COMPLETED", "COMPLETED", "EXPIRED", "PENDING"]
    assert prices[Decimal(40000)].quota_used == 3  # the expired one gave its unit back
    assert Photo.objects.filter(session__location=location).count() == 4

    [url] = re.findall(r"gallery: (\S+)", output)
    assert re.findall(r"gallery: (\S+)", first) == [url]
    page = client.get(url.replace("http://127.0.0.1:8000", ""))
    assert page.status_code == 200
    assert page.content.decode().count("<img ") == 4

    pending = sessions.get(status="PENDING")
    kiosk = APIClient()
    kiosk.credentials(HTTP_X_KIOSK_KEY="demo-kiosk-PB-001")
    poll = kiosk.get(f"/api/v1/photobox/transactions/external/{pending.external_id}")
    assert poll.status_code == 200
    assert poll.json()["status"] == "PENDING"
    assert pending.external_id in output
