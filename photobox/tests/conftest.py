import pytest
from django.urls import reverse
from rest_framework.test import APIClient

# Shared with the payments tests: `gw` (gateway HTTP stubs, nothing reaches the network) and
# `pay_merchant` (the shared merchant with Midtrans sandbox keys and a Xendit key).
from payments.tests.conftest import gw, pay_merchant  # noqa: F401
from photobox.tests.factories import KioskLocationFactory, KioskPriceFactory, PhotoSessionFactory


@pytest.fixture
def shop(pay_merchant):  # noqa: F811
    return pay_merchant


@pytest.fixture
def location(shop):
    return KioskLocationFactory(merchant=shop, machine_code="PB-001", name="Mall")


@pytest.fixture
def price(shop):
    return KioskPriceFactory(merchant=shop, description="Four shots", quota=5)


def kiosk_client_for(location, key: str | None = None) -> APIClient:
    """An API client sending `key`, by default the factory key of `location`."""
    client = APIClient()
    client.credentials(HTTP_X_KIOSK_KEY=key or f"key-{location.machine_code}")
    return client


def key_opens(key: str, location) -> bool:
    """Does `key` let a kiosk poll a session of `location`?"""
    session = PhotoSessionFactory(merchant=location.merchant, location=location)
    url = reverse("api:photobox-kiosk-status", args=[session.external_id])
    return kiosk_client_for(location, key).get(url).status_code == 200


@pytest.fixture
def kiosk(location):
    """An API client sending the kiosk key of `location`."""
    return kiosk_client_for(location)
