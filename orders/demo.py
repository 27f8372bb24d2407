"""A day of sample orders for Kopi Kita: some paid and done, some in the kitchen, one cancelled."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.models import Product
from customers.models import Customer
from merchants.models import Merchant, TableLocation
from orders.demo_history import pay_todays_orders, seed_history
from orders.models import Order
from orders.services import (
    Actor,
    LineInput,
    order_cancel,
    order_complete,
    order_confirm,
    order_create,
    order_set_payment_status,
)

# (hour, minutes, [(product name, qty)], order type, table number, final state, paid)
PLAN = [
    (
        7,
        15,
        [("Kopi Susu Gula Aren", 2), ("Roti Bakar Cokelat", 1)],
        "takeaway",
        None,
        "completed",
        True,
    ),
    (8, 5, [("Nasi Goreng", 2), ("Es Teh Manis", 2)], "dine_in", "A1", "completed", True),
    (9, 40, [("Americano", 1)], "takeaway", None, "completed", True),
    (
        11,
        0,
        [("Nasi Goreng", 1), ("Mie Goreng", 1), ("Matcha Latte", 2)],
        "dine_in",
        "A3",
        "completed",
        True,
    ),
    (12, 20, [("Cappuccino", 2), ("Pisang Goreng", 1)], "dine_in", "T1", "completed", True),
    (12, 45, [("Mie Goreng", 1)], "takeaway", None, "cancelled", False),
    (13, 30, [("Kopi Susu Gula Aren", 3)], "walk_in", None, "completed", True),
    (
        15,
        10,
        [("Nasi Goreng", 2), ("Es Teh Manis", 2)],
        "dine_in",
        "A2",
        "confirmed",
        False,
    ),
    (16, 0, [("Cappuccino", 1), ("Roti Bakar Cokelat", 1)], "dine_in", "T2", "pending", False),
]


def _product(merchant, name):
    product = Product.objects.filter(merchant=merchant, name=name).first()
    return product or Product.objects.filter(merchant=merchant, is_active=True).first()


def seed(stdout) -> None:
    merchant = Merchant.objects.filter(slug="kopi-kita").first()
    if merchant is None or not Product.objects.filter(merchant=merchant).exists():
        return
    seed_history(merchant, stdout)
    today = timezone.localtime(timezone.now(), merchant.tzinfo).date()
    if Order.objects.filter(merchant=merchant, business_date=today).exists():
        stdout.write("  orders: today's sample orders already there")
        pay_todays_orders(merchant)
        return
    cashier = get_user_model().objects.get(username="cashier")
    actor = Actor.staff(cashier)
    customers = list(Customer.objects.filter(merchant=merchant)[:3])
    midnight = timezone.make_aware(
        timezone.datetime.combine(today, timezone.datetime.min.time()), merchant.tzinfo
    )
    for index, (hour, minute, lines, kind, table, state, paid) in enumerate(PLAN):
        order = order_create(
            merchant=merchant,
            lines=[LineInput(product_id=_product(merchant, n).pk, quantity=q) for n, q in lines],
            actor=actor,
            customer=customers[index % len(customers)] if customers and index % 2 else None,
            table=TableLocation.objects.filter(merchant=merchant, number=table).first(),
            order_type=kind,
            guest_count=2 if kind == "dine_in" else 1,
        )
        placed = min(midnight + timedelta(hours=hour, minutes=minute), timezone.now())
        Order.objects.filter(pk=order.pk).update(created_at=placed)
        if state in ("confirmed", "completed"):
            order_confirm(order=order, actor=actor)
        if paid:
            order_set_payment_status(order=order, to_status="paid", actor=actor, paid_at=placed)
        if state == "completed":
            order_complete(order=order, actor=actor)
        if state == "cancelled":
            order_cancel(order=order, actor=actor, reason="customer left")
    pay_todays_orders(merchant)
    stdout.write(f"  orders: {len(PLAN)} sample orders for Kopi Kita today")
