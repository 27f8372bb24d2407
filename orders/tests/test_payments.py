"""Paying orders: Snap, cash, check, cancel, expire, refund, and what the order then shows.

The real midtransclient runs against `responses` stubs (payments/tests/stubs.py).
"""

import json
from decimal import Decimal

import pytest
import responses
from django.utils import timezone

from customers.tests.factories import CustomerFactory
from orders.models import Order, OrderEvent
from orders.services import order_release_stock
from orders.tests.factories import OrderFactory
from orders.tests.paying import (
    URL,
    act,
    payment_events,
    place,
    settle_by_notification,
    start_snap,
)
from payments.models import Payment, PaymentEvent
from payments.tests import stubs
from payments.tests.factories import PaymentFactory, apply_midtrans

pytestmark = pytest.mark.django_db


# --- Snap, end to end -------------------------------------------------------------------------


def test_worked_example_paid_by_snap_then_receipt_emailed_once(
    gw, api_client, customer_client, worked_example, mailoutbox, django_capture_on_commit_callbacks
):
    order = worked_example
    payment = start_snap(customer_client, order)
    sent = json.loads(gw.calls[0].request.body)
    assert sent["transaction_details"]["gross_amount"] == 51750
    items = {item["id"]: (item["price"], item["quantity"]) for item in sent["item_details"]}
    assert items.pop("discount") == (-5000, 1)
    assert items.pop("tax") == (4500, 1)
    assert items.pop("service") == (2250, 1)
    assert list(items.values()) == [(25000, 2)]
    assert sum(i["price"] * i["quantity"] for i in sent["item_details"]) == 51750
    assert sent["customer_details"]["email"] == "ani@example.com"
    order.refresh_from_db()
    assert (order.payment_status, payment.amount) == ("pending", Decimal(51750))

    with django_capture_on_commit_callbacks(execute=True):
        assert settle_by_notification(api_client, payment).status_code == 200

    order.refresh_from_db()
    assert order.payment_status == "paid"
    assert order.paid_at == Payment.objects.get(pk=payment.pk).paid_at
    assert order.receipt_sent_at is not None
    assert payment_events(order) == [("unpaid", "pending"), ("pending", "paid")]
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["ani@example.com"]
    assert mail.subject == f"Your receipt {order.number} from Kopi Test"
    assert "Kopi Test" in mail.from_email
    html = mail.alternatives[0][0]
    for text in (mail.body, html):
        assert "2 × Nasi Goreng" in text
        for figure in ("IDR 50,000", "IDR 5,000", "IDR 4,500", "IDR 2,250", "IDR 51,750", "QRIS"):
            assert figure in text, figure
    assert "Subtotal        IDR 50,000" in mail.body
    assert "Discount       -IDR 5,000" in mail.body
    assert "Total           IDR 51,750" in mail.body
    assert "Paid            IDR 51,750 by QRIS on " in mail.body
    assert "Kopi Test" in html


def test_replayed_and_reordered_notifications_neither_resend_nor_move_back(
    gw, api_client, customer_client, worked_example, mailoutbox, django_capture_on_commit_callbacks
):
    payment = start_snap(customer_client, worked_example)
    with django_capture_on_commit_callbacks(execute=True):
        settle_by_notification(api_client, payment)
        for _ in range(2):  # Midtrans repeats itself
            assert settle_by_notification(api_client, payment).status_code == 200
        # An older "pending" arrives last (and the status API lags too).
        assert settle_by_notification(api_client, payment, "pending").status_code == 200

    order = Order.objects.get(pk=worked_example.pk)
    assert order.payment_status == "paid"
    assert payment_events(order) == [("unpaid", "pending"), ("pending", "paid")]
    assert len(mailoutbox) == 1


def test_create_payment_reuses_the_valid_token(gw, customer_client, worked_example):
    first = start_snap(customer_client, worked_example)
    again = act(customer_client, worked_example, "create-payment")
    assert again.status_code == 200
    body = again.json()
    assert body["payment_id"] == first.pk
    assert body["reused"] is True
    assert body["token"] == stubs.SNAP_TOKEN
    assert body["redirect_url"] == first.redirect_url
    assert body["order_payment_status"] == "pending"
    assert len(gw.calls) == 1
    assert payment_events(worked_example) == [("unpaid", "pending")]


@pytest.mark.parametrize(
    "outage",
    [
        lambda: stubs.stub_timeout(responses.POST, stubs.snap_url()),
        lambda: stubs.stub_snap_create(status=503, body={"error_messages": ["Maintenance"]}),
        lambda: responses.add(
            responses.POST, stubs.snap_url(), body="<html>502</html>", status=502
        ),
    ],
    ids=["timeout", "5xx", "html-page"],
)
def test_gateway_failure_on_create_payment_leaves_nothing_behind(
    gw, officer_client, worked_example, outage
):
    outage()
    response = act(officer_client, worked_example, "create-payment")
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "gateway_error"
    assert not Payment.objects.exists()
    assert not PaymentEvent.objects.exists()
    worked_example.refresh_from_db()
    assert worked_example.payment_status == "unpaid"
    assert payment_events(worked_example) == []


def test_merchant_without_keys_is_told_what_to_configure(gw, officer_client, kopi):
    order = place(officer_client, (kopi, 1))
    response = act(officer_client, order, "create-payment")
    assert response.status_code == 409
    assert "no Midtrans server key" in response.json()["error"]["message"]
    assert len(gw.calls) == 0


def test_cancelled_or_paid_orders_cannot_be_paid(gw, pay_merchant, officer_client, kopi):
    cancelled = place(officer_client, (kopi, 1))
    act(officer_client, cancelled, "cancel")
    response = act(officer_client, cancelled, "create-payment")
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "order_cancelled",
        "message": f"Order {cancelled.number} is cancelled; it cannot be paid.",
        "details": {},
    }
    assert act(officer_client, cancelled, "pay-cash", {"amount_paid": "20000"}).status_code == 409

    paid = place(officer_client, (kopi, 1))
    assert act(officer_client, paid, "pay-cash", {"amount_paid": "20000"}).status_code == 200
    for action, body in (("create-payment", {}), ("pay-cash", {"amount_paid": "20000"})):
        response = act(officer_client, paid, action, body)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "order_already_paid"
    assert len(gw.calls) == 0
    assert Payment.objects.count() == 1


# --- cash ---------------------------------------------------------------------------------------


def test_cash_answers_the_change_and_the_receipt_shows_it(
    officer_client,
    pay_merchant,
    nasi_goreng,
    customer,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    order = place(officer_client, (nasi_goreng, 2), customer_id=customer.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(officer_client, order, "pay-cash", {"amount_paid": "60000"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["amount_due"] == "51800.00"
    assert body["amount_paid"] == "60000.00"
    assert body["change"] == "8200.00"
    assert body["order_payment_status"] == "paid"
    payment = Payment.objects.get(pk=body["payment_id"])
    assert (payment.gateway, payment.status, payment.received_by.username) == (
        "cash",
        "paid",
        "off",
    )
    event = order.events.get(kind=OrderEvent.Kind.PAYMENT)
    assert (event.from_status, event.to_status, event.actor_label) == ("unpaid", "paid", "off")
    assert event.payload["payment_id"] == payment.pk
    mail = mailoutbox[0].body
    assert "Paid            IDR 51,800 by Cash" in mail
    assert "Cash given      IDR 60,000" in mail
    assert "Change          IDR 8,200" in mail


@pytest.mark.parametrize(
    ("amount", "code"),
    [("51799", "insufficient_cash"), ("0", "invalid"), ("51800.50", "invalid"), ("", "invalid")],
)
def test_too_little_or_odd_cash_is_refused_and_writes_nothing(
    officer_client, nasi_goreng, amount, code
):
    order = place(officer_client, (nasi_goreng, 2))
    response = act(officer_client, order, "pay-cash", {"amount_paid": amount})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert "amount_paid" in error["details"]
    assert not Payment.objects.exists()
    order.refresh_from_db()
    assert order.payment_status == "unpaid"


def test_exactly_the_rounded_amount_needs_no_change(officer_client, nasi_goreng):
    order = place(officer_client, (nasi_goreng, 2))
    body = act(officer_client, order, "pay-cash", {"amount_paid": "51800"}).json()
    assert body["change"] == "0.00"


def test_cash_cancels_a_snap_charge_still_open(
    gw, officer_client, worked_example, django_capture_on_commit_callbacks
):
    snap = start_snap(officer_client, worked_example)
    stubs.stub_cancel(snap.gateway_order_id, snap.amount)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(officer_client, worked_example, "pay-cash", {"amount_paid": "100000"})
    assert response.status_code == 200
    snap.refresh_from_db()
    assert snap.status == "cancelled"
    order = Order.objects.get(pk=worked_example.pk)
    assert order.payment_status == "paid"
    # The cancelled attempt is on the order's history; its payment status stays paid.
    assert payment_events(order) == [("unpaid", "pending"), ("pending", "paid"), ("paid", "paid")]


def test_customers_cannot_take_cash(customer_client, worked_example):
    response = act(customer_client, worked_example, "pay-cash", {"amount_paid": "60000"})
    assert response.status_code == 403
    assert not Payment.objects.exists()


# --- check, cancel, expire ------------------------------------------------------------------


def test_check_status_asks_midtrans_and_applies_it(gw, customer_client, worked_example):
    payment = start_snap(customer_client, worked_example)
    stubs.stub_status(payment.gateway_order_id, "settlement", payment.amount)
    response = act(customer_client, worked_example, "check-status")
    assert response.status_code == 200
    body = response.json()
    assert body["payment"]["id"] == payment.pk
    assert body["payment"]["status"] == "paid"
    assert (body["order_status"], body["order_payment_status"]) == ("pending", "paid")
    assert body["paid_at"] is not None
    assert gw.calls[-1].request.url == stubs.core_url(f"/v2/{payment.gateway_order_id}/status")


def test_check_status_without_a_payment_is_409(customer_client, worked_example):
    response = act(customer_client, worked_example, "check-status")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_payment"


def test_check_status_outage_is_502_and_changes_nothing(gw, customer_client, worked_example):
    payment = start_snap(customer_client, worked_example)
    stubs.stub_core_error(responses.GET, f"/v2/{payment.gateway_order_id}/status")
    assert act(customer_client, worked_example, "check-status").status_code == 502
    payment.refresh_from_db()
    assert payment.status == "pending"


def test_customer_cancels_then_starts_again(gw, customer_client, worked_example):
    payment = start_snap(customer_client, worked_example)
    stubs.stub_cancel(payment.gateway_order_id, payment.amount)
    response = act(customer_client, worked_example, "cancel-payment")
    assert response.status_code == 200
    body = response.json()
    assert body["payment"]["status"] == "cancelled"
    assert (body["order_status"], body["order_payment_status"]) == ("pending", "unpaid")

    again = act(customer_client, worked_example, "cancel-payment")
    assert again.status_code == 409
    assert again.json()["error"]["message"] == (
        f"Order {worked_example.number} has no pending payment to cancel: "
        "its latest payment is cancelled."
    )

    second = start_snap(customer_client, worked_example)
    assert second.pk != payment.pk
    worked_example.refresh_from_db()
    assert worked_example.payment_status == "pending"


def test_expire_payment_cancels_the_pending_order_and_releases_stock_once(
    gw, pay_merchant, officer_client, croissant, django_capture_on_commit_callbacks
):
    order = place(officer_client, (croissant, 2))
    croissant.refresh_from_db()
    assert croissant.stock == 3
    payment = start_snap(officer_client, order)
    stubs.stub_expire(payment.gateway_order_id, payment.amount)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(officer_client, order, "expire-payment")
    assert response.status_code == 200
    body = response.json()
    assert body["payment"]["status"] == "expired"
    assert (body["order_status"], body["order_payment_status"]) == ("cancelled", "expired")
    croissant.refresh_from_db()
    assert croissant.stock == 5

    # Midtrans repeats the expiry; the order is cancelled already and stock stays put.
    apply_midtrans(Payment.objects.get(pk=payment.pk), "expire")
    assert order_release_stock(order=order) is False
    croissant.refresh_from_db()
    assert croissant.stock == 5
    assert order.events.filter(kind=OrderEvent.Kind.STOCK_RELEASED).count() == 1
    assert act(officer_client, order, "expire-payment").status_code == 409


def test_an_unused_snap_token_expiring_on_reconciliation_cancels_the_order(
    gw, pay_merchant, officer_client, croissant
):
    from datetime import timedelta

    import time_machine

    from payments.tasks import payment_reconcile_pending_task

    order = place(officer_client, (croissant, 1))
    payment = start_snap(officer_client, order)
    stubs.stub_status_not_found(payment.gateway_order_id)
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert payment_reconcile_pending_task() == {"checked": 1, "changed": 1, "failed": 0}
    order.refresh_from_db()
    croissant.refresh_from_db()
    assert (order.status, order.payment_status, croissant.stock) == ("cancelled", "expired", 5)


def test_expiry_of_one_attempt_leaves_the_order_pending_while_another_is_open(
    pay_merchant, officer_client, kopi
):
    order = place(officer_client, (kopi, 1))
    older, newer = (
        PaymentFactory(merchant=pay_merchant, reference_id=str(order.pk), amount=order.total_amount)
        for _ in range(2)
    )
    apply_midtrans(older, "expire")
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("pending", "pending")
    apply_midtrans(newer, "expire", transaction_id="t-2")
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("cancelled", "expired")


def test_late_settlement_after_expiry_is_recorded_for_a_refund(
    gw,
    api_client,
    owner_client,
    customer_client,
    worked_example,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    payment = start_snap(customer_client, worked_example)
    with django_capture_on_commit_callbacks(execute=True):
        apply_midtrans(payment, "expire")
        payment.refresh_from_db()
        # The customer's bank pays the expired transaction after all.
        assert settle_by_notification(api_client, payment).status_code == 200

    order = Order.objects.get(pk=worked_example.pk)
    assert (order.status, order.payment_status) == ("cancelled", "paid")
    assert order.paid_at is not None
    late = order.events.filter(kind=OrderEvent.Kind.PAYMENT).last()
    assert (late.from_status, late.to_status) == ("expired", "paid")
    assert late.payload["note"] == "Paid after the order was cancelled: refund it."
    assert mailoutbox == []  # no receipt for what the customer will not get

    stubs.stub_refund(payment.gateway_order_id, 51750, refund_amount=51750, partial=False)
    response = act(owner_client, order, "refund", {"reason": "Paid after cancelling"})
    assert response.status_code == 200
    assert response.json()["order_payment_status"] == "refunded"


# --- refunds ------------------------------------------------------------------------------------


@pytest.fixture
def paid_by_snap(gw, customer_client, worked_example):
    payment = start_snap(customer_client, worked_example)
    apply_midtrans(payment, "settlement")
    return worked_example, Payment.objects.get(pk=payment.pk)


def test_partial_then_full_refund_within_what_was_paid(owner_client, paid_by_snap):
    order, payment = paid_by_snap
    stubs.stub_refund(payment.gateway_order_id, 51750, refund_amount=20000, partial=True)
    response = act(owner_client, order, "refund", {"amount": "20000", "reason": "Cold food"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["payment"]["refunded_amount"] == "20000.00"
    assert body["order_payment_status"] == "partially_refunded"

    too_much = act(owner_client, order, "refund", {"amount": "31751", "reason": "Again"})
    assert too_much.status_code == 400
    assert too_much.json()["error"]["code"] == "refund_too_large"
    assert "At most 31750.00" in too_much.json()["error"]["message"]

    stubs.stub_refund(payment.gateway_order_id, 51750, refund_amount=51750, partial=False)
    rest = act(owner_client, order, "refund", {"reason": "Whole order"})
    assert rest.status_code == 200
    assert rest.json()["order_payment_status"] == "refunded"
    assert rest.json()["payment"]["refunded_amount"] == "51750.00"

    nothing = act(owner_client, order, "refund", {"reason": "Once more"})
    assert nothing.status_code == 409
    assert nothing.json()["error"]["code"] == "nothing_to_refund"
    refunds = [c for c in payment.events.filter(kind="request") if "refund" in str(c.raw)]
    assert len(refunds) == 2
    assert payment_events(order)[-2:] == [
        ("paid", "partially_refunded"),
        ("partially_refunded", "refunded"),
    ]
    assert order.events.last().actor_label == "own"


def test_refund_needs_a_reason(owner_client, paid_by_snap):
    order, _ = paid_by_snap
    response = act(owner_client, order, "refund", {"amount": "1000"})
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["details"]


def test_only_owners_refund(officer_client, customer_client, paid_by_snap):
    order, payment = paid_by_snap
    response = act(officer_client, order, "refund", {"reason": "I am the cashier"})
    assert response.status_code == 403
    assert "owner role" in response.json()["error"]["message"]
    assert act(customer_client, order, "refund", {"reason": "Mine"}).status_code == 403
    payment.refresh_from_db()
    assert payment.refunded_amount == 0


def test_paid_twice_is_flagged_and_refunds_name_the_payment(
    gw, pay_merchant, officer_client, owner_client, worked_example
):
    snap = start_snap(officer_client, worked_example)
    # Cash at the counter while the customer's Snap payment was still going through.
    act(officer_client, worked_example, "pay-cash", {"amount_paid": "51800"})
    apply_midtrans(snap, "settlement")

    order = Order.objects.get(pk=worked_example.pk)
    assert order.payment_status == "paid"
    last = order.events.filter(kind=OrderEvent.Kind.PAYMENT).last()
    assert last.payload["note"] == "Paid more than once: refund the extra payment."

    response = act(owner_client, order, "refund", {"reason": "Paid twice"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "payment_id_required"
    cash = Payment.objects.get(gateway="cash")
    assert sorted(response.json()["error"]["details"]["payment_ids"]) == sorted([snap.pk, cash.pk])

    refunded = act(owner_client, order, "refund", {"reason": "Paid twice", "payment_id": cash.pk})
    assert refunded.status_code == 200
    assert refunded.json()["payment"]["status"] == "refunded"
    assert refunded.json()["order_payment_status"] == "paid"  # the Snap payment still stands

    foreign = PaymentFactory(merchant=pay_merchant, reference_id="999999", status="paid")
    response = act(owner_client, order, "refund", {"reason": "x", "payment_id": foreign.pk})
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"payment_id": ["Not a payment of this order."]}


# --- who may ------------------------------------------------------------------------------------


def test_a_customer_cannot_pay_check_or_refund_someone_elses_order(
    gw, pay_merchant, customer_client, merchant, kopi
):
    someone = CustomerFactory(merchant=merchant)
    theirs = OrderFactory(merchant=merchant, customer=someone, total_amount=Decimal(18000))
    PaymentFactory(merchant=merchant, reference_id=str(theirs.pk), amount=Decimal(18000))
    for action in ("create-payment", "check-status", "cancel-payment"):
        response = act(customer_client, theirs, action)
        assert response.status_code == 404, action
    for action in ("refund", "pay-cash", "expire-payment"):
        assert act(customer_client, theirs, action, {"reason": "x"}).status_code == 403, action
    assert len(gw.calls) == 0
    assert Payment.objects.get().status == "pending"


def test_a_customer_token_reaches_no_order_of_another_merchant(
    gw, customer_client, customer, other_merchant
):
    # Even one placed by a customer there with the same email: the token names a customer row.
    namesake = CustomerFactory(merchant=other_merchant, email=customer.email)
    theirs = OrderFactory(merchant=other_merchant, customer=namesake, total_amount=Decimal(18000))
    PaymentFactory(merchant=other_merchant, reference_id=str(theirs.pk), amount=Decimal(18000))
    for action in ("create-payment", "check-status", "cancel-payment"):
        assert act(customer_client, theirs, action).status_code == 404, action
    assert customer_client.get(f"{URL}/{theirs.pk}").status_code == 404
    assert customer_client.get(f"{URL}/my-orders").json()["count"] == 0
    assert len(gw.calls) == 0
    assert Payment.objects.get().status == "pending"


# --- reads ----------------------------------------------------------------------------------------


def test_order_detail_lists_payments_in_constant_queries(officer_client, merchant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    order = OrderFactory(merchant=merchant)
    officer_client.get(f"{URL}/{order.pk}")  # warm the caches of the first request
    queries = []
    for extra in (1, 5):
        for _ in range(extra):
            PaymentFactory(merchant=merchant, reference_id=str(order.pk), gateway="cash")
        with CaptureQueriesContext(connection) as captured:
            body = officer_client.get(f"{URL}/{order.pk}").json()
        queries.append(len(captured))
    assert len(body["payments"]) == 6
    assert queries[0] == queries[1] <= 6
    assert set(body["payments"][0]) >= {"id", "gateway", "status", "amount", "redirect_url"}
    assert "received_by" not in body["payments"][0]
