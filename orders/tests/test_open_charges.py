"""An order cancelled or paid in cash has its charges still open at a gateway cancelled: by a
task queued after commit, retried while the gateway may recover, and safe to run again."""

from datetime import timedelta
from unittest import mock

import pytest
import responses
import time_machine
from django.utils import timezone

from orders.models import Order, OrderEvent
from orders.tests.paying import act, payment_events, start_snap
from payments.models import Payment, PaymentEvent
from payments.tests import stubs
from payments.tests.factories import apply_midtrans

pytestmark = pytest.mark.django_db


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

    from merchants.actors import SYSTEM
    from orders.services import order_cancel

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


def test_an_order_cancelled_while_midtrans_answers_gets_no_open_charge(
    gw, officer_client, worked_example, django_capture_on_commit_callbacks
):
    from orders import payments

    real_create = payments.payment_create_snap

    def cancelled_meanwhile(**kwargs):
        payment = real_create(**kwargs)
        Order.objects.filter(pk=worked_example.pk).update(status="cancelled")
        stubs.stub_cancel(payment.gateway_order_id, payment.amount)
        return payment

    stubs.stub_snap_create()
    with (
        mock.patch.object(payments, "payment_create_snap", side_effect=cancelled_meanwhile),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = act(officer_client, worked_example, "create-payment")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "order_cancelled"
    payment = Payment.objects.get()
    assert payment.status == "cancelled"
    assert gw.calls[-1].request.url == stubs.core_url(f"/v2/{payment.gateway_order_id}/cancel")
