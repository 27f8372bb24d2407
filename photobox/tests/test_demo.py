"""seed_demo gives Foto Ceria working kiosks, packages and sessions, and can run again."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from photobox import reports
from photobox.demo import HISTORY
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
    sessions = PhotoSession.objects.filter(location=location, external_id__contains="-de0000")
    assert sessions.count() == 4
    statuses = sorted(sessions.values_list("status", flat=True))
    assert statuses == ["COMPLETED", "COMPLETED", "EXPIRED", "PENDING"]
    assert Photo.objects.filter(session__location=location).count() == 4
    # Two weeks of earlier sales at both kiosks, rewritten in place on every seed.
    assert PhotoSession.objects.filter(merchant=location.merchant).count() == 4 + len(HISTORY)
    held = PhotoSession.objects.filter(status__in=["COMPLETED", "PENDING"])
    for price in prices.values():  # expired and failed sessions gave their unit back
        assert price.quota_used == held.filter(price=price).count()

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


def test_demo_sales_fill_the_kiosk_charts():
    seed()
    foto = KioskLocation.objects.get(machine_code="PB-001").merchant
    today = timezone.localtime(timezone.now(), foto.tzinfo).date()
    data = reports.panel_sessions_per_location(merchant=foto, now=timezone.now())
    assert data.labels == ["Foto Ceria · Mall Kota", "Foto Ceria · Stasiun Hall"]
    by_outcome = {dataset.label: dataset.data for dataset in data.datasets}
    assert by_outcome["Completed"] == ["9", "4"]  # 7 earlier + 2 of the kiosk walk-through
    assert by_outcome["Payment failed"] == ["1", "1"]
    takings = reports.panel_takings_per_day(merchant=foto, now=timezone.now())
    per_day = dict(zip(takings.labels, takings.datasets[0].data, strict=True))
    assert per_day[(today - timedelta(days=5)).isoformat()] == "120000.00"  # a big one at each
    assert sum(Decimal(amount) for amount in per_day.values()) == Decimal(620000)
