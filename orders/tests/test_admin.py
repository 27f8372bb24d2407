from datetime import date, datetime, time

import pytest
from django.contrib.admin.templatetags.admin_list import date_hierarchy
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from merchants.templatetags.admin_dates import bounded_date_hierarchy
from orders.admin import OrderAdmin
from orders.models import Order
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


# --- the order list's date drill-down ------------------------------------------------------


@pytest.fixture
def trading_days(merchant):
    """Orders on 30 Dec 2025, 5 and 20 Jan 2026 and 2 Mar 2026: nothing in February."""
    days = [date(2025, 12, 30), date(2026, 1, 5), date(2026, 1, 20), date(2026, 3, 2)]
    for day in days:
        order = OrderFactory(merchant=merchant, business_date=day)
        placed = datetime.combine(day, time(12), tzinfo=merchant.tzinfo)
        Order.objects.filter(pk=order.pk).update(created_at=placed)
    return days


def _changelist(client, **params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("admin:orders_order_changelist"), params)
    assert response.status_code == 200
    return response, [query["sql"] for query in captured]


def _titles(hierarchy: dict) -> list[str]:
    return [choice["title"] for choice in hierarchy["choices"]]


def test_years_come_from_the_first_and_last_day_not_from_every_order(client, owner, trading_days):
    client.force_login(owner)
    response, statements = _changelist(client)
    assert _titles(bounded_date_hierarchy(response.context_data["cl"])) == ["2025", "2026"]
    assert "?business_date__year=2026" in response.text
    assert not [sql for sql in statements if "DISTINCT" in sql]
    [bounds] = [sql for sql in statements if 'MIN("orders_order"."business_date")' in sql]
    assert 'MAX("orders_order"."business_date")' in bounds
    # Session, user, roles, count, Django's permissions for the sidebar (2), the page, bounds.
    assert len(statements) == 8, "\n".join(statements)


def test_months_run_from_the_first_to_the_last_of_the_year(client, owner, trading_days):
    client.force_login(owner)
    response, statements = _changelist(client, business_date__year="2026")
    months = _titles(bounded_date_hierarchy(response.context_data["cl"]))
    # February had no order: it is listed all the same, and opens an empty list.
    assert months == ["January 2026", "February 2026", "March 2026"]
    assert not [sql for sql in statements if "DISTINCT" in sql]
    response, _ = _changelist(client, business_date__year="2026", business_date__month="2")
    assert response.context_data["cl"].result_count == 0


def test_days_of_a_month_are_exactly_the_days_with_orders(client, owner, trading_days):
    client.force_login(owner)
    response, _ = _changelist(client, business_date__year="2026", business_date__month="1")
    hierarchy = bounded_date_hierarchy(response.context_data["cl"])
    assert _titles(hierarchy) == ["January 5", "January 20"]
    assert hierarchy["back"]["title"] == "2026"
    assert response.context_data["cl"].result_count == 2


@pytest.mark.parametrize("field", ["business_date", "created_at"])
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"__year": "2026"},
        {"__year": "2026", "__month": "1"},
        {"__year": "2026", "__month": "1", "__day": "5"},
    ],
)
def test_same_links_as_djangos_when_no_month_is_empty(
    client, owner, merchant, trading_days, monkeypatch, field, params
):
    Order.objects.filter(business_date=date(2026, 3, 2)).delete()  # now no month is empty
    monkeypatch.setattr(OrderAdmin, "date_hierarchy", field)
    client.force_login(owner)
    response, _ = _changelist(client, **{field + key: value for key, value in params.items()})
    changelist = response.context_data["cl"]
    assert bounded_date_hierarchy(changelist) == date_hierarchy(changelist)


def test_one_month_of_orders_starts_at_its_days_as_djangos_does(client, owner, merchant):
    for day in (3, 9):
        OrderFactory(merchant=merchant, business_date=date(2026, 5, day))
    client.force_login(owner)
    response, statements = _changelist(client)
    assert len([sql for sql in statements if "MIN(" in sql]) == 1  # the bounds, read once
    changelist = response.context_data["cl"]
    assert _titles(bounded_date_hierarchy(changelist)) == ["May 3", "May 9"]
    assert bounded_date_hierarchy(changelist) == date_hierarchy(changelist)


def test_no_orders_no_dates(client, owner):
    client.force_login(owner)
    response, _ = _changelist(client)
    assert bounded_date_hierarchy(response.context_data["cl"]) == {
        "show": True,
        "back": None,
        "choices": [],
    }


def test_order_page_shows_modifiers_discount_tenders_due_and_voids(
    client, owner, owner_client, merchant
):
    from catalog.tests.factories import (
        ModifierGroupFactory,
        ModifierOptionFactory,
        ProductFactory,
        ProductModifierGroupFactory,
    )
    from payments.tests.factories import PaymentMethodFactory

    latte = ProductFactory(merchant=merchant, name="Iced Latte", base_price=30000)
    cake = ProductFactory(merchant=merchant, name="Cheesecake", base_price=35000)
    size = ModifierGroupFactory(merchant=merchant, name="Size", min_select=1)
    large = ModifierOptionFactory(group=size, name="Large", price_delta=5000)
    ProductModifierGroupFactory(product=latte, group=size)
    card = PaymentMethodFactory(merchant=merchant, kind="card", name="BCA EDC")
    body = {
        "lines": [
            {"product_id": latte.pk, "qty": 1, "modifier_option_ids": [large.pk]},
            {"product_id": cake.pk, "qty": 1},
        ]
    }
    order = owner_client.post("/api/v1/orders", body, format="json").json()
    url = f"/api/v1/orders/{order['id']}"
    cake_line = next(i for i in order["items"] if i["product_name"] == "Cheesecake")
    owner_client.post(f"{url}/lines/{cake_line['id']}/void", {"reason": "Sold out"})
    owner_client.post(f"{url}/discount", {"kind": "percent", "value": "10", "reason": "Staff"})
    owner_client.post(
        f"{url}/payments", {"method_id": card.pk, "amount": "20000", "reference": "A1"}
    )
    client.force_login(owner)
    text = client.get(reverse("admin:orders_order_change", args=[order["id"]])).text
    assert "Size: Large (+5000.00)" in text
    assert "Cheesecake (35000.00) · voided by own" in text
    assert "Sold out" in text
    assert "BCA EDC" in text
    assert "still due IDR 11,500" in text  # 35000 − 10% = 31500, 20000 paid
    assert "Staff" in text
