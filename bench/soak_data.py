"""A small shop made fresh for each soak run, so its books hold only what the run did.

One merchant `soak-<run>` with an owner and its API token, products (most untracked, two with
stock to reserve), customers (every paid order mails a receipt), a kiosk location with its key
and pending sessions to poll, and, when asked, Midtrans keys pointing at the gateway stand-in.
"""

import os
import secrets
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

# The gateway stand-in's server key (loopback only, never a real account).
SOAK_SERVER_KEY = "SB-Mid-server-soak-" + "k" * 16


@dataclass(frozen=True)
class SoakShop:
    merchant_id: int
    name: str  # the brand on its emails
    slug: str
    token: str
    product_ids: list[int]
    customer_ids: list[int]
    location_id: int
    kiosk_key: str
    poll_ids: list[str]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}


def database_ready(url: str, stdout) -> None:
    """Create the database when missing, then migrate it (nothing is dropped: every run makes
    a shop of its own, so earlier runs' rows do not count)."""
    import psycopg
    from django.core.management import call_command
    from django.db import connection

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
            stdout.write(f"  created database {name}\n")
    connection.close()
    call_command("migrate", verbosity=0, interactive=False)


def soak_database_url(default_name: str) -> str:
    """SOAK_DATABASE_URL, or the server of DATABASE_URL with the database `default_name`."""
    explicit = os.environ.get("SOAK_DATABASE_URL")
    if explicit:
        return explicit
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        base = "postgres://postgres@127.0.0.1:5432/pos"
    return urlunsplit(urlsplit(base)._replace(path=f"/{default_name}"))


def soak_environment(folder, *, database: str, redis_port: int) -> dict[str, str]:
    """The product's settings every process of a soak shares: production-like (DEBUG off),
    its own Redis, the file email backend in the run's folder."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "ALLOW_EMBEDDED_DEFAULTS": "true",
        "DATABASE_URL": database,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "SECRET_KEY": "soak-secret-key-" + "x" * 40,
        "CUSTOMER_JWT_SECRET": "soak-customer-jwt-secret-" + "y" * 32,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # django-environ drops the first slash of the path: four slashes make it absolute.
        "EMAIL_URL": f"filemail:///{folder / 'mail'}",
        "MEDIA_ROOT": str(folder / "media"),
        "LOG_LEVEL": "WARNING",
        "PYTHONWARNINGS": "ignore:No directory at",
    }


def verdict(items: list) -> str:
    """A check's cell in a soak's table: 0 ✅, or how many failed and the first few."""
    if not items:
        return "0 ✅"
    return f"**{len(items)}** ❌ {'; '.join(map(str, items[:3]))}"


def operations_section_write(start: str, end: str, section: str) -> None:
    """Put a soak's latest figures between its markers in docs/operations.md."""
    from pathlib import Path

    docs = Path(__file__).resolve().parent.parent / "docs" / "operations.md"
    text = docs.read_text() if docs.exists() else "# Operations\n"
    if start not in text:
        text = text.rstrip() + f"\n\n{start}\n{end}\n"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    docs.write_text(f"{head}{start}\n{section.strip()}\n{end}{tail}")


def soak_shop_create(*, run_id: str, gateway: bool = False, customers: int = 20) -> SoakShop:
    from django.contrib.auth import get_user_model

    from catalog.models import Product
    from customers.models import Customer
    from merchants.api.authentication import staff_token_create
    from merchants.models import Membership, Merchant
    from merchants.services import membership_grant
    from photobox.models import KioskPrice, PhotoSession
    from photobox.services import kiosk_location_create
    from photobox.tests.factories import PhotoSessionFactory

    merchant = Merchant.objects.create(
        name=f"Soak {run_id}",
        slug=f"soak-{run_id}",
        midtrans_server_key=SOAK_SERVER_KEY if gateway else "",
        midtrans_client_key="SB-Mid-client-soak" if gateway else "",
    )
    owner = get_user_model().objects.create_user(username=f"soak-{run_id}", password=None)
    membership_grant(user=owner, merchant=merchant, role=Membership.Role.OWNER)
    products = [
        Product.objects.create(
            merchant=merchant,
            name=f"Item {index}",
            base_price=Decimal(10000 + 1000 * index),
            tax_percent=Decimal(10),
            track_stock=index < 2,
            stock=1_000_000 if index < 2 else 0,
        )
        for index in range(10)
    ]
    buyers = [
        Customer.objects.create(merchant=merchant, email=f"buyer{index}.{run_id}@example.com")
        for index in range(customers)
    ]
    location, key = kiosk_location_create(
        merchant=merchant, machine_code=f"SOAK-{run_id}", name="Soak kiosk"
    )
    price = KioskPrice.objects.create(merchant=merchant, amount=Decimal(35000), description="4")
    sessions = [
        PhotoSessionFactory(
            merchant=merchant,
            location=location,
            price=price,
            external_id=f"TRX-{location.pk}-20260101100000-{secrets.token_hex(4)}",
            status=PhotoSession.Status.PENDING,
        )
        for _ in range(20)
    ]
    return SoakShop(
        merchant_id=merchant.pk,
        name=merchant.name,
        slug=merchant.slug,
        token=staff_token_create(user=owner),
        product_ids=[p.pk for p in products],
        customer_ids=[c.pk for c in buyers],
        location_id=location.pk,
        kiosk_key=key,
        poll_ids=[s.external_id for s in sessions],
    )


def beat_interval_set(task: str, seconds: int) -> None:
    """Run one periodic task every `seconds` (the soak shortens periods to see several)."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    interval, _ = IntervalSchedule.objects.get_or_create(
        every=seconds, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.filter(task=task).update(interval=interval, crontab=None, enabled=True)


def receipts_in(folder, *, brand: str) -> dict[str, int]:
    """Order number → receipts from `brand` (the soak's shop) in the file backend's folder.

    Only this shop's: a sweep may also send what an earlier run left in the outbox."""
    import email
    import re
    from collections import Counter
    from email.header import decode_header, make_header
    from pathlib import Path

    found: Counter = Counter()
    for path in Path(folder).glob("*.log"):
        for raw in path.read_text().split("-" * 79):
            if not raw.strip():
                continue
            message = email.message_from_string(raw.strip())
            subject = str(make_header(decode_header(message.get("Subject", ""))))
            # The subject is in the shop's language, English or Indonesian ("Your receipt INV-…
            # from Shop", "Struk INV-… Anda dari Shop").
            match = re.search(r"\b([A-Z]+-\d{8}-\d+)\b.* (?:from|dari) (.+)$", subject)
            if match and match.group(2).strip() == brand:
                found[match.group(1)] += 1
    return dict(found)
