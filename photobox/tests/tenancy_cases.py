from decimal import Decimal

from django.urls import reverse

from merchants.models import Membership
from merchants.tests.tenancy import AdminRowsCase, EndpointCase, ReportCase
from photobox.models import PhotoSession
from photobox.tests.factories import (
    CompletedSessionFactory,
    KioskLocationFactory,
    KioskPriceFactory,
    PhotoFactory,
    PhotoSessionFactory,
)

CASES = [
    EndpointCase(
        basename="photobox-location",
        factory=KioskLocationFactory,
        create_payload=lambda merchant: {"machine_code": "PB-NEW", "name": "Lobby"},
        detail_actions=(("post", "rotate-key"),),
    ),
    EndpointCase(
        basename="photobox-price",
        factory=KioskPriceFactory,
        create_payload=lambda merchant: {
            "amount": "40000",
            "description": "Four shots",
            "quota": 10,
            "location": KioskLocationFactory(merchant=merchant).pk,
        },
        related_fields={"location": KioskLocationFactory},
    ),
    EndpointCase(
        basename="photobox-transaction",
        factory=PhotoSessionFactory,
        create_payload=None,  # kiosks sell sessions (X-Kiosk-Key), staff cannot
        deletable=False,
        updatable=False,
        detail_actions=(("post", "resend-email"),),
    ),
]


def _kiosk_sold_today(merchant) -> str:
    """A kiosk named after the merchant, with a session paid today: its name is the marker."""
    location = KioskLocationFactory(merchant=merchant, name=f"Kiosk of {merchant.slug}")
    CompletedSessionFactory(merchant=merchant, location=location)
    return f"Kiosk of {merchant.slug}"


def _session_paid_today(merchant) -> str:
    """A session paid today at a price made of the merchant's id: its amount is the marker."""
    amount = Decimal(140000 + merchant.pk)
    price = KioskPriceFactory(merchant=merchant, amount=amount)
    CompletedSessionFactory(merchant=merchant, price=price)
    return f"{amount:.2f}"


def _panel(name):
    return lambda: reverse("api:report-panel", kwargs={"name": name})


REPORT_CASES = [
    ReportCase("panel-photobox-sessions", _panel("photobox-sessions"), _kiosk_sold_today),
    ReportCase(
        "panel-photobox-takings",
        _panel("photobox-takings"),
        _session_paid_today,
        read_role=Membership.Role.OWNER,
    ),
    ReportCase(
        "panel-photobox-takings-per-day",
        _panel("photobox-takings-per-day"),
        _session_paid_today,
        read_role=Membership.Role.OWNER,
    ),
]

ADMIN_ROWS_CASES = [
    AdminRowsCase(PhotoSession, PhotoSessionFactory),
    AdminRowsCase(PhotoSession, CompletedSessionFactory, PhotoFactory, parent="session"),
]
