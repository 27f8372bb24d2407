"""A day of sample orders for Kopi Kita: some paid (in cash) and done, some in the kitchen, one
cancelled. Every paid order has its payment, as if the cashier had taken the cash."""

from datetime import timedelta
from decimal import ROUND_UP, Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.models import Product
from customers.models import Customer
from merchants.actors import Actor
from merchants.models import Merchant, TableLocation
from merchants.reports import local_day_start, local_today
from orders.demo_history import seed_history
from orders.models import Order
from orders.payment_status import PAID_FAMILY
from orders.selectors import order_payment_list
from orders.services import (
    LineInput,
    order_cancel,
    order_complete,
    order_confirm,
    order_create,
)
from orders.tenders import order_pay_cash
from payments.demo import payment_methods_seed
from payments.models import Payment
from payments.services import payment_record_cash

# (hour, minutes, [(product name, qty[, options])], order type, table number, final state, paid)
# Drinks without options named get the first option of each group that needs one (Regular).
PLAN = [
    (
        7,
        15,
        [
            ("Kopi Susu Gula Aren", 2, ["Large", "Less sugar", "Espresso shot"]),
            ("Roti Bakar Cokelat", 1),
        ],
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


def _line(merchant, name: str, quantity: int, options: list[str] | None = None) -> LineInput:
    product = _product(merchant, name)
    chosen = []
    for link in product.modifier_links.select_related("group").order_by("sort_order", "pk"):
        group_options = list(link.group.options.filter(is_active=True))
        named = [option.pk for option in group_options if option.name in (options or [])]
        if not named and link.group.min_select and group_options:
            named = [group_options[0].pk]
        chosen.extend(named)
    return LineInput(product_id=product.pk, quantity=quantity, modifier_option_ids=tuple(chosen))


def _product(merchant, name):
    product = Product.objects.filter(merchant=merchant, name=name).first()
    return product or Product.objects.filter(merchant=merchant, is_active=True).first()


def seed(stdout) -> None:
    merchant = Merchant.objects.filter(slug="kopi-kita").first()
    if merchant is None or not Product.objects.filter(merchant=merchant).exists():
        return
    payment_methods_seed(merchant)  # before any cash is taken, so it names the cash method
    seed_history(merchant, stdout)
    today = local_today(merchant)
    cashier = get_user_model().objects.get(username="cashier")
    if Order.objects.filter(merchant=merchant, business_date=today).exists():
        backfilled = _backfill_payments(merchant=merchant, day=today, actor=Actor.staff(cashier))
        stdout.write(f"  orders: today's sample orders already there ({backfilled} payments added)")
        return
    actor = Actor.staff(cashier)
    customers = list(Customer.objects.filter(merchant=merchant)[:3])
    midnight = local_day_start(merchant, today)
    for index, (hour, minute, lines, kind, table, state, paid) in enumerate(PLAN):
        order = order_create(
            merchant=merchant,
            lines=[_line(merchant, *line) for line in lines],
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
            receipt = order_pay_cash(
                order=order, amount_paid=_cash_handed_over(order.rounded_amount), actor=actor
            )
            _backdate(order=order, payment=receipt.payment, moment=placed)
        if state == "completed":
            order_complete(order=order, actor=actor)
        if state == "cancelled":
            order_cancel(order=order, actor=actor, reason="customer left")
    stdout.write(f"  orders: {len(PLAN)} sample orders for Kopi Kita today")


def _cash_handed_over(due: Decimal) -> Decimal:
    """What customers hand over: the next 10000 note (change to give back)."""
    return (due / 10000).to_integral_value(rounding=ROUND_UP) * 10000


def _backdate(*, order: Order, payment: Payment, moment) -> None:
    # Paid when it was placed; the receipt counts as sent, so seeding emails no demo customer.
    Payment.objects.filter(
        merchant_id=payment.merchant_id,
        reference_kind=payment.reference_kind,
        reference_id=payment.reference_id,
    ).update(paid_at=moment)
    Order.objects.filter(pk=order.pk).update(paid_at=moment, receipt_sent_at=moment)


def _backfill_payments(*, merchant: Merchant, day, actor: Actor) -> int:
    """Paid sample orders seeded before orders had payments get their cash payment now."""
    added = 0
    orders = Order.objects.filter(
        merchant=merchant, business_date=day, payment_status__in=PAID_FAMILY
    ).select_related("merchant")
    for order in orders:
        if order_payment_list(order=order):
            continue
        receipt = payment_record_cash(
            merchant=merchant,
            reference_kind=Order.PAYMENT_REFERENCE_KIND,
            reference_id=str(order.pk),
            amount_due=order.rounded_amount,
            amount_paid=_cash_handed_over(order.rounded_amount),
            actor=actor,
        )
        _backdate(order=order, payment=receipt.payment, moment=order.paid_at or order.created_at)
        added += 1
    return added
