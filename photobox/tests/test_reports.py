"""The kiosk panels against hand-counted sales, a Jakarta day boundary, and the dashboard of a
photobox merchant (which sells no orders)."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from merchants.models import Membership, Merchant
from merchants.tests.factories import MembershipFactory
from photobox import reports
from photobox.models import KioskLocation, PhotoSession
from photobox.tests.factories import (
    CompletedSessionFactory,
    KioskLocationFactory,
    KioskPriceFactory,
)
from photobox.tests.sales import sell

pytestmark = pytest.mark.django_db
WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 3, 11, 9, 0, tzinfo=WIB)  # 02:00 UTC
PHOTOBOX_PANELS = {"photobox-takings-per-day", "photobox-sessions", "photobox-takings"}
Role = Membership.Role


@pytest.fixture
def utc_server(settings):
    """The server's clock in UTC, so only the merchant's zone (Jakarta, UTC+7) can get the
    local days right."""
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def sales(gw, shop, other_merchant, utc_server):
    """A month at two kiosks of Kopi Test (Jakarta), counted by hand in the tests below."""
    four = KioskPriceFactory(merchant=shop, amount=Decimal(40000), description="Four shots")
    eight = KioskPriceFactory(merchant=shop, amount=Decimal(60000), description="Eight shots")
    mall = KioskLocationFactory(merchant=shop, machine_code="K1", name="Mall")
    station = KioskLocationFactory(merchant=shop, machine_code="K2", name="Station")
    KioskLocationFactory(merchant=shop, machine_code="K3", name="Idle")  # sells nothing
    old = KioskLocationFactory(merchant=shop, machine_code="K4", name="Old")
    KioskLocationFactory(merchant=shop, machine_code="K5", name="Gone", is_active=False)

    # The day boundary: 23:30 on the 10th and 00:30 on the 11th in Jakarta are both the 10th
    # in UTC (16:30 and 17:30).
    sell(mall, four, datetime(2026, 3, 10, 23, 30, tzinfo=WIB), email="late@example.com")
    sell(mall, four, datetime(2026, 3, 11, 0, 30, tzinfo=WIB), refund=Decimal(15000))
    # The first day of the 30 counts, the day before does not.
    sell(mall, four, datetime(2026, 2, 10, 0, 30, tzinfo=WIB))
    sell(mall, four, datetime(2026, 2, 9, 23, 30, tzinfo=WIB))
    sell(mall, four, datetime(2026, 3, 5, 10, 0, tzinfo=WIB), "expired")
    sell(mall, four, datetime(2026, 3, 6, 10, 0, tzinfo=WIB), "paid_late")  # money owed back

    sell(station, four, datetime(2026, 3, 8, 12, 0, tzinfo=WIB), "failed")
    sell(station, four, datetime(2026, 3, 9, 11, 0, tzinfo=WIB), "reversed")  # money went back
    sell(station, eight, datetime(2026, 3, 9, 12, 0, tzinfo=WIB))
    sell(station, four, datetime(2026, 3, 11, 8, 55, tzinfo=WIB), "pending")  # still payable
    # Unpaid past its 15 minutes: expired for every reader, before the beat says so.
    sell(station, four, datetime(2026, 3, 11, 8, 30, tzinfo=WIB), "pending")

    sell(old, four, datetime(2026, 3, 1, 15, 0, tzinfo=WIB))
    KioskLocation.objects.filter(pk=old.pk).update(is_active=False)  # switched off since

    CompletedSessionFactory(
        merchant=other_merchant, business_date=date(2026, 3, 10), amount=Decimal(99000)
    )


def panel(name: str, merchant) -> dict:
    data = {
        "photobox-sessions": reports.panel_sessions_per_location,
        "photobox-takings": reports.panel_takings_per_location,
        "photobox-takings-per-day": reports.panel_takings_per_day,
    }[name](merchant=merchant, now=NOW)
    return {
        "labels": data.labels,
        "datasets": {dataset.label: dataset.data for dataset in data.datasets},
        "period": (data.period_from, data.period_to),
        "is_empty": data.is_empty,
    }


def test_sessions_per_location_by_outcome(sales, shop, django_assert_num_queries):
    with django_assert_num_queries(1):
        data = panel("photobox-sessions", shop)
    assert data["period"] == (date(2026, 2, 10), date(2026, 3, 11))  # 30 local days
    # Active kiosks always, a switched-off one while it has sales in the period.
    assert data["labels"] == ["Mall", "Station", "Idle", "Old"]  # by machine code
    assert data["datasets"] == {
        "Completed": ["3", "2", "0", "1"],  # the reversed one was completed all the same
        "Expired unpaid": ["2", "1", "0", "0"],  # the late-paid one; the stale pending one
        "Payment failed": ["0", "1", "0", "0"],
        "Waiting for payment": ["0", "1", "0", "0"],
    }


def test_takings_per_day_count_completed_sessions_on_their_local_day(
    sales, shop, django_assert_num_queries
):
    with django_assert_num_queries(1):
        data = panel("photobox-takings-per-day", shop)
    assert data["period"] == (date(2026, 2, 10), date(2026, 3, 11))
    takings = dict(zip(data["labels"], data["datasets"]["Kiosk takings"], strict=True))
    assert len(takings) == 30
    assert {day: amount for day, amount in takings.items() if amount != "0.00"} == {
        "2026-02-10": "40000.00",
        "2026-03-01": "40000.00",  # a kiosk switched off since still took it
        "2026-03-09": "60000.00",  # the reversed session's money went back
        "2026-03-10": "40000.00",  # 23:30 in Jakarta
        "2026-03-11": "25000.00",  # 00:30 in Jakarta, less the 15000 refunded the next day
    }


def test_takings_per_location_best_first(sales, shop, django_assert_num_queries):
    with django_assert_num_queries(1):
        data = panel("photobox-takings", shop)
    assert data["labels"] == ["Mall", "Station", "Old"]
    assert data["datasets"] == {"Takings, net of refunds": ["105000.00", "60000.00", "40000.00"]}


def test_two_kiosks_of_one_name_show_their_codes(shop):
    KioskLocationFactory(merchant=shop, machine_code="K1", name="Lobby")
    KioskLocationFactory(merchant=shop, machine_code="K2", name="Lobby")
    KioskLocationFactory(merchant=shop, machine_code="K3", name="Roof")
    labels = panel("photobox-sessions", shop)["labels"]
    assert labels == ["Lobby (K1)", "Lobby (K2)", "Roof"]


def test_no_kiosks_yet(shop):
    data = panel("photobox-sessions", shop)
    assert (data["labels"], data["is_empty"]) == ([], True)
    assert panel("photobox-takings-per-day", shop)["is_empty"]


def test_the_panel_endpoint(sales, shop, owner_client, django_assert_max_num_queries, time_machine):
    time_machine.move_to(NOW, tick=False)
    url = reverse("api:report-panel", kwargs={"name": "photobox-sessions"})
    # The caller's membership and merchant, then the panel's one query.
    with django_assert_max_num_queries(3):
        response = owner_client.get(url)
    assert response.status_code == 200
    body = response.json()
    assert (body["type"], body["unit"], body["time_zone"]) == ("bar", "count", "Asia/Jakarta")
    assert (body["period_from"], body["period_to"]) == ("2026-02-10", "2026-03-11")
    assert body["datasets"][0] == {"label": "Completed", "data": ["3", "2", "0", "1"]}


def test_officers_see_the_sessions_not_the_money(shop, officer_client):
    def status(name):
        return officer_client.get(reverse("api:report-panel", kwargs={"name": name})).status_code

    assert status("photobox-sessions") == 200
    assert status("photobox-takings") == 403
    assert status("photobox-takings-per-day") == 403


# --- the dashboard of a photobox merchant ----------------------------------------------------


@pytest.fixture
def foto(db):
    return Merchant.objects.create(
        name="Foto Test", slug="foto-test", business_type=Merchant.BusinessType.PHOTOBOX
    )


def dashboard_panels(client, user) -> tuple[set[str], str]:
    client.force_login(user)
    page = client.get(reverse("admin:index"))
    assert page.status_code == 200
    content = page.content.decode()
    return {
        name
        for name in [*PHOTOBOX_PANELS, "revenue-per-day", "orders-by-status", "low-stock"]
        if f'data-panel="{name}"' in content
    }, content


def test_a_photobox_owner_sees_the_kiosks_not_the_counter(client, foto):
    owner = MembershipFactory(merchant=foto, role=Role.OWNER).user
    shown, content = dashboard_panels(client, owner)
    assert shown == PHOTOBOX_PANELS  # no orders, stock or payment mix: it sells none
    assert "End-of-day report" not in content  # a report of orders
    # Stacked by outcome, in the outcome colours.
    assert 'data-panel="photobox-sessions"' in content
    assert 'data-stacked="true" data-colors="#7cb342,#b0bec5,#e57373,#f5a623"' in content
    assert content.index('id="panel-photobox-takings-per-day"') < content.index(
        'id="panel-photobox-sessions"'
    )


def test_a_photobox_officer_sees_the_sessions(client, foto):
    officer = MembershipFactory(merchant=foto, role=Role.OFFICER).user
    shown, _ = dashboard_panels(client, officer)
    assert shown == {"photobox-sessions"}


def test_a_cafe_dashboard_has_no_kiosk_panels(client, owner):
    shown, content = dashboard_panels(client, owner)
    assert shown == {"revenue-per-day", "orders-by-status", "low-stock"}
    assert "End-of-day report" in content


def test_the_operator_sees_what_the_merchant_sees(client, operator, foto, merchant):
    client.force_login(operator)
    content = client.get(reverse("admin:index"), {"merchant": "foto-test"}).content.decode()
    assert 'data-panel="photobox-sessions"' in content
    assert 'data-panel="revenue-per-day"' not in content


def test_session_outcomes_match_the_model():
    assert {key.upper() for key, _label in reports.OUTCOMES} == set(PhotoSession.Status.values)
