"""Redis down (cache and broker): orders are still taken and paid, and the receipt still goes,
once, after the broker is back."""

import pytest

from merchants.models import OutboxTask
from merchants.outbox import outbox_send_pending
from orders.models import Order
from orders.tasks import order_receipt_send_task
from orders.tests.conftest import lines

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders"


def test_an_order_is_taken_paid_and_its_receipt_sent_after_the_outage(
    cache_down,
    broker_down,
    officer_client,
    nasi_goreng,
    customer,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        created = officer_client.post(
            URL,
            {"lines": lines((nasi_goreng, 2)), "customer_id": customer.pk},
            format="json",
            HTTP_IDEMPOTENCY_KEY="outage-1",
        )
        assert created.status_code == 201, created.content
        order_id = created.json()["id"]
        replay = officer_client.post(
            URL,
            {"lines": lines((nasi_goreng, 2)), "customer_id": customer.pk},
            format="json",
            HTTP_IDEMPOTENCY_KEY="outage-1",
        )  # the idempotency records live in the database, not the cache
        assert (replay.status_code, replay.json()["id"]) == (201, order_id)
        paid = officer_client.post(
            f"{URL}/{order_id}/pay-cash", {"amount_paid": "51800"}, format="json"
        )
    assert paid.status_code == 200, paid.content
    assert Order.objects.get(pk=order_id).payment_status == "paid"
    kept = OutboxTask.objects.order_by("pk").values_list("task_name", "args")
    assert list(kept) == [
        ("orders.send_receipt", [order_id]),
        ("orders.cancel_open_payments", [order_id]),  # none open: the task finds nothing to do
    ]
    assert mailoutbox == []

    broker_down.restore()
    assert outbox_send_pending()["sent"] == 2
    assert [m.to for m in mailoutbox] == [[customer.email]]
    outbox_send_pending()
    assert order_receipt_send_task.delay(order_id).get() is False  # a second delivery: nothing
    assert len(mailoutbox) == 1
