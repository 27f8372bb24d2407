"""Money received by method: from Payment rows only, net of refunds, in local days."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from payments.models import Payment
from payments.reports import panel_payment_methods, received_totals
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db
WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 3, 31, 20, 0, tzinfo=WIB)
Status, Method = Payment.Status, Payment.Method


def pay(merchant, amount, *, method=Method.QRIS, status=Status.PAID, refunded=0, paid_at=NOW, **kw):
    return PaymentFactory(
        merchant=merchant,
        method=method,
        gateway=Payment.Gateway.CASH if method == Method.CASH else Payment.Gateway.MIDTRANS,
        amount=Decimal(amount),
        status=status,
        refunded_amount=Decimal(refunded),
        paid_at=paid_at,
        **kw,
    )


@pytest.fixture
def month(merchant, other_merchant, officer):
    # the window is 2 March 00:00 .. 31 March 24:00 in Jakarta
    pay(merchant, 50000, method=Method.CASH, received_by=officer)
    pay(merchant, 30000, method=Method.CASH, status=Status.PARTIALLY_REFUNDED, refunded=10000)
    pay(merchant, 20000, status=Status.REFUNDED, refunded=20000)
    pay(merchant, 40000, reference_kind="photo_session")  # any kind of sale counts
    pay(merchant, 70000, method=Method.SNAP, paid_at=datetime(2026, 3, 2, 0, 5, tzinfo=WIB))
    # not counted: before the window (1 March 23:55 local = 16:55Z), not paid, another shop
    pay(merchant, 11000, paid_at=datetime(2026, 3, 1, 23, 55, tzinfo=WIB))
    pay(merchant, 12000, status=Status.PENDING, paid_at=None)
    pay(merchant, 13000, status=Status.FAILED)
    pay(merchant, 14000, status=Status.CANCELLED)
    pay(other_merchant, 99000)


def test_payment_methods_panel(merchant, month, django_assert_num_queries):
    with django_assert_num_queries(1):
        data = panel_payment_methods(merchant=merchant, now=NOW)
    assert (data.period_from.isoformat(), data.period_to.isoformat()) == (
        "2026-03-02",
        "2026-03-31",
    )
    assert dict(zip(data.labels, data.datasets[0].data, strict=True)) == {
        "Snap (customer picks the method)": "70000.00",
        "QRIS": "40000.00",  # 20000 refunded in full + 40000
        "Cash": "70000.00",  # 50000 + 30000 − 10000
    }


def test_received_totals_split_cash_by_cashier(merchant, month, officer):
    totals = received_totals(Payment.objects.filter(merchant=merchant, paid_at__gte=NOW))
    assert (totals.cash, totals.non_cash) == (Decimal(70000), Decimal(40000))
    assert totals.cash_by_cashier == {
        officer.pk: ("off", Decimal(50000)),
        None: (None, Decimal(20000)),
    }
    qris = totals.methods["qris"]
    assert (qris.payments, qris.amount, qris.refunds, qris.net) == (
        2,
        Decimal(60000),
        Decimal(20000),
        Decimal(40000),
    )
