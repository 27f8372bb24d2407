import os

import pytest
from django.core.management import call_command

from merchants.models import Merchant
from merchants.reports import local_today
from orders.models import Order
from payments.models import Payment, PaymentEvent

pytestmark = pytest.mark.django_db


def seed():
    with open(os.devnull, "w") as devnull:
        call_command("seed_demo", stdout=devnull)


def todays_orders():
    """The sample day (the month of history before it is the reports' demo data)."""
    merchant = Merchant.objects.get(slug="kopi-kita")
    return Order.objects.filter(merchant=merchant, business_date=local_today(merchant))


def payments_of(order):
    return Payment.objects.filter(reference_kind="order", reference_id=str(order.pk))


def test_paid_demo_orders_have_their_cash_payment_once(mailoutbox):
    seed()
    paid = list(todays_orders().filter(payment_status="paid"))
    assert len(paid) == 6
    for order in paid:
        [payment] = payments_of(order)
        assert (payment.gateway, payment.status) == ("cash", "paid")
        assert payment.amount == order.rounded_amount
        assert payment.cash_tendered_amount >= payment.amount
        assert payment.paid_at == order.paid_at
    unpaid = todays_orders().exclude(payment_status="paid")
    assert not Payment.objects.filter(
        reference_kind="order", reference_id__in=[str(o.pk) for o in unpaid]
    ).exists()

    seed()  # again: nothing doubles
    assert all(payments_of(order).count() == 1 for order in paid)
    assert mailoutbox == []


def test_orders_seeded_without_payments_get_them(mailoutbox):
    seed()
    # As an older version seeded them: paid, but with no payment row.
    PaymentEvent.objects.filter(payment__reference_kind="order").delete()
    Payment.objects.filter(reference_kind="order").delete()
    seed()
    paid = todays_orders().filter(payment_status="paid")
    assert paid.exists()
    assert all(payments_of(order).count() == 1 for order in paid)


def test_the_demo_sells_drinks_with_options_and_takes_four_payment_methods():
    from catalog.models import ModifierGroup, ModifierOption, Product
    from orders.models import OrderItem
    from payments.models import PaymentMethod

    seed()
    seed()  # again: nothing doubles
    merchant = Merchant.objects.get(slug="kopi-kita")
    assert list(
        ModifierGroup.objects.filter(merchant=merchant).values_list("name", "min_select")
    ) == [("Size", 1), ("Sugar", 0), ("Extra shot", 0)]
    assert ModifierOption.objects.filter(group__merchant=merchant).count() == 7
    latte = Product.objects.get(merchant=merchant, name="Kopi Susu Gula Aren")
    assert [link.group.name for link in latte.modifier_links.order_by("sort_order")] == [
        "Size",
        "Sugar",
        "Extra shot",
    ]
    assert sorted(
        PaymentMethod.objects.filter(merchant=merchant).values_list("kind", flat=True)
    ) == [
        "card",
        "cash",
        "qris_static",
        "transfer",
    ]
    first = OrderItem.objects.filter(order__in=todays_orders(), product=latte).order_by("pk")[0]
    assert [choice["name"] for choice in first.modifiers] == [
        "Large",
        "Less sugar",
        "Espresso shot",
    ]
    assert Payment.objects.filter(payment_method__kind="cash").exists()


def test_the_demos_cash_all_shows_under_its_cash_method():
    """The dashboard's payment methods panel must not split one drawer's cash into the
    merchant's "Cash" and an unnamed cash slice, in a fresh demo or one seeded before."""
    from payments.models import PaymentMethod

    seed()
    merchant = Merchant.objects.get(slug="kopi-kita")
    cash_method = PaymentMethod.objects.get(merchant=merchant, kind="cash")
    cash = Payment.objects.filter(merchant=merchant, method="cash")
    assert cash.filter(paid_at__date__lt=local_today(merchant)).exists()  # the month's history
    assert set(cash.values_list("payment_method", flat=True)) == {cash_method.pk}

    history = cash.filter(paid_at__date__lt=local_today(merchant))
    history.update(payment_method=None)  # as an older version seeded the month's history
    seed()
    assert set(cash.values_list("payment_method", flat=True)) == {cash_method.pk}
