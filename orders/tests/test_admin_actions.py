"""The order change page acts: buttons for what the order's state allows, each calling the
service the API calls, with the API's roles (officers move and take payments, owners refund)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from merchants.money import format_money
from orders.models import Order, OrderEvent
from orders.tests.factories import OrderFactory
from payments.models import Payment, PaymentEvent, PaymentMethod
from payments.tests.factories import PaymentMethodFactory

pytestmark = pytest.mark.django_db


def change_url(order):
    return reverse("admin:orders_order_change", args=[order.pk])


def action_url(order, name):
    return reverse(f"admin:orders_order_{name}", args=[order.pk])


def buttons(page) -> set[str]:
    return {action["name"] for action in page.context["order_actions"]}


@pytest.fixture
def order(merchant):
    return OrderFactory(merchant=merchant, total_amount=Decimal(25000))


@pytest.fixture
def cash(merchant):
    return PaymentMethodFactory(merchant=merchant, name="Tunai", sort_order=0)


@pytest.fixture
def card(merchant):
    return PaymentMethodFactory(
        merchant=merchant, name="BCA EDC", kind=PaymentMethod.Kind.CARD, sort_order=1
    )


def paid_in_cash(client, order, cash, amount="25000"):
    response = client.post(
        action_url(order, "take_payment"), {"payment_method": cash.pk, "amount": amount}
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    return Payment.objects.get(reference_id=str(order.pk), payment_method=cash)


# --- what the page offers -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "officer"])
def test_a_pending_unpaid_order_offers_what_its_state_allows(client, request, order, role):
    client.force_login(request.getfixturevalue(role))
    page = client.get(change_url(order))
    assert page.status_code == 200
    assert buttons(page) == {"confirm", "take_payment", "cancel", "receipt", "kitchen_ticket"}
    assert f'href="/till/orders/{order.pk}/receipt/" target="_blank"' in page.text
    assert f'href="/till/orders/{order.pk}/kitchen-ticket/" target="_blank"' in page.text


def test_refund_is_offered_to_owners_of_a_paid_order_only(client, owner, officer, order, cash):
    client.force_login(owner)
    paid_in_cash(client, order, cash)
    assert "refund" in buttons(client.get(change_url(order)))
    client.force_login(officer)
    page = client.get(change_url(order))
    assert "refund" not in buttons(page)
    assert "take_payment" not in buttons(page)  # nothing is due any more


def test_a_cancelled_order_offers_only_its_receipt(client, owner, merchant):
    order = OrderFactory(merchant=merchant, status=Order.Status.CANCELLED)
    client.force_login(owner)
    assert buttons(client.get(change_url(order))) == {"receipt"}


# --- moving the order -----------------------------------------------------------------------


def test_confirm_then_complete_from_the_page(client, officer, order):
    client.force_login(officer)
    assert client.get(action_url(order, "confirm")).status_code == 405
    page = client.post(action_url(order, "confirm"), follow=True)
    assert page.redirect_chain[-1][0] == change_url(order)
    assert f"Order {order.number} confirmed." in page.text
    assert buttons(page) >= {"complete", "cancel"}
    assert "confirm" not in buttons(page)
    client.post(action_url(order, "complete"))
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert [e.actor for e in order.events.filter(kind=OrderEvent.Kind.STATUS)] == [officer] * 2


def test_a_move_the_state_forbids_is_an_error_message(client, officer, merchant):
    order = OrderFactory(merchant=merchant, status=Order.Status.COMPLETED)
    client.force_login(officer)
    page = client.post(action_url(order, "confirm"), follow=True)
    assert "cannot become confirmed" in page.text
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED


def test_cancel_asks_for_a_reason_and_records_it(client, officer, order):
    client.force_login(officer)
    assert 'name="reason"' in client.get(action_url(order, "cancel")).text
    page = client.post(action_url(order, "cancel"), {"reason": ""})
    assert page.status_code == 200
    assert page.context["form"].errors["reason"]
    client.post(action_url(order, "cancel"), {"reason": "Guest left"})
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    event = order.events.get(kind=OrderEvent.Kind.STATUS)
    assert event.payload["reason"] == "Guest left"


# --- taking a payment -----------------------------------------------------------------------


def test_take_a_payment_defaults_to_what_is_due_then_part_by_card_part_in_cash(
    client, officer, order, cash, card
):
    client.force_login(officer)
    form = client.get(action_url(order, "take_payment")).context["form"]
    assert form.initial == {"payment_method": cash.pk, "amount": Decimal(25000)}
    assert list(form.fields["payment_method"].queryset) == [cash, card]

    page = client.post(
        action_url(order, "take_payment"),
        {"payment_method": card.pk, "amount": "10000", "reference": "SLIP-7"},
        follow=True,
    )
    order.refresh_from_db()
    assert order.amount_due == Decimal(15000)
    assert "Still due" in page.text

    page = client.post(
        action_url(order, "take_payment"),
        {"payment_method": cash.pk, "amount": "20000"},
        follow=True,
    )
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID
    assert format_money(Decimal(5000), "IDR") in page.text  # the change


def test_a_tender_over_what_is_due_is_refused_on_the_form(client, officer, order, card):
    client.force_login(officer)
    page = client.post(
        action_url(order, "take_payment"), {"payment_method": card.pk, "amount": "30000"}
    )
    assert page.status_code == 200
    assert page.context["form"].non_field_errors()
    assert not Payment.objects.filter(reference_id=str(order.pk)).exists()


def test_another_merchants_method_or_order_is_refused(
    client, officer, order, other_merchant, merchant
):
    theirs = PaymentMethodFactory(merchant=other_merchant)
    client.force_login(officer)
    page = client.post(
        action_url(order, "take_payment"), {"payment_method": theirs.pk, "amount": "1000"}
    )
    assert page.context["form"].errors["payment_method"]
    their_order = OrderFactory(merchant=other_merchant)
    for name in ("take_payment", "cancel", "refund"):
        assert client.get(action_url(their_order, name)).status_code == 404
    assert client.post(action_url(their_order, "confirm")).status_code == 404


# --- refunds --------------------------------------------------------------------------------


def test_a_partial_refund_with_a_reason_through_the_confirmation_page(client, owner, order, cash):
    client.force_login(owner)
    payment = paid_in_cash(client, order, cash)
    form = client.get(action_url(order, "refund")).context["form"]
    assert form.initial == {"payment": payment.pk, "amount": Decimal(25000)}

    step = {"payment": payment.pk, "amount": "10000", "reason": "Cold coffee"}
    confirm = client.post(action_url(order, "refund"), step)
    assert confirm.status_code == 200
    assert (
        f"Refund {format_money(Decimal(10000), 'IDR')} of payment {payment.gateway_order_id} "
        "because “Cold coffee”?"
    ) in confirm.text
    payment.refresh_from_db()
    assert payment.refunded_amount == 0  # nothing happens before the confirmation

    page = client.post(action_url(order, "refund"), {**step, "confirmed": "yes"}, follow=True)
    assert page.redirect_chain[-1][0] == change_url(order)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    assert payment.refunded_amount == Decimal(10000)
    assert payment.events.get(kind=PaymentEvent.Kind.REFUND).raw["reason"] == "Cold coffee"
    event = order.events.get(kind=OrderEvent.Kind.REFUND)
    assert event.payload == {
        "payment_id": payment.pk,
        "amount": "10000.00",
        "refunded_total": "10000.00",
        "reason": "Cold coffee",
    }
    assert event.actor == owner
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PARTIALLY_REFUNDED


def test_a_refund_above_what_is_left_or_without_reason_is_refused(client, owner, order, cash):
    client.force_login(owner)
    payment = paid_in_cash(client, order, cash)
    page = client.post(
        action_url(order, "refund"),
        {"payment": payment.pk, "amount": "30000", "reason": "x", "confirmed": "yes"},
    )
    assert page.context["form"].errors["amount"]
    page = client.post(
        action_url(order, "refund"),
        {"payment": payment.pk, "amount": "1000", "reason": "", "confirmed": "yes"},
    )
    assert page.context["form"].errors["reason"]
    payment.refresh_from_db()
    assert payment.refunded_amount == 0


def test_officers_do_not_refund(client, owner, officer, order, cash):
    client.force_login(owner)
    payment = paid_in_cash(client, order, cash)
    client.force_login(officer)
    response = client.post(
        action_url(order, "refund"),
        {"payment": payment.pk, "amount": "1000", "reason": "x", "confirmed": "yes"},
    )
    assert response.status_code == 403
    payment.refresh_from_db()
    assert payment.refunded_amount == 0


def test_the_payments_list_has_no_refund_everything_action(client, owner):
    client.force_login(owner)
    page = client.get(reverse("admin:payments_payment_changelist"))
    assert "refund_in_full" not in page.text
