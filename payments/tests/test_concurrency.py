"""Two notifications or two refunds at the same moment: the row lock makes them take turns."""

from decimal import Decimal

import pytest

from merchants.actors import SYSTEM
from merchants.errors import DomainError
from merchants.testing import requires_postgres, run_concurrently
from payments.models import Payment, PaymentEvent
from payments.services import payment_apply_gateway_status, payment_refund
from payments.tests import stubs
from payments.tests.factories import PaymentFactory

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]
Status = Payment.Status


def test_simultaneous_settlements_are_applied_once(pay_merchant, status_changes):
    payment = PaymentFactory(merchant=pay_merchant, reference_id="42", amount=Decimal("150000"))
    payload = stubs.status_payload(payment.gateway_order_id, "settlement", 150000)

    results = run_concurrently(
        lambda i: (
            payment_apply_gateway_status(
                payment=payment,
                gateway_payload=payload,
                source=PaymentEvent.Kind.NOTIFICATION,
                actor=SYSTEM,
            ).status
        ),
        4,
    )

    assert results == [Status.PAID] * 4
    assert status_changes == [("42", Status.PENDING, Status.PAID)]
    assert payment.events.exclude(new_status="").count() == 1


def test_simultaneous_full_refunds_refund_once(gw, pay_merchant):
    payment = PaymentFactory(merchant=pay_merchant, amount=Decimal("150000"), status=Status.PAID)
    stubs.stub_refund(payment.gateway_order_id, 150000, refund_amount=150000, partial=False)

    results = run_concurrently(
        lambda i: payment_refund(payment=payment, actor=SYSTEM, reason="Twice?"), 3
    )

    refunded = [r for r in results if isinstance(r, Payment)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refunded) == 1
    assert len(refused) == 2
    assert len(gw.calls) == 1
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (Status.REFUNDED, Decimal("150000"))
