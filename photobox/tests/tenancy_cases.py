from merchants.tests.tenancy import EndpointCase
from photobox.tests.factories import KioskLocationFactory, KioskPriceFactory, PhotoSessionFactory

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
