"""A year of a busy shop in PostgreSQL, loaded with COPY in well under a minute.

The hot merchant ("Bench Kopi") has 1,000 products in 20 categories (a quarter with stock
tracked, 50 on a running promotion, most with a thumbnail), 20,000 customers, 24 tables and
100,000 orders over the past 365 days with 1 to 5 lines each and their events; a second merchant
with a tenth of that makes every query filter by tenant for real. Historical orders are numbered,
priced and stamped like real ones (the same INV-YYYYMMDD-NNNN sequence rows), so orders created
during a run continue the day's numbering.

Rows are written with COPY; columns not given take their model defaults, so a field added later
with a default loads without a change here.
"""

import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

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


@dataclass(frozen=True)
class Shop:
    merchant_id: int
    slug: str
    product_ids: list[int]
    tracked_ids: list[int]
    untracked_ids: list[int]


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


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def load(*, stdout, orders: int = ORDERS) -> list[Shop]:
    """Create the staff, both merchants and their year of trade; returns the shops."""
    from catalog.models import Product, ProductCategory, ProductImage, Promotion
    from merchants.models import Membership, Merchant

    rng = random.Random(SEED)
    now = timezone.now()
    shops = []
    for index, (slug, name, share) in enumerate(
        [("bench-kopi", "Bench Kopi", 1), ("bench-mini", "Bench Mini", SMALL_SHARE)]
    ):
        merchant = Merchant.objects.create(slug=slug, name=name)
        _staff(merchant, index, Membership)
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
            product_ids=[p.pk for p in products],
            tracked_ids=[p.pk for p in products if p.track_stock],
            untracked_ids=[p.pk for p in products if not p.track_stock],
        )
        _history(merchant, products, rng, now, orders // share, CUSTOMERS // share, stdout)
        shops.append(shop)
    with connection.cursor() as cursor:
        # A year-old database has been vacuumed many times over: its visibility map lets
        # PostgreSQL answer counts and date bounds from an index alone. Freshly COPYed rows have
        # none until autovacuum passes (and some servers run without it), so vacuum here.
        cursor.execute("VACUUM ANALYZE")
    return shops


def _staff(merchant, index: int, Membership) -> None:
    from django.contrib.auth import get_user_model

    from merchants.services import membership_grant

    User = get_user_model()
    for username, role in (("owner", Membership.Role.OWNER), ("cashier", Membership.Role.OFFICER)):
        # No password: the bench signs in with a token and a session it makes itself.
        user = User.objects.create_user(username=f"bench-{username}-{index}", is_staff=True)
        membership_grant(user=user, merchant=merchant, role=role)


def _history(merchant, products, rng, now, order_count, customer_count, stdout) -> None:
    from customers.models import Customer
    from merchants.models import TableLocation
    from orders.models import Order, OrderEvent, OrderItem, OrderNumberSequence

    started = datetime.now(UTC)
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
            sums = dict.fromkeys(("subtotal", "tax", "service"), Decimal(0))
            for product in rng.sample(products, rng.randint(1, 5)):
                line = _line(product, rng.randint(1, 3))
                for key in sums:
                    sums[key] += line[key]
                batch[OrderItem].append(
                    {
                        "id": ids[OrderItem],
                        "order_id": order_id,
                        "product_id": product.pk,
                        "product_name": product.name,
                        "product_type": product.product_type,
                        "base_price": product.base_price,
                        "final_price": product.base_price,
                        "tax_percent": product.tax_percent,
                        "service_charge_percent": product.service_charge_percent,
                        "quantity": line["qty"],
                        "reserved_quantity": 0,  # history: its stock was counted long ago
                        "line_subtotal_amount": line["subtotal"],
                        "tax_amount": line["tax"],
                        "service_charge_amount": line["service"],
                    }
                )
                ids[OrderItem] += 1
            total = sums["subtotal"] + sums["tax"] + sums["service"]
            dine_in = rng.random() < 0.4
            done = status == "completed"
            batch[Order].append(
                {
                    "id": order_id,
                    "merchant_id": merchant.pk,
                    "number": f"INV-{day:%Y%m%d}-{n:04d}",
                    "business_date": day,
                    "customer_id": first_customer + rng.randrange(customer_count)
                    if rng.random() < 0.6
                    else None,
                    "table_id": rng.choice(tables).pk if dine_in else None,
                    "order_type": "dine_in" if dine_in else "takeaway",
                    "status": status,
                    "payment_status": "paid" if paid else "unpaid",
                    "subtotal_amount": sums["subtotal"],
                    "tax_amount": sums["tax"],
                    "service_charge_amount": sums["service"],
                    "total_amount": total,
                    "rounded_amount": _money(total / 100) * 100,
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


def _line(product, qty: int) -> dict:
    subtotal = product.base_price * qty
    return {
        "qty": qty,
        "subtotal": subtotal,
        "tax": _money(subtotal * product.tax_percent / 100),
        "service": _money(subtotal * product.service_charge_percent / 100),
    }


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
                product_ids=[pk for pk, _ in products],
                tracked_ids=[pk for pk, tracked in products if tracked],
                untracked_ids=[pk for pk, tracked in products if not tracked],
            )
        )
    return found
