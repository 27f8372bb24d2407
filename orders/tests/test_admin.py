import pytest
from django.urls import reverse

from orders.tests.factories import OrderFactory
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["owner", "officer"])
def test_order_page_shows_how_it_was_paid_read_only(client, request, merchant, role):
    order = OrderFactory(merchant=merchant, payment_status="paid")
    cash = PaymentFactory(
        merchant=merchant, reference_id=str(order.pk), gateway="cash", method="cash", status="paid"
    )
    snap = PaymentFactory(merchant=merchant, reference_id=str(order.pk), status="cancelled")
    PaymentFactory(merchant=merchant, reference_id="999999", gateway_order_id="SOMEONE-ELSE")
    client.force_login(request.getfixturevalue(role))

    page = client.get(reverse("admin:orders_order_change", args=[order.pk]))

    assert page.status_code == 200
    text = page.text
    assert reverse("admin:payments_payment_change", args=[cash.pk]) in text
    assert snap.gateway_order_id in text
    assert "SOMEONE-ELSE" not in text
    assert "Cancelled" in text
    assert 'name="payment_status"' not in text
    assert 'name="payments_overview"' not in text


def test_an_unpaid_order_says_so(client, owner, merchant):
    order = OrderFactory(merchant=merchant)
    client.force_login(owner)
    page = client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert "No payment yet." in page.text
