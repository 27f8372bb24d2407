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
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from catalog.tests.factories import ProductFactory, PromotionFactory
from merchants.actors import Actor
from merchants.tests.factories import MembershipFactory
from orders import reports
from orders.tests.sales import ring_up
from payments.shifts import shift_close, shift_open

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


def test_daily_report_in_three_queries(merchant, the_day, django_assert_num_queries):
    with django_assert_num_queries(3):  # orders, their payments, the day's shifts
        reports.daily_report(merchant=merchant, day=DAY, now=at(NEXT, 9))


def test_a_future_day_is_refused(merchant):
    from merchants.errors import DomainError

    with pytest.raises(DomainError, match="has not started yet"):
        reports.daily_report(merchant=merchant, day=NEXT, now=at(DAY, 23, 59))


# --- sales report --------------------------------------------------------------------------


@pytest.fixture
def month_end(merchant, cashiers, kopi):
    """Saturday 28 Feb 23:30 and Sunday 1 March 00:30 local: both February in UTC."""
    a, _ = cashiers
    return [
        ring_up(merchant, at(date(2026, 2, 28), 23, 30), [(kopi, 1)], cashier=a),
        ring_up(merchant, at(date(2026, 3, 1), 0, 30), [(kopi, 2)], cashier=a),
    ]


def _figures(line):
    return (line.start, line.end, line.figures.orders, line.figures.total, line.figures.net)


def test_sales_by_month_splits_at_local_midnight(merchant, month_end, the_day):
    lines = reports.sales_by_period(
        merchant=merchant, first=date(2026, 2, 1), last=date(2026, 3, 31), group_by="month"
    )
    assert [_figures(line) for line in lines] == [
        (date(2026, 2, 1), date(2026, 2, 28), 1, Decimal(18000), Decimal(18000)),
        # 36000 on the 1st, 123750 − 44000 on the 10th, 18000 on the 11th
        (date(2026, 3, 1), date(2026, 3, 31), 6, Decimal(177750), Decimal(133750)),
    ]


def test_sales_by_week_starts_on_monday_and_is_clipped(merchant, month_end, the_day):
    lines = reports.sales_by_period(
        merchant=merchant, first=date(2026, 2, 28), last=date(2026, 3, 11), group_by="week"
    )
    assert [_figures(line) for line in lines] == [
        (date(2026, 2, 28), date(2026, 3, 1), 2, Decimal(54000), Decimal(54000)),
        (date(2026, 3, 2), date(2026, 3, 8), 0, Decimal(0), Decimal(0)),
        (date(2026, 3, 9), date(2026, 3, 11), 5, Decimal(141750), Decimal(97750)),
    ]


def test_sales_by_day_has_every_day_and_totals_add_up(merchant, the_day):
    lines = reports.sales_by_period(merchant=merchant, first=date(2026, 3, 9), last=NEXT)
    assert [(line.start, line.figures.net) for line in lines] == [
        (date(2026, 3, 9), Decimal(0)),
        (DAY, Decimal(79750)),
        (NEXT, Decimal(18000)),
    ]
    totals = reports.sales_totals(merchant=merchant, first=date(2026, 3, 9), last=NEXT)
    assert (totals.orders, totals.total, totals.refunds) == (5, Decimal(141750), Decimal(44000))


def test_sales_by_product_and_category(merchant, the_day, nasi_goreng, kopi):
    from catalog.tests.factories import ProductCategoryFactory

    kopi.category = ProductCategoryFactory(merchant=merchant, name="Coffee")
    kopi.save()
    nasi_goreng.category = None
    nasi_goreng.save()
    rows = list(reports.sales_by_product(merchant=merchant, first=DAY, last=DAY))
    assert [(r["product__name"], r["quantity"], r["orders"], r["sales"]) for r in rows] == [
        ("Kopi", 4, 3, Decimal(72000)),  # #2, #3, #6; line sales before the refunds
        ("Nasi Goreng", 2, 1, Decimal(45000)),  # 2 × 22500 after the promotion
    ]
    rows = list(reports.sales_by_category(merchant=merchant, first=DAY, last=DAY))
    assert [(r["product__category__name"], r["quantity"], r["discounts"]) for r in rows] == [
        ("Coffee", 4, Decimal(0)),
        (None, 2, Decimal(5000)),
    ]


# --- panels: figures and one query each ------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "queries"),
    [
        (reports.panel_revenue_per_day, 1),
        (reports.panel_orders_by_status_today, 1),
        (reports.panel_top_products_by_revenue, 1),
        (reports.panel_top_products_by_quantity, 1),
    ],
)
def test_each_panel_is_one_query(merchant, the_day, selector, queries, django_assert_num_queries):
    with django_assert_num_queries(queries):
        selector(merchant=merchant, now=at(NEXT, 9))


def test_revenue_panel_shows_thirty_local_days_net_of_refunds(merchant, the_day):
    data = reports.panel_revenue_per_day(merchant=merchant, now=at(NEXT, 9))
    assert len(data.labels) == 30
    assert (data.labels[-2:], data.datasets[0].data[-2:]) == (
        ["2026-03-10", "2026-03-11"],
        ["79750.00", "18000.00"],
    )
    assert data.period_from == date(2026, 2, 10)


def test_orders_by_status_counts_todays_orders(merchant, the_day):
    data = reports.panel_orders_by_status_today(merchant=merchant, now=at(DAY, 23, 45))
    assert dict(zip(data.labels, data.datasets[0].data, strict=True)) == {
        "Pending": "1",
        "Confirmed": "0",
        "Completed": "4",
        "Cancelled": "1",
    }


def test_top_products_this_week(merchant, the_day):
    by_sales = reports.panel_top_products_by_revenue(merchant=merchant, now=at(NEXT, 9))
    assert (by_sales.labels, by_sales.datasets[0].data) == (
        ["Kopi", "Nasi Goreng"],
        ["90000.00", "45000.00"],
    )
    by_units = reports.panel_top_products_by_quantity(merchant=merchant, now=at(NEXT, 9))
    assert (by_units.labels, by_units.datasets[0].data) == (["Kopi", "Nasi Goreng"], ["5", "2"])
    assert by_units.period_from == date(2026, 3, 9)  # Monday


# --- the API -------------------------------------------------------------------------------


@pytest.fixture
def next_morning(time_machine):
    time_machine.move_to(at(NEXT, 9), tick=False)


def daily_url(day=None):
    url = reverse("api:report-daily")
    return f"{url}?date={day}" if day else url


def sales_url(**params):
    return f"{reverse('api:report-sales')}?{urlencode(params)}"


def test_daily_report_api_for_a_closed_day(
    owner_client, the_day, next_morning, django_assert_num_queries
):
    with django_assert_num_queries(4):  # membership with its merchant, the 3 report queries
        response = owner_client.get(daily_url(DAY))
    assert response.status_code == 200
    body = response.json()
    assert (body["date"], body["kind"], body["is_closed"]) == ("2026-03-10", "z", True)
    assert body["merchant"]["slug"] == "kopi-test"
    assert (body["currency"], body["time_zone"]) == ("IDR", "Asia/Jakarta")
    assert body["generated_at"].startswith("2026-03-11T09:00:00+07:00")
    assert body["figures"] == {
        "orders": 4,
        "gross": "122000.00",
        "discounts": "5000.00",
        "tax": "4500.00",
        "service": "2250.00",
        "total": "123750.00",
        "refunds": "44000.00",
        "net": "79750.00",
    }
    assert (body["cash"], body["non_cash"]) == ("51800.00", "28000.00")
    assert [m["method"] for m in body["payment_methods"]] == ["snap", "qris", "cash"]
    assert body["cashiers"][0] == {
        "user_id": body["cashiers"][0]["user_id"],
        "username": "ana",
        "orders": 2,
        "total": "87750.00",
        "refunds": "36000.00",
        "net": "51750.00",
        "cash_received": "51800.00",
    }
    assert body["cashiers"][2]["user_id"] is None
    assert (body["cancelled_orders"], body["open_orders"], body["open_total"]) == (
        1,
        1,
        "25875.00",
    )


def test_daily_report_defaults_to_today_as_an_x_report(officer_client, the_day, next_morning):
    body = officer_client.get(daily_url()).json()
    assert (body["date"], body["kind"], body["figures"]["total"]) == ("2026-03-11", "x", "18000.00")


def test_officers_read_only_todays_report(officer_client, the_day, next_morning):
    response = officer_client.get(daily_url(DAY))
    assert response.status_code == 403
    assert "today's report" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("2026-03-12", "has not started yet"),
        ("2026-13-01", "date:"),
        ("1999-12-31", "between the years 2000 and 2100"),
        ("yesterday", "date:"),
    ],
)
def test_daily_report_refuses_bad_dates(owner_client, next_morning, day, message):
    response = owner_client.get(daily_url(day))
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_daily_report_lists_the_days_shifts_of_this_merchant_only(
    client,
    owner,
    owner_client,
    officer,
    merchant,
    other_merchant,
    other_owner,
    time_machine,
    django_assert_max_num_queries,
):
    """The API and the printed Z read the same list: shifts open at any moment of the local
    day, the caller's merchant's only."""

    def shift(actor, at_open, opening, *, at_close=None, counted=None, register="main", **where):
        time_machine.move_to(at_open, tick=False)
        opened = shift_open(actor=actor, opening_cash=Decimal(opening), register=register, **where)
        if at_close:
            time_machine.move_to(at_close, tick=False)
            shift_close(shift=opened, actor=actor, counted_cash=Decimal(counted))
        return opened

    staff, theirs = Actor.staff(officer), Actor.staff(other_owner)
    day_before = date(2026, 3, 9)
    yesterdays = shift(
        staff, at(day_before, 8), 0, at_close=at(day_before, 22), counted=0, merchant=merchant
    )
    morning = shift(
        staff, at(DAY, 7), 200000, at_close=at(DAY, 15), counted=199500, merchant=merchant
    )
    bar = shift(staff, at(DAY, 16), 50000, register="bar", merchant=merchant)  # still open
    other = shift(
        theirs, at(DAY, 8), 300000, at_close=at(DAY, 16), counted=300000, merchant=other_merchant
    )
    time_machine.move_to(at(NEXT, 9), tick=False)

    with django_assert_max_num_queries(4):  # as without shifts: they are one query
        response = owner_client.get(daily_url(DAY))

    assert response.status_code == 200
    listed = response.json()["shifts"]
    assert [row["id"] for row in listed] == [morning.pk, bar.pk]
    closed, still_open = listed
    assert datetime.fromisoformat(closed.pop("opened_at")) == at(DAY, 7)
    assert datetime.fromisoformat(closed.pop("closed_at")) == at(DAY, 15)
    assert closed == {
        "id": morning.pk,
        "register": "main",
        "opening_cash": "200000.00",
        "expected_cash": "200000.00",
        "counted_cash": "199500.00",
        "difference": "-500.00",
        "status": "closed",
    }
    assert (still_open["status"], still_open["closed_at"], still_open["difference"]) == (
        "open",
        None,
        None,
    )
    client.force_login(owner)
    page = client.get(reverse(REPORT_PAGE), {"date": "2026-03-10"}).content.decode()
    shown = {pk for pk in (yesterdays.pk, morning.pk, bar.pk, other.pk) if shift_link(pk) in page}
    assert shown == {morning.pk, bar.pk}


def shift_link(pk: int) -> str:
    return reverse("admin:payments_shift_report", args=[pk])


def test_sales_report_by_day(owner_client, the_day, next_morning):
    body = owner_client.get(sales_url(**{"from": "2026-03-09", "to": "2026-03-11"})).json()
    assert (body["from"], body["to"], body["group_by"], body["count"]) == (
        "2026-03-09",
        "2026-03-11",
        "day",
        3,
    )
    assert body["totals"]["net"] == "97750.00"
    assert [(r["period_start"], r["orders"], r["net"]) for r in body["results"]] == [
        ("2026-03-09", 0, "0.00"),
        ("2026-03-10", 4, "79750.00"),
        ("2026-03-11", 1, "18000.00"),
    ]


def test_sales_report_by_product_is_paginated(
    owner_client, the_day, next_morning, django_assert_num_queries
):
    params = {"from": "2026-03-01", "to": "2026-03-31", "group_by": "product", "limit": 1}
    with django_assert_num_queries(4):  # membership with its merchant, totals, count, page
        body = owner_client.get(sales_url(**params)).json()
    assert body["count"] == 2
    assert body["next"] is not None
    assert "offset=1" in body["next"]
    assert body["results"] == [
        {
            "product_id": body["results"][0]["product_id"],
            "name": "Kopi",
            "category": body["results"][0]["category"],
            "quantity": 5,
            "orders": 4,
            "sales": "90000.00",
            "discounts": "0.00",
        }
    ]
    assert body["totals"]["orders"] == 5  # the whole range, not the page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"to": "2026-03-10"}, "from: This field is required."),
        ({"from": "2026-03-10", "to": "2026-03-01"}, "to: Must be on or after `from`."),
        ({"from": "2025-01-01", "to": "2026-03-01"}, "at most 366 days"),
        ({"from": "2026-03-01", "to": "2026-03-10", "group_by": "hour"}, "group_by:"),
    ],
)
def test_sales_report_refuses_bad_parameters(owner_client, params, message):
    response = owner_client.get(sales_url(**params))
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_sales_report_is_for_owners(officer_client):
    response = officer_client.get(sales_url(**{"from": "2026-03-01", "to": "2026-03-02"}))
    assert response.status_code == 403


# --- the printable report in the admin ------------------------------------------------------

REPORT_PAGE = "admin:orders_order_daily_report"


def test_owner_prints_the_z_report_of_a_closed_day(client, owner, the_day, next_morning):
    client.force_login(owner)
    response = client.get(reverse(REPORT_PAGE), {"date": "2026-03-10"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Z report — closed day" in page
    assert "Kopi Test" in page
    assert "Tuesday 10 March 2026" in page
    assert "Printed 2026-03-11 09:00 (Asia/Jakarta) by own" in page
    assert "79,750" in page  # rupiah without .00 (Indonesian: 79.750)
    assert "79,750.00" not in page
    assert "51,800" in page
    assert "ana" in page
    assert "Customers (self-order)" in page


def test_officer_prints_todays_x_report_only(client, officer, the_day, next_morning):
    client.force_login(officer)
    response = client.get(reverse(REPORT_PAGE))
    assert response.status_code == 200
    assert "X report — day still open" in response.content.decode()
    assert b'name="date"' not in response.content  # no day picker for officers
    assert client.get(reverse(REPORT_PAGE), {"date": "2026-03-10"}).status_code == 403


def test_a_future_day_falls_back_to_today(client, owner, next_morning):
    client.force_login(owner)
    response = client.get(reverse(REPORT_PAGE), {"date": "2026-03-20"})
    page = response.content.decode()
    assert "has not started yet" in page
    assert "Wednesday 11 March 2026" in page


def test_the_operator_picks_the_merchant_first(
    client, operator, merchant, other_merchant, the_day, next_morning
):
    client.force_login(operator)
    response = client.get(reverse(REPORT_PAGE))
    assert response.status_code == 302
    response = client.get(reverse(REPORT_PAGE), {"merchant": "kopi-test", "date": "2026-03-10"})
    assert "Z report — closed day" in response.content.decode()


def test_another_merchants_owner_sees_only_their_own(client, other_owner, the_day, next_morning):
    client.force_login(other_owner)
    page = client.get(reverse(REPORT_PAGE), {"date": "2026-03-10", "merchant": "kopi-test"})
    assert page.status_code == 200
    content = page.content.decode()
    assert "Other Shop" in content
    assert "Kopi Test" not in content
    assert "ana" not in content


def test_a_garbled_day_shows_today_with_a_message(client, owner, next_morning):
    client.force_login(owner)
    page = client.get(reverse(REPORT_PAGE), {"date": "10/03/26x"}).content.decode()
    assert "That is not a date" in page
    assert "Wednesday 11 March 2026" in page
