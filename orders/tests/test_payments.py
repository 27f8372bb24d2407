"""Paying orders: Snap, cash, check, cancel, expire, refund, and what the order then shows.

The real midtransclient runs against `responses` stubs (payments/tests/stubs.py).
"""

import json
from decimal import Decimal
from unittest import mock

import pytest
import responses
from django.utils import timezone

from customers.tests.factories import CustomerFactory
from orders.models import Order, OrderEvent
from orders.services import order_release_stock
from orders.tests.conftest import lines
from orders.tests.factories import OrderFactory
from payments.models import Payment, PaymentEvent
from payments.tests import stubs
from payments.tests.factories import PaymentFactory, apply_midtrans

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders"
NOTIFY = "/api/v1/payments/midtrans/notification"


def place(client, *pairs, **extra) -> Order:
    response = client.post(URL, {"lines": lines(*pairs), **extra}, format="json")
    assert response.status_code == 201, response.content
    return Order.objects.get(pk=response.json()["id"])


def act(client, order, action, body=None):
    return client.post(f"{URL}/{order.pk}/{action}", body or {}, format="json")


def start_snap(client, order) -> Payment:
    stubs.stub_snap_create()
    response = act(client, order, "create-payment")
    assert response.status_code == 201, response.content
    return Payment.objects.get(pk=response.json()["payment_id"])


def payment_events(order):
    return list(
        order.events.filter(kind=OrderEvent.Kind.PAYMENT).values_list("from_status", "to_status")
    )


def settle_by_notification(api_client, payment, status="settlement"):
    """Midtrans tells us (signed), and its status API confirms."""
    stubs.stub_status(payment.gateway_order_id, status, payment.amount)
    body = stubs.midtrans_notification(payment.gateway_order_id, status, payment.amount)
    return api_client.post(NOTIFY, body, format="json")


@pytest.fixture
def worked_example(pay_merchant, customer_client, nasi_goreng):
    """2 × Nasi Goreng ordered by Ani from her phone: total 51750, rounded 51800."""
    order = place(customer_client, (nasi_goreng, 2))
    assert (order.total_amount, order.rounded_amount) == (Decimal(51750), Decimal(51800))
    return order


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
        for figure in ("Rp 50.000", "Rp 5.000", "Rp 4.500", "Rp 2.250", "Rp 51.750", "QRIS"):
            assert figure in text, figure
    assert "Subtotal        Rp 50.000" in mail.body
    assert "Discount       -Rp 5.000" in mail.body
    assert "Total           Rp 51.750" in mail.body
    assert "Paid            Rp 51.750 by QRIS on " in mail.body
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
    assert "Paid            Rp 51.800 by Cash" in mail
    assert "Cash given      Rp 60.000" in mail
    assert "Change          Rp 8.200" in mail


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


# --- cancelling the order -------------------------------------------------------------------


def test_cancelling_the_order_cancels_its_open_charge(
    gw, officer_client, worked_example, django_capture_on_commit_callbacks
):
    payment = start_snap(officer_client, worked_example)
    stubs.stub_cancel(payment.gateway_order_id, payment.amount)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(officer_client, worked_example, "cancel", {"reason": "Left"})
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == "cancelled"
    assert gw.calls[-1].request.url == stubs.core_url(f"/v2/{payment.gateway_order_id}/cancel")
    order = Order.objects.get(pk=worked_example.pk)
    assert (order.status, order.payment_status) == ("cancelled", "unpaid")


def test_a_gateway_failure_does_not_undo_the_cancel(
    gw, officer_client, worked_example, django_capture_on_commit_callbacks, caplog
):
    payment = start_snap(officer_client, worked_example)
    stubs.stub_core_error(responses.POST, f"/v2/{payment.gateway_order_id}/cancel")
    with django_capture_on_commit_callbacks(execute=True):
        response = act(officer_client, worked_example, "cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    payment.refresh_from_db()
    assert payment.status == "pending"  # reconciliation will find it expired or cancelled
    assert "Could not cancel payment" in caplog.text


# --- the open charge is cancelled by a task, after commit ---------------------------------------


@pytest.fixture
def cancel_task():
    from orders.tasks import order_cancel_open_payments_task

    return order_cancel_open_payments_task


@pytest.fixture
def worker_retries():
    """Eager Celery that does not propagate runs a task's retries inline, back to back, as a
    worker would run them after their countdowns (with propagation the Retry itself escapes)."""
    from celery import current_app as app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


def cancel_calls(gw, payment) -> int:
    url = stubs.core_url(f"/v2/{payment.gateway_order_id}/cancel")
    return sum(call.request.url == url for call in gw.calls)


CLOSE_ORDER = {"cancel": {"reason": "Left"}, "pay-cash": {"amount_paid": "60000"}}


@pytest.mark.parametrize("action", CLOSE_ORDER)
def test_the_answer_never_waits_for_the_gateway_the_task_is_queued_after_commit(
    gw, officer_client, worked_example, cancel_task, django_capture_on_commit_callbacks, action
):
    payment = start_snap(officer_client, worked_example)
    with (
        mock.patch.object(cancel_task, "delay") as queued,
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        response = act(officer_client, worked_example, action, CLOSE_ORDER[action])
        assert response.status_code == 200, response.content
        queued.assert_not_called()
    assert cancel_calls(gw, payment) == 0  # no gateway call inside the request
    order = Order.objects.get(pk=worked_example.pk)
    assert (order.status, order.payment_status) == {
        "cancel": ("cancelled", "pending"),
        "pay-cash": ("pending", "paid"),
    }[action]
    with mock.patch.object(cancel_task, "delay") as queued:
        for callback in callbacks:  # the commit
            callback()
    queued.assert_called_once_with(worked_example.pk)


def test_a_cancel_rolled_back_queues_nothing(
    gw, officer_client, worked_example, cancel_task, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from orders.services import SYSTEM, order_cancel

    def cancel_then_fail():
        with transaction.atomic():
            order_cancel(order=worked_example, actor=SYSTEM)
            raise RuntimeError("a later step failed")

    start_snap(officer_client, worked_example)
    with (
        mock.patch.object(cancel_task, "delay") as queued,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        cancel_then_fail()
    assert callbacks == []
    queued.assert_not_called()
    assert Order.objects.get(pk=worked_example.pk).status == "pending"


def test_cash_refused_queues_nothing(
    gw, officer_client, worked_example, cancel_task, django_capture_on_commit_callbacks
):
    snap = start_snap(officer_client, worked_example)
    with (
        mock.patch.object(cancel_task, "delay") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = act(officer_client, worked_example, "pay-cash", {"amount_paid": "100"})
    assert response.status_code == 400
    queued.assert_not_called()
    snap.refresh_from_db()
    assert snap.status == "pending"


@pytest.mark.parametrize("failure", ["outage page", "json 500", "timeout"])
def test_a_slow_or_failing_gateway_is_retried_and_the_next_try_cancels(
    gw,
    officer_client,
    worked_example,
    cancel_task,
    worker_retries,
    django_capture_on_commit_callbacks,
    failure,
):
    payment = start_snap(officer_client, worked_example)
    path = f"/v2/{payment.gateway_order_id}/cancel"
    if failure == "outage page":
        stubs.stub_core_error(responses.POST, path, status=503)
    elif failure == "json 500":
        gw.add(responses.POST, stubs.core_url(path), status=500, json={"status_code": "500"})
    else:
        stubs.stub_timeout(responses.POST, stubs.core_url(path))
    stubs.stub_cancel(payment.gateway_order_id, payment.amount)  # answers every later call
    with (
        mock.patch.object(cancel_task, "retry", wraps=cancel_task.retry) as retried,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = act(officer_client, worked_example, "cancel")
    assert response.status_code == 200
    assert cancel_calls(gw, payment) == 2
    payment.refresh_from_db()
    assert payment.status == "cancelled"
    order = Order.objects.get(pk=worked_example.pk)
    assert (order.status, order.payment_status) == ("cancelled", "unpaid")
    retried.assert_called_once()
    assert 0 <= retried.call_args.kwargs["countdown"] <= 10  # backoff, full jitter


def test_retries_are_bounded_then_left_to_reconciliation(
    gw, officer_client, worked_example, cancel_task, worker_retries, caplog
):
    from orders.tasks import CANCEL_MAX_RETRIES

    payment = start_snap(officer_client, worked_example)
    stubs.stub_core_error(responses.POST, f"/v2/{payment.gateway_order_id}/cancel")
    with mock.patch.object(cancel_task, "retry", wraps=cancel_task.retry) as retried:
        assert cancel_task.delay(worked_example.pk).get() == 0
    assert cancel_calls(gw, payment) == 1 + CANCEL_MAX_RETRIES
    countdowns = [call.kwargs["countdown"] for call in retried.call_args_list]
    assert len(countdowns) == CANCEL_MAX_RETRIES
    assert all(0 <= wait <= 300 for wait in countdowns)
    payment.refresh_from_db()
    assert payment.status == "pending"
    assert f"Gave up cancelling the open charges of order {worked_example.pk}" in caplog.text


def test_a_gateway_refusal_is_not_retried(
    gw, officer_client, worked_example, cancel_task, worker_retries, caplog
):
    payment = start_snap(officer_client, worked_example)
    gw.add(
        responses.POST,
        stubs.core_url(f"/v2/{payment.gateway_order_id}/cancel"),
        json={"status_code": "412", "status_message": "Merchant cannot modify the status"},
    )
    assert cancel_task.delay(worked_example.pk).get() == 0
    assert cancel_calls(gw, payment) == 1
    payment.refresh_from_db()
    assert payment.status == "pending"  # settled meanwhile? reconciliation will say
    assert "Merchant cannot modify the status" in caplog.text
    assert "Gave up" not in caplog.text


def test_the_task_run_twice_cancels_once(
    gw, officer_client, worked_example, cancel_task, django_capture_on_commit_callbacks
):
    payment = start_snap(officer_client, worked_example)
    stubs.stub_cancel(payment.gateway_order_id, payment.amount)
    with django_capture_on_commit_callbacks(execute=True):
        act(officer_client, worked_example, "cancel")
    assert cancel_task.delay(worked_example.pk).get() == 0  # redelivered
    assert cancel_calls(gw, payment) == 1
    assert PaymentEvent.objects.filter(payment=payment, kind=PaymentEvent.Kind.CANCEL).count() == 1
    assert payment_events(Order.objects.get(pk=worked_example.pk)) == [
        ("unpaid", "pending"),
        ("pending", "unpaid"),
    ]


@pytest.mark.parametrize("status", ["settlement", "expire"])
def test_a_charge_that_ended_meanwhile_is_left_alone(
    gw, officer_client, worked_example, cancel_task, status
):
    payment = start_snap(officer_client, worked_example)
    apply_midtrans(payment, status)
    assert cancel_task.delay(worked_example.pk).get() == 0
    assert cancel_calls(gw, payment) == 0  # an unstubbed call would have failed loudly


def test_money_for_a_charge_the_task_could_not_cancel_is_recorded_for_a_refund(
    gw, api_client, officer_client, worked_example, mailoutbox, django_capture_on_commit_callbacks
):
    """The safety net: the gateway stayed down, the customer paid the still-open Snap, and the
    reconciliation beat finds the money."""
    from datetime import timedelta

    import time_machine

    from payments.tasks import payment_reconcile_pending_task

    payment = start_snap(officer_client, worked_example)
    stubs.stub_core_error(responses.POST, f"/v2/{payment.gateway_order_id}/cancel")
    with django_capture_on_commit_callbacks(execute=True):
        assert act(officer_client, worked_example, "cancel").status_code == 200
    payment.refresh_from_db()
    assert payment.status == "pending"

    stubs.stub_status(payment.gateway_order_id, "settlement", payment.amount)
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=10)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert payment_reconcile_pending_task() == {"checked": 1, "changed": 1, "failed": 0}
    order = Order.objects.get(pk=worked_example.pk)
    assert (order.status, order.payment_status) == ("cancelled", "paid")
    late = order.events.filter(kind=OrderEvent.Kind.PAYMENT).last()
    assert (late.from_status, late.to_status) == ("pending", "paid")
    assert late.payload["note"] == "Paid after the order was cancelled: refund it."
    assert mailoutbox == []  # no receipt for an order the customer will not get


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


def test_an_order_cancelled_while_midtrans_answers_gets_no_open_charge(
    gw, officer_client, worked_example, django_capture_on_commit_callbacks
):
    from orders import services

    real_create = services.payment_create_snap

    def cancelled_meanwhile(**kwargs):
        payment = real_create(**kwargs)
        Order.objects.filter(pk=worked_example.pk).update(status="cancelled")
        stubs.stub_cancel(payment.gateway_order_id, payment.amount)
        return payment

    stubs.stub_snap_create()
    with (
        mock.patch.object(services, "payment_create_snap", side_effect=cancelled_meanwhile),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = act(officer_client, worked_example, "create-payment")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "order_cancelled"
    payment = Payment.objects.get()
    assert payment.status == "cancelled"
    assert gw.calls[-1].request.url == stubs.core_url(f"/v2/{payment.gateway_order_id}/cancel")
