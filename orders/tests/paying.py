"""Paying orders through the API, as the order payment tests do it."""

from decimal import Decimal

import pytest

from orders.models import Order, OrderEvent
from orders.tests.conftest import lines
from payments.models import Payment
from payments.tests import stubs

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
