"""Four weeks of past sales at Kopi Kita, so the dashboard and the reports have a story to tell.

Past days are written in bulk (a handful of queries, priced by the real pricing rule), each
order paid by cash or QRIS with its payment row, a few of them partly refunded. Idempotent: a
day that already has orders is left alone.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal
from itertools import cycle

from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.models import Product
from merchants.models import Merchant
from merchants.reports import local_today
from orders.models import Order, OrderItem, OrderNumberSequence
from orders.pricing import order_price
from orders.reports import ORDER_REFERENCE
from orders.services import order_item_build
from orders.tenders import order_cash_method
from payments.models import Payment

DAYS = 29
DEMO_ORDER_ID_PREFIX = "DEMO-ORDER-"
BASKETS = [
    [("Kopi Susu Gula Aren", 2), ("Croissant", 1)],
    [("Nasi Goreng", 2), ("Es Teh Manis", 2)],
    [("Americano", 1)],
    [("Cappuccino", 2), ("Pisang Goreng", 1)],
    [("Mie Goreng", 1), ("Matcha Latte", 1)],
    [("Kopi Susu Gula Aren", 3)],
    [("Espresso", 1), ("Roti Bakar Cokelat", 1)],
    [("Nasi Goreng", 1), ("Kopi Susu Gula Aren", 1)],
]


def seed_history(merchant: Merchant, stdout) -> None:
    cashier = get_user_model().objects.filter(username="cashier").first()
    cash_method = order_cash_method(merchant)
    # Cash seeded before it was named shows under the merchant's cash method, as the till's does:
    # else the dashboard splits one drawer's cash into "Cash" and an unnamed cash slice.
    Payment.objects.filter(
        merchant=merchant,
        method=Payment.Method.CASH,
        payment_method=None,
        gateway_order_id__startswith=DEMO_ORDER_ID_PREFIX,
    ).update(payment_method=cash_method)
    products = {p.name: p for p in Product.objects.filter(merchant=merchant, is_active=True)}
    today = local_today(merchant)
    days = [today - timedelta(days=n) for n in range(DAYS, 0, -1)]
    taken = set(
        Order.objects.filter(merchant=merchant, business_date__in=days).values_list(
            "business_date", flat=True
        )
    )
    baskets = cycle(BASKETS)
    planned: list[tuple[Order, list, datetime]] = []
    for day in days:
        if day in taken:
            continue
        # Busier at the weekend, a little growth over the month.
        count = 4 + (day.weekday() >= 5) * 3 + (day - days[0]).days // 7
        for index in range(count):
            lines = [(products[name], qty, "") for name, qty in next(baskets) if name in products]
            if not lines:
                continue
            placed = datetime.combine(day, time(7 + (index * 13) % 13, (index * 17) % 60))
            placed = timezone.make_aware(placed, merchant.tzinfo)
            pricing = order_price(lines=lines, currency=merchant.currency, at=placed)
            order = Order(
                merchant=merchant,
                number=Order.number_for(day, index + 1),
                business_date=day,
                created_by=cashier,
                order_type=Order.Type.TAKEAWAY,
                status=Order.Status.COMPLETED,
                payment_status=Order.PaymentStatus.PAID,
                subtotal_amount=pricing.subtotal,
                discount_amount=pricing.discount,
                tax_amount=pricing.tax,
                service_charge_amount=pricing.service_charge,
                total_amount=pricing.total,
                rounded_amount=pricing.rounded,
                currency=merchant.currency,
                paid_at=placed,
                completed_at=placed + timedelta(minutes=12),
            )
            planned.append((order, pricing.lines, placed))
    if not planned:
        stdout.write("  orders: the past month of sales already there")
        return
    orders = Order.objects.bulk_create([order for order, _, _ in planned])
    for order, _, placed in planned:
        order.created_at = placed  # auto_now_add ignored what bulk_create was given
    Order.objects.bulk_update(orders, ["created_at"])
    OrderItem.objects.bulk_create(
        [
            # Past days are settled: their lines hold no stock.
            order_item_build(order=order, line=line, reserve=False)
            for order, lines, _ in planned
            for line in lines
        ]
    )
    OrderNumberSequence.objects.bulk_create(
        [
            OrderNumberSequence(merchant=merchant, day=day, last_number=99)
            for day in {order.business_date for order in orders}
        ],
        ignore_conflicts=True,
    )
    payments = []
    for number, (order, _, placed) in enumerate(planned):
        cash = number % 3 != 0
        refunded = Decimal(0)
        status = Payment.Status.PAID
        if number % 17 == 5:  # now and then a cold coffee
            refunded = min(Decimal(10000), order.total_amount)
            status = Payment.Status.PARTIALLY_REFUNDED
            order.payment_status = Order.PaymentStatus.PARTIALLY_REFUNDED
        payments.append(
            _payment(
                merchant,
                order,
                placed,
                cash=cash,
                refunded=refunded,
                status=status,
                by=cashier,
                cash_method=cash_method,
            )
        )
    Order.objects.bulk_update(orders, ["payment_status"])
    _store_payments(payments)
    stdout.write(f"  orders: {len(orders)} past orders over {DAYS} days, paid, a few refunded")


def _payment(merchant, order, paid_at, *, cash, by, cash_method, refunded=Decimal(0), status=None):
    amount = order.rounded_amount if cash else order.total_amount
    return Payment(
        merchant=merchant,
        reference_kind=ORDER_REFERENCE,
        reference_id=str(order.pk),
        gateway=Payment.Gateway.CASH if cash else Payment.Gateway.MIDTRANS,
        method=Payment.Method.CASH if cash else Payment.Method.QRIS,
        payment_method=cash_method if cash else None,
        amount=amount,
        currency=merchant.currency,
        status=status or Payment.Status.PAID,
        gateway_order_id=f"{DEMO_ORDER_ID_PREFIX}{order.pk}",
        paid_at=paid_at,
        refunded_amount=refunded,
        cash_tendered_amount=amount if cash else None,
        change_amount=Decimal(0) if cash else None,
        received_by=by if cash else None,
    )


def _store_payments(payments: list[Payment]) -> None:
    if not payments:
        return
    created = Payment.objects.bulk_create(payments)
    for payment in created:
        payment.created_at = payment.paid_at  # auto_now_add ignored it
    Payment.objects.bulk_update(created, ["created_at"])
