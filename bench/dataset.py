"""A year of a busy shop and a photobox chain in PostgreSQL, loaded with COPY in under a minute.

The hot merchant ("Bench Kopi") has 1,000 products in 20 categories (a quarter with stock
tracked, 50 on a running promotion, most with a thumbnail), 20,000 customers, 24 tables and
100,000 orders over the past 365 days with 1 to 5 lines each and their events; a second merchant
with a tenth of that makes every query filter by tenant for real. Historical orders are numbered,
priced and stamped like real ones (the same INV-YYYYMMDD-NNNN sequence rows), so orders created
during a run continue the day's numbering.

The photobox merchant ("Bench Foto") has four kiosk locations (their keys installed through
`photobox.services`, so only the hash is stored) and four packages, one limited by a quota, one
offered at one kiosk only. It sold 100,000 sessions over the same year, open 10:00 to 22:00, the
busiest kiosk taking 40 % of them: 85 % paid, with their photos uploaded, emailed and, after the
retention, cleaned up (photo rows are kept only for galleries still online); 11 % expired unpaid
(a few of them paid late, flagged for a refund); 4 % failed. Right now each kiosk has a customer
at its QR code and one who walked away a few minutes ago: PENDING sessions still valid for the
poll. Their payments are not loaded: no photobox read of the bench needs them.

Rows are written with COPY; columns not given take their model defaults, so a field added later
with a default loads without a change here.
"""

import base64
import hashlib
import json
import random
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from functools import cache

from django.core.management.color import no_style
from django.db import connection, models
from django.utils import timezone

ORDERS = 100_000
PRODUCTS = 1_000
CUSTOMERS = 20_000
TABLES = 24
DAYS = 365
SMALL_SHARE = 10  # the second merchant has 1/10 of everything
TRACKED_STOCK = 1_000_000  # tracked products never run out during a run
SEED = 20_240_601
PHOTO_SESSIONS = 100_000
# (machine code, name, share of the sessions)
KIOSKS = [
    ("PB-BENCH-01", "Bench Foto · Mall Kota", 40),
    ("PB-BENCH-02", "Bench Foto · Stasiun", 30),
    ("PB-BENCH-03", "Bench Foto · Kampus", 20),
    ("PB-BENCH-04", "Bench Foto · Bandara", 10),
]
# (description, amount, quota, only at the first kiosk, photos taken, share of the sales)
PACKAGES = [
    ("4 shots, 1 print", 35_000, None, False, 4, 55),
    ("8 shots, 2 prints", 50_000, None, False, 8, 30),
    ("Limited frame · 4 shots", 45_000, 15_000, False, 4, 10),
    ("Couple pack · 6 shots, 2 prints", 60_000, None, True, 6, 5),
]
OPEN_HOURS = (10, 22)
QRIS_MINUTES = 15
RETENTION_DAYS = 14


@dataclass(frozen=True)
class Shop:
    merchant_id: int
    slug: str
    tracked_ids: list[int]
    untracked_ids: list[int]


@dataclass(frozen=True)
class Kiosk:
    location_id: int
    machine_code: str
    key: str


def kiosk_key(machine_code: str) -> str:
    """The bench kiosk's key: shaped like an issued one (`pbk_` + 43 characters), derived from
    its code so that a reused bench database still has a key the bench knows."""
    digest = hashlib.sha256(f"bench-kiosk-{SEED}-{machine_code}".encode()).digest()
    return "pbk_" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _defaults(model: type[models.Model]) -> dict[str, object]:
    values = {}
    for field in model._meta.concrete_fields:
        # The model default, "" for text without one, else None (NULL).
        value = field.get_default()
        values[field.attname] = json.dumps(value) if isinstance(value, dict | list) else value
    return values


def copy_rows(model: type[models.Model], rows: Iterable[dict]) -> int:
    """COPY dicts keyed by attname into the model's table; returns the number of rows."""
    fields = model._meta.concrete_fields
    defaults = _defaults(model)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    count = 0
    with connection.cursor() as cursor:
        sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(
                    [row[f.attname] if f.attname in row else defaults[f.attname] for f in fields]
                )
                count += 1
    return count


def reset_sequences(*models_: type[models.Model]) -> None:
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models_):
            cursor.execute(statement)


def load(*, stdout, orders: int = ORDERS, sessions: int = PHOTO_SESSIONS) -> list[Shop]:
    """Create the staff, the merchants and their year of trade; returns the shops."""
    from catalog.models import Product, ProductCategory, ProductImage, Promotion, StockMovement
    from merchants.models import Merchant

    rng = random.Random(SEED)
    now = timezone.now()
    shops = []
    for index, (slug, name, share) in enumerate(
        [("bench-kopi", "Bench Kopi", 1), ("bench-mini", "Bench Mini", SMALL_SHARE)]
    ):
        merchant = Merchant.objects.create(slug=slug, name=name)
        _staff(merchant, index)
        categories = ProductCategory.objects.bulk_create(
            ProductCategory(merchant=merchant, name=f"Category {c:02d}", sort_order=c)
            for c in range(20 // share or 2)
        )
        products = Product.objects.bulk_create(
            Product(
                merchant=merchant,
                category=categories[p % len(categories)],
                name=f"Product {p:04d}",
                description="House blend, freshly made. " * 3,
                sku=f"{slug[:5].upper()}-{p:04d}",
                barcode=f"899{index}{p:08d}",
                base_price=Decimal(rng.randrange(8, 120) * 1000),
                tax_percent=Decimal(10),
                service_charge_percent=Decimal(5) if p % 2 else Decimal(0),
                track_stock=p % 4 == 0,
                stock=TRACKED_STOCK if p % 4 == 0 else 0,
                sort_order=p,
            )
            for p in range(PRODUCTS // share)
        )
        # The stock ledger opens with each tracked product's stock (stock_audit stays clean).
        StockMovement.objects.bulk_create(
            StockMovement(
                merchant=merchant,
                product=product,
                delta=product.stock,
                kind=StockMovement.Kind.COUNT,
                reason="Bench opening stock",
                actor_label="system",
            )
            for product in products
            if product.stock
        )
        ProductImage.objects.bulk_create(
            ProductImage(
                product=product,
                kind=ProductImage.Kind.THUMBNAIL,
                file=f"merchants/{merchant.pk}/products/{product.pk}/thumbnail-bench.jpg",
                width=600,
                height=600,
                size=48_000,
            )
            for product in products
            if product.pk % 5
        )
        promotion = Promotion.objects.create(
            merchant=merchant,
            name="Bench week",
            discount_type=Promotion.DiscountType.PERCENT,
            value=Decimal(10),
            starts_at=now - timedelta(days=3),
            ends_at=now + timedelta(days=30),
        )
        promotion.products.set(products[:: max(1, len(products) // 50)])
        shop = Shop(
            merchant_id=merchant.pk,
            slug=slug,
            tracked_ids=[p.pk for p in products if p.track_stock],
            untracked_ids=[p.pk for p in products if not p.track_stock],
        )
        _history(merchant, products, rng, now, orders // share, CUSTOMERS // share, stdout)
        shops.append(shop)
    _photobox(rng, now, sessions, stdout)
    with connection.cursor() as cursor:
        # A year-old database has been vacuumed many times over: its visibility map lets
        # PostgreSQL answer counts and date bounds from an index alone. Freshly COPYed rows have
        # none until autovacuum passes (and some servers run without it), so vacuum here.
        cursor.execute("VACUUM ANALYZE")
    return shops


def _staff(merchant, index: int) -> None:
    from django.contrib.auth import get_user_model

    from merchants.models import Membership
    from merchants.services import membership_grant

    User = get_user_model()
    for username, role in (("owner", Membership.Role.OWNER), ("cashier", Membership.Role.OFFICER)):
        # No password: the bench signs in with a token and a session it makes itself.
        user = User.objects.create_user(username=f"bench-{username}-{index}", is_staff=True)
        membership_grant(user=user, merchant=merchant, role=role)


def _history(merchant, products, rng, now, order_count, customer_count, stdout) -> None:
    from catalog.pricing import PriceQuote
    from customers.models import Customer
    from merchants.models import TableLocation
    from orders.models import Order, OrderEvent, OrderItem, OrderNumberSequence
    from orders.pricing import price_line, round_for_cash

    started = datetime.now(UTC)

    @cache
    def priced(product, quantity: int):
        # By the counter's own rules, at list price; a year holds a few thousand distinct lines.
        quote = PriceQuote(base=product.base_price, final=product.base_price)
        return price_line(
            product=product, quantity=quantity, quote=quote, currency=merchant.currency
        )

    tables = TableLocation.objects.bulk_create(
        TableLocation(merchant=merchant, number=f"T{t:02d}", capacity=4) for t in range(TABLES)
    )
    first_customer = _next_id(Customer)
    copy_rows(
        Customer,
        (
            {
                "id": first_customer + c,
                "merchant_id": merchant.pk,
                "email": f"customer{c:05d}@{merchant.slug}.example.com",
                "name": f"Customer {c:05d}",
                "phone": f"0812{c:08d}",
                "created_at": now - timedelta(days=DAYS, minutes=c),
                "updated_at": now,
            }
            for c in range(customer_count)
        ),
    )
    tz = merchant.tzinfo
    today = timezone.localtime(now, tz).date()
    ids = {model: _next_id(model) for model in (Order, OrderItem, OrderEvent)}
    batch: dict = {Order: [], OrderItem: [], OrderEvent: []}
    totals = dict.fromkeys(batch, 0)

    def flush():
        for model, rows in batch.items():
            totals[model] += copy_rows(model, rows)
            rows.clear()

    sequences = []
    for d in range(DAYS):
        day = today - timedelta(days=DAYS - d)
        count = order_count * (d + 1) // DAYS - order_count * d // DAYS
        if not count:
            continue
        sequences.append({"merchant_id": merchant.pk, "day": day, "last_number": count})
        opening = datetime.combine(day, time(7, 0), tz)
        for n in range(1, count + 1):
            placed = opening + timedelta(seconds=n * 50_400 // (count + 1))  # 07:00 to 21:00
            order_id = ids[Order]
            ids[Order] += 1
            status, paid = _fate(rng)
            lines = [
                priced(product, rng.randint(1, 3))
                for product in rng.sample(products, rng.randint(1, 5))
            ]
            for line in lines:
                product = line.product
                batch[OrderItem].append(
                    {
                        "id": ids[OrderItem],
                        "order_id": order_id,
                        "product_id": product.pk,
                        "product_name": product.name,
                        "product_type": product.product_type,
                        "base_price": product.base_price,
                        "final_price": line.quote.final,
                        "tax_percent": product.tax_percent,
                        "service_charge_percent": product.service_charge_percent,
                        "quantity": line.quantity,
                        "reserved_quantity": 0,  # history: its stock was counted long ago
                        "line_subtotal_amount": line.line_subtotal,
                        "discount_amount": line.discount,
                        "tax_amount": line.tax,
                        "service_charge_amount": line.service_charge,
                    }
                )
                ids[OrderItem] += 1
            subtotal = sum(line.line_subtotal for line in lines)
            tax = sum(line.tax for line in lines)
            service = sum(line.service_charge for line in lines)
            total = subtotal + tax + service
            dine_in = rng.random() < 0.4
            done = status == "completed"
            batch[Order].append(
                {
                    "id": order_id,
                    "merchant_id": merchant.pk,
                    "number": Order.number_for(day, n),
                    "business_date": day,
                    "customer_id": first_customer + rng.randrange(customer_count)
                    if rng.random() < 0.6
                    else None,
                    "table_id": rng.choice(tables).pk if dine_in else None,
                    "order_type": "dine_in" if dine_in else "takeaway",
                    "status": status,
                    "payment_status": "paid" if paid else "unpaid",
                    "subtotal_amount": subtotal,
                    "tax_amount": tax,
                    "service_charge_amount": service,
                    "total_amount": total,
                    "rounded_amount": round_for_cash(total, currency=merchant.currency),
                    "created_at": placed,
                    "updated_at": placed + timedelta(minutes=20),
                    "paid_at": placed + timedelta(minutes=1) if paid else None,
                    "confirmed_at": placed + timedelta(minutes=2) if done else None,
                    "completed_at": placed + timedelta(minutes=20) if done else None,
                    "cancelled_at": placed + timedelta(minutes=30)
                    if status == "cancelled"
                    else None,
                }
            )
            for kind, old, new, minutes in _events(status):
                batch[OrderEvent].append(
                    {
                        "id": ids[OrderEvent],
                        "order_id": order_id,
                        "kind": kind,
                        "from_status": old,
                        "to_status": new,
                        "actor_label": "bench-cashier-0",
                        "payload": "{}",
                        "created_at": placed + timedelta(minutes=minutes),
                    }
                )
                ids[OrderEvent] += 1
        if len(batch[Order]) >= 10_000:
            flush()
    flush()
    OrderNumberSequence.objects.bulk_create(OrderNumberSequence(**row) for row in sequences)
    reset_sequences(Customer, Order, OrderItem, OrderEvent)
    seconds = (datetime.now(UTC) - started).total_seconds()
    stdout.write(
        f"  {merchant.slug}: {len(products)} products, {customer_count} customers, "
        f"{totals[Order]} orders, {totals[OrderItem]} lines, {totals[OrderEvent]} events "
        f"in {seconds:.1f} s\n"
    )


def _fate(rng) -> tuple[str, bool]:
    roll = rng.random()
    if roll < 0.90:
        return "completed", True
    if roll < 0.95:
        return "cancelled", False
    if roll < 0.98:
        return "confirmed", True
    return "pending", False


def _events(status: str) -> Iterator[tuple[str, str, str, int]]:
    yield ("created", "", "pending", 0)
    if status in {"completed", "confirmed"}:
        yield ("status", "pending", "confirmed", 2)
    if status == "completed":
        yield ("status", "confirmed", "completed", 20)
    if status == "cancelled":
        yield ("status", "pending", "cancelled", 30)


def _photobox(rng, now, session_count: int, stdout) -> None:
    """The photobox merchant, its kiosks and packages, and a year of its sessions."""
    from merchants.models import Merchant
    from photobox import services
    from photobox.models import KioskPrice, Photo, PhotoSession

    started = datetime.now(UTC)
    merchant = Merchant.objects.create(
        slug="bench-foto", name="Bench Foto", business_type=Merchant.BusinessType.PHOTOBOX
    )
    _staff(merchant, 2)
    locations = []
    for code, name, _ in KIOSKS:
        location, _issued = services.kiosk_location_create(
            merchant=merchant, machine_code=code, name=name, address=f"{name}, Bandung"
        )
        services.kiosk_location_set_key(location=location, key=kiosk_key(code))
        locations.append(location)
    prices = [
        KioskPrice.objects.create(
            merchant=merchant,
            location=locations[0] if first_only else None,
            amount=Decimal(amount),
            description=description,
            quota=quota,
            sort_order=10 * (p + 1),
        )
        for p, (description, amount, quota, first_only, _, _) in enumerate(PACKAGES)
    ]
    packages = list(zip(prices, PACKAGES, strict=True))
    photos_per_price = {price.pk: package[4] for price, package in packages}
    offered = {
        location.pk: [
            (price, package[5])
            for price, package in packages
            if price.location_id in (None, location.pk)
        ]
        for location in locations
    }
    tz = merchant.tzinfo
    today = timezone.localtime(now, tz).date()
    ids = {model: _next_id(model) for model in (PhotoSession, Photo)}
    batch: dict = {PhotoSession: [], Photo: []}
    totals = dict.fromkeys(batch, 0)
    reserved: Counter = Counter()  # quota units held: paid and pending sessions

    def add(location, created, status):
        price = _weighted(rng, offered[location.pk])
        local = timezone.localtime(created, tz)
        external_id = f"TRX-{location.pk}-{local:%Y%m%d%H%M%S}-{rng.getrandbits(32):08x}"
        row = _session_row(rng, now, merchant, location, price, external_id, created, status)
        row["id"] = ids[PhotoSession]
        row["business_date"] = local.date()
        ids[PhotoSession] += 1
        batch[PhotoSession].append(row)
        if status in (PhotoSession.Status.COMPLETED, PhotoSession.Status.PENDING):
            reserved[price.pk] += 1
        if row.get("email_sent_at") and not row.get("photos_cleaned_at"):
            for order in range(1, photos_per_price[price.pk] + 1):
                batch[Photo].append(_photo_row(rng, ids[Photo], row, order))
                ids[Photo] += 1

    def flush():
        for model, rows in batch.items():
            totals[model] += copy_rows(model, rows)
            rows.clear()

    weights = [share for _, _, share in KIOSKS]
    opening, closing = OPEN_HOURS
    open_seconds = (closing - opening) * 3600
    for d in range(DAYS):
        day = today - timedelta(days=DAYS - d)
        count = session_count * (d + 1) // DAYS - session_count * d // DAYS
        start = datetime.combine(day, time(opening, 0), tz)
        # In time order, so ids grow with the time of sale as they do in the product.
        for offset in sorted(rng.randrange(open_seconds) for _ in range(count)):
            location = rng.choices(locations, weights)[0]
            add(location, start + timedelta(seconds=offset), _session_fate(rng))
        if len(batch[PhotoSession]) >= 10_000:
            flush()
    for location in locations:
        # A customer at the QR code now, and one who walked away a few minutes ago.
        for minutes in (rng.uniform(5, 8), rng.uniform(0.2, 1)):
            add(location, now - timedelta(minutes=minutes), PhotoSession.Status.PENDING)
    flush()
    for price in prices:
        if price.quota is not None and reserved[price.pk] > price.quota:
            raise SystemExit(f"The bench sold more of {price} than its quota: fix PACKAGES.")
        KioskPrice.objects.filter(pk=price.pk).update(quota_used=reserved[price.pk])
    reset_sequences(PhotoSession, Photo)
    seconds = (datetime.now(UTC) - started).total_seconds()
    stdout.write(
        f"  {merchant.slug}: {len(locations)} kiosks, {len(prices)} packages, "
        f"{totals[PhotoSession]} photo sessions, {totals[Photo]} photos online in {seconds:.1f} s\n"
    )


def _weighted(rng, choices: list[tuple[object, int]]):
    return rng.choices([item for item, _ in choices], [weight for _, weight in choices])[0]


def _session_fate(rng) -> str:
    from photobox.models import PhotoSession

    roll = rng.random()
    if roll < 0.85:
        return PhotoSession.Status.COMPLETED
    if roll < 0.96:
        return PhotoSession.Status.EXPIRED
    return PhotoSession.Status.FAILED


def _session_row(rng, now, merchant, location, price, external_id, created, status) -> dict:
    """One sale as the services leave it at `status`, with its dates."""
    from photobox.models import PhotoSession

    Status = PhotoSession.Status
    expires_at = created + timedelta(minutes=QRIS_MINUTES)
    reference = f"photo_se-{external_id}"[:38]
    row = {
        "merchant_id": merchant.pk,
        "location_id": location.pk,
        "price_id": price.pk,
        "external_id": external_id,
        "amount": price.amount,
        "currency": merchant.currency,
        "email": f"guest{rng.randrange(60_000):05d}@example.com",
        "send_invoice": rng.random() < 0.3,
        "status": status,
        "gateway": "midtrans",
        "gateway_order_id": f"{reference}-{rng.getrandbits(40):010X}",
        "gateway_transaction_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "qr_string": "00020101021226620014COM.GO-JEK.WWW0118936009140000000001"
        f"0210{rng.getrandbits(40):010d}0303UMI51440014ID.CO.QRIS.WWW0215ID10200000000010303UMI"
        f"5204581253033605405{int(price.amount)}5802ID5910BENCH FOTO6007BANDUNG6304ABCD",
        "expires_at": expires_at,
        # Payment, photo and email dates: the model's defaults (none) unless paid below.
        "gallery_token": base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode(),
        "created_at": created,
        "updated_at": created,
    }
    if status == Status.COMPLETED:
        paid = created + timedelta(seconds=rng.randint(30, 600))
        uploaded = paid + timedelta(seconds=rng.randint(150, 400))
        emailed = uploaded + timedelta(seconds=rng.randint(3, 30))
        photos_expire = emailed + timedelta(days=RETENTION_DAYS)
        row |= {
            "paid_at": paid,
            "photos_uploaded_at": uploaded,
            "email_sent_at": emailed,
            "email_send_count": 1,
            "photos_expire_at": photos_expire,
            "updated_at": emailed,
        }
        # The daily cleanup (03:40 local) deletes the photos the night after they expire.
        cleanup = datetime.combine(
            timezone.localtime(photos_expire, merchant.tzinfo).date() + timedelta(days=1),
            time(3, 40),
            merchant.tzinfo,
        )
        if cleanup <= now:
            row |= {"photos_cleaned_at": cleanup, "updated_at": cleanup}
    elif status == Status.EXPIRED:
        row["updated_at"] = expires_at + timedelta(seconds=rng.randint(1, 60))
        if rng.random() < 0.002:  # the money came after the kiosk gave up: a refund is due
            row |= {"payment_issue": "paid_late", "payment_issue_at": expires_at}
    elif status == Status.FAILED:
        row["updated_at"] = created + timedelta(seconds=rng.randint(20, 300))
    return row


def _photo_row(rng, photo_id: int, session: dict, order: int) -> dict:
    uploaded = session["photos_uploaded_at"]
    return {
        "id": photo_id,
        "session_id": session["id"],
        "file": f"photobox/{session['external_id']}/{order:02d}-{rng.getrandbits(24):06x}.jpg",
        "size": rng.randint(1_200_000, 3_200_000),
        "width": 1800,
        "height": 1200,
        "order": order,
        "created_at": uploaded,
        "updated_at": uploaded,
    }


def kiosks() -> list[Kiosk]:
    """The bench kiosks of a loaded database, busiest first (empty when none is loaded)."""
    from photobox.models import KioskLocation

    rows = KioskLocation.objects.filter(
        machine_code__in=[code for code, _, _ in KIOSKS]
    ).values_list("pk", "machine_code")
    order = {code: index for index, (code, _, _) in enumerate(KIOSKS)}
    return sorted(
        (Kiosk(pk, code, kiosk_key(code)) for pk, code in rows),
        key=lambda kiosk: order[kiosk.machine_code],
    )


def pending_sessions_renew(now=None) -> int:
    """Give the bench kiosks' PENDING sessions their QR code's time again, from now.

    A reused database was loaded a while ago; its waiting customers must be waiting now for the
    poll to read PENDING rather than EXPIRED (the same cost, but not the case the poll is for).
    """
    from photobox.models import PhotoSession

    now = now or timezone.now()
    return PhotoSession.objects.filter(
        location__machine_code__in=[code for code, _, _ in KIOSKS],
        status=PhotoSession.Status.PENDING,
    ).update(
        created_at=now - timedelta(minutes=1),
        expires_at=now + timedelta(minutes=QRIS_MINUTES - 1),
    )


def _next_id(model: type[models.Model]) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def shops() -> list[Shop]:
    """The shops of an already loaded bench database (empty when none is loaded)."""
    from catalog.models import Product
    from merchants.models import Merchant

    found = []
    for merchant in Merchant.objects.filter(slug__in=["bench-kopi", "bench-mini"]).order_by("pk"):
        products = list(
            Product.objects.filter(merchant=merchant)
            .order_by("pk")
            .values_list("pk", "track_stock")
        )
        found.append(
            Shop(
                merchant_id=merchant.pk,
                slug=merchant.slug,
                tracked_ids=[pk for pk, tracked in products if tracked],
                untracked_ids=[pk for pk, tracked in products if not tracked],
            )
        )
    return found
