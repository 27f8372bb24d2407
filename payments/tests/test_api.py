from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from payments.models import Payment, PaymentEvent
from payments.tests import stubs
from payments.tests.factories import PaymentEventFactory, PaymentFactory

pytestmark = pytest.mark.django_db
Status = Payment.Status
URL = "/api/v1/payments"


def ids(response):
    return [row["id"] for row in response.json()["results"]]


def test_list_shape_and_query_count(officer_client, pay_merchant, django_assert_max_num_queries):
    for _ in range(5):
        PaymentFactory(merchant=pay_merchant)
    with django_assert_max_num_queries(6):
        response = officer_client.get(URL)
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 5
    row = data["results"][0]
    assert row["amount"] == "150000.00"
    assert row["refundable_amount"] == "0.00"
    assert "events" not in row


def test_filters(officer_client, pay_merchant):
    snap = PaymentFactory(merchant=pay_merchant, reference_kind="order", reference_id="7")
    qris = PaymentFactory(
        merchant=pay_merchant,
        reference_kind="photo_session",
        reference_id="TRX-1",
        gateway=Payment.Gateway.XENDIT,
        method=Payment.Method.QRIS,
        status=Status.PAID,
    )
    assert ids(officer_client.get(URL, {"gateway": "xendit"})) == [qris.pk]
    assert ids(officer_client.get(URL, {"status": "pending"})) == [snap.pk]
    assert ids(officer_client.get(URL, {"reference_kind": "order", "reference_id": "7"})) == [
        snap.pk
    ]
    assert ids(officer_client.get(URL, {"search": "TRX-1"})) == [qris.pk]
    assert officer_client.get(URL, {"status": "bogus"}).status_code == 400


def test_date_range_filter(officer_client, pay_merchant):
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=3)):
        old = PaymentFactory(merchant=pay_merchant)
    new = PaymentFactory(merchant=pay_merchant)
    since = (now - timedelta(days=1)).isoformat()
    assert ids(officer_client.get(URL, {"created_after": since})) == [new.pk]
    assert ids(officer_client.get(URL, {"created_before": since})) == [old.pk]


def test_detail_nests_events_in_order(officer_client, paid):
    PaymentEventFactory(payment=paid, kind=PaymentEvent.Kind.NOTIFICATION)
    response = officer_client.get(f"{URL}/{paid.pk}")
    assert response.status_code == 200
    events = response.json()["events"]
    assert [e["kind"] for e in events] == ["status_check", "notification"]
    assert events[0]["new_status"] == "paid"
    assert response.json()["refundable_amount"] == "150000.00"


def test_payments_cannot_be_written_through_the_api(owner_client, paid):
    assert owner_client.post(URL, {}, format="json").status_code == 405
    assert owner_client.delete(f"{URL}/{paid.pk}").status_code == 405


def test_officer_checks_status(gw, officer_client, pay_merchant):
    payment = PaymentFactory(merchant=pay_merchant, amount=Decimal("150000"))
    stubs.stub_status(payment.gateway_order_id, "settlement", 150000)
    response = officer_client.post(f"{URL}/{payment.pk}/check-status")
    assert response.status_code == 200
    assert response.json()["status"] == "paid"


def test_check_status_outage_is_a_502_with_a_clear_message(gw, officer_client, pay_merchant):
    payment = PaymentFactory(merchant=pay_merchant)
    stubs.stub_core_error("GET", f"/v2/{payment.gateway_order_id}/status", status=503)
    response = officer_client.post(f"{URL}/{payment.pk}/check-status/")
    assert response.status_code == 502
    assert "Midtrans" in response.json()["error"]["message"]


def test_owner_refunds_part_then_the_rest(gw, owner_client, paid):
    stubs.stub_refund(paid.gateway_order_id, 150000, refund_amount=40000, partial=True)
    response = owner_client.post(
        f"{URL}/{paid.pk}/refund", {"amount": "40000", "reason": "Cold"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "partially_refunded"
    assert response.json()["refundable_amount"] == "110000.00"

    too_much = owner_client.post(
        f"{URL}/{paid.pk}/refund", {"amount": "110001", "reason": "x"}, format="json"
    )
    assert too_much.status_code == 400
    assert "amount" in too_much.json()["error"]["details"]

    stubs.stub_refund(paid.gateway_order_id, 150000, refund_amount=150000, partial=False)
    rest = owner_client.post(f"{URL}/{paid.pk}/refund", {"reason": "Left"}, format="json")
    assert rest.json()["status"] == "refunded"


def test_refund_needs_a_reason_and_an_owner(gw, owner_client, officer_client, paid):
    missing = owner_client.post(f"{URL}/{paid.pk}/refund", {}, format="json")
    assert missing.status_code == 400
    assert missing.json()["error"]["message"].startswith("reason")
    denied = officer_client.post(f"{URL}/{paid.pk}/refund", {"reason": "x"}, format="json")
    assert denied.status_code == 403
    assert len(gw.calls) == 0


def test_refund_of_a_pending_payment_is_409(owner_client, pay_merchant):
    payment = PaymentFactory(merchant=pay_merchant)
    response = owner_client.post(f"{URL}/{payment.pk}/refund", {"reason": "x"}, format="json")
    assert response.status_code == 409
