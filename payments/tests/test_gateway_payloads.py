"""What each gateway module reads from its payloads: statuses, amounts, references, channels."""

from decimal import Decimal

import pytest

from payments.gateways import midtrans, xendit
from payments.models import Payment, PaymentEvent
from payments.selectors import payment_channel, payment_channel_label
from payments.tests import stubs
from payments.tests.factories import PaymentEventFactory, PaymentFactory

Status = Payment.Status


def test_midtrans_capture_is_paid_only_once_accepted():
    payload = stubs.status_payload("ORDER-1", "capture", 150000, fraud_status="challenge")
    held = midtrans.status_outcome(payload)
    assert (held.status, held.gateway_status) == (Status.PENDING, "capture/challenge")
    accepted = midtrans.status_outcome({**payload, "fraud_status": "accept"})
    assert (accepted.status, accepted.amount, accepted.reference) == (
        Status.PAID,
        Decimal("150000.00"),
        "ORDER-1",
    )
    assert accepted.key != held.key


def test_midtrans_refund_amount_and_unknown_status():
    refunded = midtrans.status_outcome(
        stubs.status_payload("ORDER-1", "partial_refund", 150000, refund_amount="50000.00")
    )
    assert (refunded.status, refunded.refunded_amount) == (
        Status.PARTIALLY_REFUNDED,
        Decimal("50000.00"),
    )
    assert midtrans.status_outcome({"transaction_status": "something_new"}).status is None


def test_xendit_qr_payment_names_its_qr_code():
    outcome = xendit.status_outcome(stubs.xendit_payment_data("qr_abc", "REF-1", 35000))
    assert (outcome.status, outcome.transaction_id, outcome.reference, outcome.amount) == (
        Status.PAID,
        "qr_abc",
        "REF-1",
        Decimal("35000.00"),
    )
    inactive = xendit.status_outcome(stubs.xendit_qr_payload("REF-1", 35000, status="INACTIVE"))
    assert inactive.status == Status.EXPIRED


@pytest.mark.parametrize("nested", [True, False], ids=["nested", "flat"])
def test_xendit_callbacks_are_read_flat_or_nested(nested):
    callback = xendit.callback_read(stubs.xendit_callback("qr_abc", "REF-1", 35000, nested=nested))
    assert (callback.reference, callback.qr_id) == ("REF-1", "qr_abc")
    assert callback.data["status"] == "SUCCEEDED"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("gateway", "raw", "channel", "label"),
    [
        ("midtrans", {"payment_type": "gopay"}, "gopay", "GoPay"),
        ("midtrans", {"payment_type": "new_wallet"}, "new_wallet", "New wallet"),
        ("midtrans", {"transaction_status": "pending"}, "", "Snap (customer picks the method)"),
        ("xendit", {"channel_code": "ID_DANA"}, "ID_DANA", "DANA (QRIS)"),
        # What one gateway calls its channel means nothing in the other's payloads.
        ("xendit", {"payment_type": "gopay"}, "", "Snap (customer picks the method)"),
    ],
)
def test_the_channel_is_read_from_stored_reports_by_the_payments_gateway(
    gateway, raw, channel, label
):
    payment = PaymentFactory(gateway=gateway)
    PaymentEventFactory(payment=payment, kind=PaymentEvent.Kind.REQUEST, raw={"payment_type": "x"})
    PaymentEventFactory(payment=payment, kind=PaymentEvent.Kind.NOTIFICATION, raw=raw)
    assert payment_channel(payment=payment) == channel
    assert payment_channel_label(payment=payment) == label


@pytest.mark.django_db
def test_cash_is_cash():
    payment = PaymentFactory(gateway=Payment.Gateway.CASH, method=Payment.Method.CASH)
    assert (payment_channel(payment=payment), payment_channel_label(payment=payment)) == (
        "cash",
        "Cash",
    )
