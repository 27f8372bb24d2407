"""Report figures against sales computed by hand, in Asia/Jakarta (UTC+7).

The day: Tuesday 10 March 2026 at Kopi Test.
  #1 08:00 A  2 × Nasi Goreng (25000, 10% off, tax 10%, service 5%): subtotal 50000,
              discount 5000, tax 4500, service 2250, total 51750; cash 51800 (rounded)
  #2 09:00 -  1 × Kopi 18000 ordered by the customer, paid by Snap
  #3 12:00 B  1 × Kopi 18000, QRIS, 8000 refunded later
  #4 13:00 B  1 × Kopi, cancelled                                  (not counted)
  #5 14:00 B  1 × Nasi Goreng, still unpaid: total 25875            (not counted, open)
  #6 23:30 A  2 × Kopi 36000, cash, refunded in full
  #7 00:30 on the 11th, A: 1 × Kopi 18000 cash — the next local day, though in UTC both
     #6 (16:30Z) and #7 (17:30Z) fall on the 10th.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from catalog.tests.factories import ProductFactory, PromotionFactory
from merchants.tests.factories import MembershipFactory
from orders import reports
from orders.tests.sales import ring_up

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
DAY = date(2026, 3, 10)
NEXT = date(2026, 3, 11)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=WIB)


@pytest.fixture
def nasi_goreng(merchant):
    """25000, 10% off all year, tax 10%, service 5%."""
    product = ProductFactory(
        merchant=merchant,
        name="Nasi Goreng",
        base_price=Decimal(25000),
        tax_percent=Decimal(10),
        service_charge_percent=Decimal(5),
    )
    PromotionFactory(
        merchant=merchant,
        value=Decimal(10),
        products=[product],
        starts_at=at(date(2026, 1, 1), 0),
        ends_at=at(date(2027, 1, 1), 0),
    )
    return product


@pytest.fixture
def cashiers(merchant):
    a = MembershipFactory(merchant=merchant, user__username="ana").user
    b = MembershipFactory(merchant=merchant, user__username="bayu").user
    return a, b


@pytest.fixture
def the_day(merchant, cashiers, nasi_goreng, kopi):
    a, b = cashiers
    return [
        ring_up(merchant, at(DAY, 8), [(nasi_goreng, 2)], cashier=a, pay="cash"),
        ring_up(merchant, at(DAY, 9), [(kopi, 1)], pay="snap"),
        ring_up(merchant, at(DAY, 12), [(kopi, 1)], cashier=b, pay="qris", refund=Decimal(8000)),
        ring_up(merchant, at(DAY, 13), [(kopi, 1)], cashier=b, cancel=True),
        ring_up(merchant, at(DAY, 14), [(nasi_goreng, 1)], cashier=b, pay=None),
        ring_up(merchant, at(DAY, 23, 30), [(kopi, 2)], cashier=a, refund=Decimal(36000)),
        ring_up(merchant, at(NEXT, 0, 30), [(kopi, 1)], cashier=a),
    ]


def test_the_day_boundary_is_local(the_day):
    late, early = the_day[5], the_day[6]
    assert late.created_at.astimezone(ZoneInfo("UTC")).date() == DAY
    assert early.created_at.astimezone(ZoneInfo("UTC")).date() == DAY
    assert (late.business_date, early.business_date) == (DAY, NEXT)


def test_daily_report_matches_the_hand_computed_day(merchant, the_day, cashiers):
    report = reports.daily_report(merchant=merchant, day=DAY, now=at(NEXT, 9))
    f = report.figures
    assert f.orders == 4
    assert f.gross == Decimal(122000)
    assert f.discounts == Decimal(5000)
    assert f.tax == Decimal(4500)
    assert f.service == Decimal(2250)
    assert f.total == Decimal(123750)
    assert f.refunds == Decimal(44000)
    assert f.net == Decimal(79750)
    assert report.cash == Decimal(51800)  # 51800 + 36000 − 36000 refunded
    assert report.non_cash == Decimal(28000)  # Snap 18000 + QRIS 18000 − 8000
    methods = {m.method: (m.payments, m.amount, m.refunds) for m in report.methods}
    assert methods == {
        "cash": (2, Decimal(87800), Decimal(36000)),
        "snap": (1, Decimal(18000), Decimal(0)),
        "qris": (1, Decimal(18000), Decimal(8000)),
    }
    assert (report.cancelled_orders, report.open_orders, report.open_total) == (
        1,
        1,
        Decimal(25875),
    )
    lines = [(c.username, c.orders, c.total, c.refunds, c.cash_received) for c in report.cashiers]
    assert lines == [
        ("ana", 2, Decimal(87750), Decimal(36000), Decimal(51800)),
        ("bayu", 1, Decimal(18000), Decimal(8000), Decimal(0)),
        ("", 1, Decimal(18000), Decimal(0), Decimal(0)),
    ]
    assert report.kind == "z"


def test_the_next_day_has_only_the_half_past_midnight_sale(merchant, the_day):
    report = reports.daily_report(merchant=merchant, day=NEXT, now=at(NEXT, 9))
    assert (report.figures.orders, report.figures.total, report.cash) == (
        1,
        Decimal(18000),
        Decimal(18000),
    )
    assert report.kind == "x"  # the 11th is still open at 09:00 on the 11th


def test_daily_report_in_two_queries(merchant, the_day, django_assert_num_queries):
    with django_assert_num_queries(2):
        reports.daily_report(merchant=merchant, day=DAY, now=at(NEXT, 9))


def test_a_future_day_is_refused(merchant):
    from merchants.errors import DomainError

    with pytest.raises(DomainError, match="has not started yet"):
        reports.daily_report(merchant=merchant, day=NEXT, now=at(DAY, 23, 59))
