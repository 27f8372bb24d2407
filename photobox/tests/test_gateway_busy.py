"""A slow gateway holds the kiosk's sale, never its poll (payments/gateway_slots.py)."""

import time

import pytest
from django.urls import reverse

from payments.gateway_slots import gateway_slot
from payments.models import Payment
from photobox.tests.conftest import kiosk_client_for
from photobox.tests.factories import KioskLocationFactory, KioskPriceFactory, PhotoSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_slot(settings):
    settings.PAYMENT_GATEWAY_MAX_CONCURRENT_PER_MERCHANT = 1
    settings.PAYMENT_GATEWAY_ACQUIRE_TIMEOUT_SECONDS = 0.2
    settings.PAYMENT_GATEWAY_TIMEOUT_SECONDS = 8


def test_the_api_answers_503_with_retry_after_and_the_poll_keeps_answering(
    one_slot, gw, pay_merchant
):
    location = KioskLocationFactory(merchant=pay_merchant, machine_code="PB-9")
    price = KioskPriceFactory(merchant=pay_merchant, quota=3)
    session = PhotoSessionFactory(merchant=pay_merchant, location=location)
    kiosk = kiosk_client_for(location)
    with gateway_slot(pay_merchant.pk):  # a slow call of the same merchant in flight
        started = time.monotonic()
        sale = kiosk.post(
            "/api/v1/photobox/transactions",
            {"price_id": price.pk, "email": "ani@example.com"},
            format="json",
        )
        assert time.monotonic() - started < 1
        assert sale.status_code == 503
        assert sale["Retry-After"] == "4"
        assert sale.json()["error"]["code"] == "gateway_busy"
        poll = kiosk.get(reverse("api:photobox-kiosk-status", args=[session.external_id]))
        assert poll.status_code == 200
    assert not Payment.objects.exists()
    price.refresh_from_db()
    assert price.quota_used == 0  # nothing reserved by the refused sale
