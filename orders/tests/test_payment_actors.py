"""Who the order's history names for a payment change: the person who caused it, whichever
door they came through (orders API, payments API, payments admin), or "system" for the
gateway's webhooks and the beat tasks."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, OrderEvent
from orders.tests.paying import act, place, settle_by_notification, start_snap
from payments.models import Payment
from payments.tests import stubs
from payments.tests.factories import apply_midtrans

pytestmark = pytest.mark.django_db
PAYMENTS = "/api/v1/payments"


def last_payment_event(order: Order) -> OrderEvent:
    return order.events.filter(kind=OrderEvent.Kind.PAYMENT).order_by("pk").last()


@pytest.fixture
def snap_paid(gw, officer_client, pay_merchant, kopi):
    """An order paid by Snap (applied as the gateway would: by the system)."""
    order = place(officer_client, (kopi, 1))
    payment = start_snap(officer_client, order)
    apply_midtrans(payment, "settlement")
    return order, Payment.objects.get(pk=payment.pk)


def test_a_refund_through_the_payments_api_names_the_owner(owner_client, owner, snap_paid):
    order, payment = snap_paid
    stubs.stub_refund(
        payment.gateway_order_id, payment.amount, refund_amount=payment.amount, partial=False
    )
    response = owner_client.post(
        f"{PAYMENTS}/{payment.pk}/refund", {"reason": "Spilled"}, format="json"
    )
    assert response.status_code == 200, response.content
    event = last_payment_event(order)
    assert (event.from_status, event.to_status) == ("paid", "refunded")
    assert (event.actor_label, event.actor) == ("own", owner)


def test_a_refund_on_the_order_page_names_the_owner(owner_admin, owner, snap_paid):
    order, payment = snap_paid
    stubs.stub_refund(
        payment.gateway_order_id, payment.amount, refund_amount=payment.amount, partial=False
    )
    owner_admin.post(
        reverse("admin:orders_order_refund", args=[order.pk]),
        {
            "payment": payment.pk,
            "amount": str(payment.amount),
            "reason": "Spilled",
            "confirmed": "yes",
        },
    )
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    event = last_payment_event(order)
    assert (event.from_status, event.to_status) == ("paid", "refunded")
    assert (event.actor_label, event.actor) == ("own", owner)


def test_a_status_check_through_the_payments_api_names_who_asked(
    gw, officer_client, officer, pay_merchant, kopi
):
    order = place(officer_client, (kopi, 1))
    payment = start_snap(officer_client, order)
    stubs.stub_status(payment.gateway_order_id, "settlement", payment.amount)
    response = officer_client.post(f"{PAYMENTS}/{payment.pk}/check-status")
    assert response.status_code == 200, response.content
    event = last_payment_event(order)
    assert (event.to_status, event.actor_label, event.actor) == ("paid", "off", officer)


def test_a_status_refresh_in_the_payments_admin_names_who_ran_it(
    gw, client, officer_client, officer, pay_merchant, kopi
):
    order = place(officer_client, (kopi, 1))
    payment = start_snap(officer_client, order)
    stubs.stub_status(payment.gateway_order_id, "settlement", payment.amount)
    client.force_login(officer)
    response = client.post(
        reverse("admin:payments_payment_changelist"),
        {"action": "refresh_status", "_selected_action": [payment.pk]},
    )
    assert response.status_code == 302
    event = last_payment_event(order)
    assert (event.to_status, event.actor_label, event.actor) == ("paid", "off", officer)


def test_a_webhook_is_the_system(gw, api_client, officer_client, pay_merchant, kopi):
    order = place(officer_client, (kopi, 1))
    payment = start_snap(officer_client, order)
    assert settle_by_notification(api_client, payment).status_code == 200
    event = last_payment_event(order)
    assert (event.to_status, event.actor_label, event.actor) == ("paid", "system", None)


def test_reconciliation_is_the_system(gw, officer_client, pay_merchant, kopi):
    from payments.tasks import payment_reconcile_pending_task

    order = place(officer_client, (kopi, 1))
    payment = start_snap(officer_client, order)
    stubs.stub_status(payment.gateway_order_id, "settlement", payment.amount)
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert payment_reconcile_pending_task()["changed"] == 1
    event = last_payment_event(order)
    assert (event.to_status, event.actor_label, event.actor) == ("paid", "system", None)


def test_the_task_cancelling_open_charges_is_the_system(
    gw, officer_client, pay_merchant, kopi, django_capture_on_commit_callbacks
):
    order = place(officer_client, (kopi, 1))
    payment = start_snap(officer_client, order)
    stubs.stub_cancel(payment.gateway_order_id, payment.amount)
    with django_capture_on_commit_callbacks(execute=True):
        assert act(officer_client, order, "cancel", {"reason": "Left"}).status_code == 200
    event = last_payment_event(order)
    assert event.payload["payment_to"] == "cancelled"
    assert (event.actor_label, event.actor) == ("system", None)


def test_a_customer_paying_their_own_order_is_named(
    gw, customer_client, customer, pay_merchant, kopi
):
    order = place(customer_client, (kopi, 1))
    payment = start_snap(customer_client, order)
    stubs.stub_status(payment.gateway_order_id, "settlement", payment.amount)
    assert act(customer_client, order, "check-status").status_code == 200
    labels = [
        (event.from_status, event.to_status, event.actor_label)
        for event in order.events.filter(kind=OrderEvent.Kind.PAYMENT).order_by("pk")
    ]
    me = f"customer {customer.pk}"
    assert labels == [("unpaid", "pending", me), ("pending", "paid", me)]


def test_a_customer_cancelling_their_own_payment_is_named(
    gw, customer_client, customer, pay_merchant, kopi
):
    order = place(customer_client, (kopi, 1))
    payment = start_snap(customer_client, order)
    stubs.stub_cancel(payment.gateway_order_id, payment.amount)
    assert act(customer_client, order, "cancel-payment").status_code == 200
    event = last_payment_event(order)
    assert (event.to_status, event.actor_label) == ("unpaid", f"customer {customer.pk}")
