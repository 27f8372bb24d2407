"""The paid receipt email: sent once, retried on failure, never for cancelled orders."""

from smtplib import SMTPException
from unittest import mock

import pytest

from orders.models import Order
from orders.receipts import order_receipt_send
from orders.tasks import order_receipt_send_task
from orders.tests.conftest import lines

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders"


@pytest.fixture
def paid_order(officer_client, nasi_goreng, customer):
    response = officer_client.post(
        URL, {"lines": lines((nasi_goreng, 2)), "customer_id": customer.pk}, format="json"
    )
    order = Order.objects.get(pk=response.json()["id"])
    # Paid without running the on-commit receipt, so each test sends it itself.
    officer_client.post(f"{URL}/{order.pk}/pay-cash", {"amount_paid": "51800"}, format="json")
    order.refresh_from_db()
    assert (order.payment_status, order.receipt_sent_at) == ("paid", None)
    return order


def test_a_second_delivery_of_the_task_sends_nothing(paid_order, mailoutbox):
    assert order_receipt_send_task.delay(paid_order.pk).get() is True
    assert order_receipt_send_task.delay(paid_order.pk).get() is False
    assert len(mailoutbox) == 1
    paid_order.refresh_from_db()
    assert paid_order.receipt_sent_at is not None


def test_a_failed_send_is_released_for_the_retry(paid_order, mailoutbox):
    with (
        mock.patch("orders.receipts.send_templated_email", side_effect=SMTPException("down")),
        pytest.raises(SMTPException),
    ):
        order_receipt_send(order_id=paid_order.pk)
    paid_order.refresh_from_db()
    assert paid_order.receipt_sent_at is None
    assert order_receipt_send(order_id=paid_order.pk) is True
    assert len(mailoutbox) == 1


def test_the_task_retries_smtp_errors_with_backoff():
    assert order_receipt_send_task.autoretry_for == (SMTPException, OSError)
    assert order_receipt_send_task.retry_backoff is True
    assert order_receipt_send_task.acks_late is True


@pytest.mark.parametrize(
    "change",
    [
        {"status": "cancelled"},
        {"payment_status": "unpaid"},
        {"customer": None},
    ],
    ids=["cancelled", "unpaid", "walk-in"],
)
def test_nothing_is_sent_when_there_is_no_one_or_nothing_to_thank_for(
    paid_order, mailoutbox, change
):
    Order.objects.filter(pk=paid_order.pk).update(**change)
    assert order_receipt_send(order_id=paid_order.pk) is False
    assert mailoutbox == []


def test_a_disabled_customer_gets_nothing(paid_order, customer, mailoutbox):
    customer.is_active = False
    customer.save()
    assert order_receipt_send(order_id=paid_order.pk) is False
    assert mailoutbox == []


def test_the_receipt_is_queued_once_on_commit_when_paid(
    officer_client, nasi_goreng, customer, django_capture_on_commit_callbacks
):
    response = officer_client.post(
        URL, {"lines": lines((nasi_goreng, 1)), "customer_id": customer.pk}, format="json"
    )
    order_id = response.json()["id"]
    with (
        mock.patch("orders.tasks.order_receipt_send_task.delay") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        officer_client.post(f"{URL}/{order_id}/pay-cash", {"amount_paid": "50000"}, format="json")
    queued.assert_called_once_with(order_id)


def test_the_receipt_lists_options_the_staff_discount_and_each_tender(
    owner_client, merchant, customer, kopi, mailoutbox
):
    from catalog.tests.factories import (
        ModifierGroupFactory,
        ModifierOptionFactory,
        ProductModifierGroupFactory,
    )
    from payments.tests.factories import PaymentMethodFactory

    size = ModifierGroupFactory(merchant=merchant, name="Size", min_select=1)
    large = ModifierOptionFactory(group=size, name="Large", price_delta=5000)
    ProductModifierGroupFactory(product=kopi, group=size)
    card = PaymentMethodFactory(merchant=merchant, kind="card", name="BCA EDC")
    cash = PaymentMethodFactory(merchant=merchant, kind="cash", name="Cash")
    body = {
        "lines": [{"product_id": kopi.pk, "qty": 2, "modifier_option_ids": [large.pk]}],
        "customer_id": customer.pk,
    }
    order = owner_client.post(URL, body, format="json").json()  # 2 × 23000
    url = f"{URL}/{order['id']}"
    discount = {"kind": "amount", "value": "6000", "reason": "Birthday"}
    owner_client.post(f"{url}/discount", discount, format="json")  # 40000 left
    owner_client.post(f"{url}/payments", {"method_id": card.pk, "amount": "25000"}, format="json")
    owner_client.post(f"{url}/payments", {"method_id": cash.pk, "amount": "20000"}, format="json")
    assert order_receipt_send(order_id=order["id"]) is True
    [mail] = mailoutbox
    text = mail.body
    # Amounts as the merchant's language writes them (English here; Indonesian: test_i18n.py)
    assert "Large (+IDR 5,000)" in text
    assert "Discount (Birthday) -IDR 6,000" in text
    assert "BCA EDC  IDR 25,000" in text
    assert "Cash  IDR 15,000 (cash given IDR 20,000, change IDR 5,000)" in text
    html = mail.alternatives[0][0]
    assert "Discount (Birthday)" in html
    assert "by BCA EDC" in html
