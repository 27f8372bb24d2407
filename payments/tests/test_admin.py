from decimal import Decimal

import pytest
from django.urls import reverse

from payments import registry
from payments.models import Payment
from payments.tests import stubs
from payments.tests.factories import PaymentEventFactory, PaymentFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:payments_payment_changelist")


@pytest.fixture
def admin_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_pages_are_read_only_and_scoped(admin_for, owner, paid, other_merchant):
    theirs = PaymentFactory(merchant=other_merchant, gateway_order_id="THEIRS-1")
    PaymentEventFactory(payment=paid, message="from the gateway")
    client = admin_for(owner)
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert paid.gateway_order_id in page.text
    assert "THEIRS-1" not in page.text
    assert client.get(CHANGELIST, {"q": paid.gateway_order_id}).status_code == 200
    assert (
        client.get(CHANGELIST, {"gateway__exact": "midtrans", "status__exact": "paid"}).status_code
        == 200
    )
    detail = client.get(reverse("admin:payments_payment_change", args=[paid.pk]))
    assert detail.status_code == 200
    assert "from the gateway" in detail.text
    assert 'name="amount"' not in detail.text  # shown, never editable
    assert client.get(reverse("admin:payments_payment_add")).status_code == 403
    assert client.get(reverse("admin:payments_payment_change", args=[theirs.pk])).status_code == 302


def test_refresh_status_action(gw, admin_for, officer, pay_merchant):
    payment = PaymentFactory(merchant=pay_merchant, amount=Decimal("150000"))
    stubs.stub_status(payment.gateway_order_id, "settlement", 150000)
    told = []

    def owner_of_the_reference(payment, old_status, new_status, *, actor):
        told.append((new_status, actor.user, actor.label))

    # The owner (orders) writes its history from this actor: the staff member, not "system"
    # (orders/tests/test_payment_actors.py checks the order event itself).
    with registry.registered("order", owner_of_the_reference):
        response = admin_for(officer).post(
            CHANGELIST, {"action": "refresh_status", "_selected_action": [payment.pk]}, follow=True
        )
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID
    assert told == [(Payment.Status.PAID, officer, "off")]
