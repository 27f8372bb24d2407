"""How an order's payment status follows from all its payments."""

from decimal import Decimal

import pytest

from orders.models import Order
from orders.payment_status import order_payment_status_for
from payments.models import Payment

P = Payment.Status
O = Order.PaymentStatus  # noqa: E741


def payments(*statuses):
    """Newest first, as the selector answers."""
    return [Payment(status=status, amount=Decimal(100)) for status in statuses]


@pytest.mark.parametrize(
    ("statuses", "current", "expected"),
    [
        ((), O.UNPAID, O.UNPAID),
        ((P.PENDING,), O.UNPAID, O.PENDING),
        ((P.PAID,), O.PENDING, O.PAID),
        ((P.FAILED,), O.PENDING, O.FAILED),
        ((P.EXPIRED,), O.PENDING, O.EXPIRED),
        ((P.CANCELLED,), O.PENDING, O.UNPAID),  # an abandoned attempt: pay again
        ((P.PENDING, P.EXPIRED), O.PENDING, O.PENDING),  # a second attempt is still open
        ((P.PAID, P.CANCELLED), O.PENDING, O.PAID),  # cash after a cancelled Snap attempt
        ((P.PAID, P.EXPIRED), O.EXPIRED, O.PAID),  # a late settlement after the expiry
        ((P.PARTIALLY_REFUNDED,), O.PAID, O.PARTIALLY_REFUNDED),
        ((P.REFUNDED,), O.PARTIALLY_REFUNDED, O.REFUNDED),
        ((P.REFUNDED, P.PAID), O.PAID, O.PAID),  # paid twice, the extra one refunded
        ((P.REFUNDED, P.PARTIALLY_REFUNDED), O.PAID, O.PARTIALLY_REFUNDED),
        ((P.REFUNDED, P.REFUNDED), O.PAID, O.REFUNDED),
        ((P.FAILED,), O.PAID, O.FAILED),  # a settlement reversed to deny
        ((P.CANCELLED,), O.PAID, O.FAILED),  # a card capture voided: the money went back
    ],
)
def test_payment_status_for(statuses, current, expected):
    assert order_payment_status_for(payments(*statuses), current=current) == expected


def tender(status, amount, refunded=0, gateway="manual"):
    return Payment(
        status=status, amount=Decimal(amount), refunded_amount=Decimal(refunded), gateway=gateway
    )


@pytest.mark.parametrize(
    ("tenders", "expected"),
    [
        ([tender(P.PAID, 30000)], O.UNPAID),  # part paid: the rest is due
        ([tender(P.PENDING, 21750), tender(P.PAID, 30000)], O.PENDING),
        ([tender(P.PAID, 21750), tender(P.PAID, 30000)], O.PAID),
        # 21749 left, cash rounds it to 21700: 49 short is paid; not by card.
        ([tender(P.PAID, 21700, gateway="cash"), tender(P.PAID, 30001)], O.PAID),
        ([tender(P.PAID, 21700), tender(P.PAID, 30001)], O.UNPAID),
        ([tender(P.REFUNDED, 21750, 21750), tender(P.PAID, 30000)], O.PARTIALLY_REFUNDED),
        ([tender(P.REFUNDED, 21750, 21750), tender(P.REFUNDED, 30000, 30000)], O.REFUNDED),
        ([tender(P.REFUNDED, 51750, 51750), tender(P.PAID, 51750)], O.PAID),  # paid twice
    ],
)
def test_payment_status_of_split_tenders(tenders, expected):
    from orders.payment_status import cash_tolerance

    due = Decimal(51750)
    tolerance = cash_tolerance(tenders, "IDR")
    status = order_payment_status_for(tenders, current=O.UNPAID, due=due, tolerance=tolerance)
    assert status == expected
