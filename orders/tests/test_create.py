import re
from decimal import Decimal

import pytest

from catalog.models import Product
from catalog.tests.factories import ProductFactory
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from merchants.tests.factories import TableLocationFactory
from orders.models import Order, OrderEvent, OrderNumberSequence
from orders.tests.conftest import lines

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders"


def test_cashier_rings_up_the_worked_example(officer_client, officer, nasi_goreng):
    response = officer_client.post(URL, {"lines": lines((nasi_goreng, 2))}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["subtotal_amount"] == "50000.00"
    assert body["discount_amount"] == "5000.00"
    assert body["tax_amount"] == "4500.00"
    assert body["service_charge_amount"] == "2250.00"
    assert body["total_amount"] == "51750.00"
    assert body["rounded_amount"] == "51800.00"
    assert body["status"] == "pending"
    assert body["payment_status"] == "unpaid"
    assert body["created_by"] == officer.username
    assert body["number"].startswith("INV-")
    [item] = body["items"]
    assert (item["base_price"], item["final_price"]) == ("25000.00", "22500.00")
    assert item["promotion_name"]
    assert [event["kind"] for event in body["events"]] == ["created"]


def test_prices_in_the_body_are_ignored(officer_client, kopi):
    payload = {"lines": [{"product_id": kopi.pk, "qty": 1, "price": "1"}], "total_amount": "1"}
    response = officer_client.post(URL, payload, format="json")
    assert response.status_code == 201
    assert response.json()["total_amount"] == "18000.00"


def test_snapshot_survives_catalog_changes(officer_client, kopi):
    order_id = officer_client.post(URL, {"lines": lines((kopi, 1))}, format="json").json()["id"]
    Product.objects.filter(pk=kopi.pk).update(base_price=Decimal(99000), name="Renamed")
    body = officer_client.get(f"{URL}/{order_id}").json()
    assert body["items"][0]["product_name"] == "Kopi"
    assert body["total_amount"] == "18000.00"


def test_numbers_are_sequential_per_merchant_and_day(officer_client, kopi, other_merchant):
    numbers = [
        officer_client.post(URL, {"lines": lines((kopi, 1))}, format="json").json()["number"]
        for _ in range(3)
    ]
    assert [n[-4:] for n in numbers] == ["0001", "0002", "0003"]
    assert len({n[:-5] for n in numbers}) == 1


def test_day_follows_the_merchants_time_zone(officer_client, kopi, time_machine):
    # 18:30 UTC on the 21st is already 01:30 on the 22nd in Jakarta.
    time_machine.move_to("2026-11-21T18:30:00Z")
    number = officer_client.post(URL, {"lines": lines((kopi, 1))}, format="json").json()["number"]
    assert number == "INV-20261122-0001"


def test_staff_names_a_customer_by_email(officer_client, merchant, kopi):
    CustomerFactory(merchant=merchant, email="budi@example.com", name="")
    payload = {
        "lines": lines((kopi, 1)),
        "customer_email": "BUDI@example.com",
        "customer_name": "Budi",
        "customer_phone": "0812",
    }
    body = officer_client.post(URL, payload, format="json").json()
    customer = Customer.objects.get(merchant=merchant, email="budi@example.com")
    assert body["customer"]["id"] == customer.pk
    assert (customer.name, customer.phone) == ("Budi", "0812")
    payload["customer_email"] = "new@example.com"
    officer_client.post(URL, payload, format="json")
    assert Customer.objects.filter(merchant=merchant, email="new@example.com").exists()


def test_customer_of_another_merchant_is_400(officer_client, kopi, other_merchant):
    foreign = CustomerFactory(merchant=other_merchant)
    payload = {"lines": lines((kopi, 1)), "customer_id": foreign.pk}
    response = officer_client.post(URL, payload, format="json")
    assert response.status_code == 400
    assert not Order.objects.exists()


def test_product_of_another_merchant_is_400_naming_it(officer_client, kopi, other_merchant):
    foreign = ProductFactory(merchant=other_merchant)
    response = officer_client.post(URL, {"lines": lines((kopi, 1), (foreign, 1))}, format="json")
    assert response.status_code == 400
    assert str(foreign.pk) in response.json()["error"]["message"]
    assert not Order.objects.exists()


@pytest.mark.parametrize("field", ["is_active", "is_available"])
def test_closed_products_are_refused(officer_client, kopi, field):
    setattr(kopi, field, False)
    kopi.save()
    response = officer_client.post(URL, {"lines": lines((kopi, 1))}, format="json")
    assert response.status_code == 400
    assert "Kopi" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("payload_lines", "fragment"),
    [
        ([], "lines"),
        ([{"product_id": 1, "qty": 0}], "qty"),
        ([{"product_id": 1, "qty": 1000}], "qty"),
    ],
)
def test_bad_lines_are_400(officer_client, payload_lines, fragment):
    response = officer_client.post(URL, {"lines": payload_lines}, format="json")
    assert response.status_code == 400
    assert fragment in str(response.json()["error"])


def test_at_most_100_lines(officer_client, kopi):
    response = officer_client.post(URL, {"lines": lines(*[(kopi, 1)] * 101)}, format="json")
    assert response.status_code == 400
    assert (
        officer_client.post(URL, {"lines": lines(*[(kopi, 1)] * 100)}, format="json").status_code
        == 201
    )


def test_tables_must_be_active_and_dine_in_needs_one(officer_client, merchant, kopi):
    table = TableLocationFactory(merchant=merchant, is_active=False)
    payload = {"lines": lines((kopi, 1)), "order_type": "dine_in", "table_id": table.pk}
    response = officer_client.post(URL, payload, format="json")
    assert response.status_code == 400
    assert "not taking orders" in response.json()["error"]["message"]
    payload.pop("table_id")
    assert "table" in officer_client.post(URL, payload, format="json").json()["error"]["message"]


def test_stock_is_reserved_and_shortage_is_a_409(officer_client, croissant):
    assert (
        officer_client.post(URL, {"lines": lines((croissant, 3))}, format="json").status_code == 201
    )
    croissant.refresh_from_db()
    assert croissant.stock == 2
    response = officer_client.post(URL, {"lines": lines((croissant, 3))}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["message"] == "Not enough stock for Croissant: 2 left, 3 asked."
    assert error["details"]["available"] == 2


def test_the_same_product_on_two_lines_counts_together(officer_client, croissant):
    response = officer_client.post(
        URL, {"lines": lines((croissant, 3), (croissant, 3))}, format="json"
    )
    assert response.status_code == 409
    croissant.refresh_from_db()
    assert croissant.stock == 5


def test_failure_midway_leaves_no_reservation(officer_client, merchant, croissant):
    scarce = ProductFactory(merchant=merchant, name="Scarce", track_stock=True, stock=1)
    response = officer_client.post(
        URL, {"lines": lines((croissant, 2), (scarce, 2))}, format="json"
    )
    assert response.status_code == 409
    croissant.refresh_from_db()
    scarce.refresh_from_db()
    assert (croissant.stock, scarce.stock) == (5, 1)
    assert not Order.objects.exists()
    assert not OrderEvent.objects.exists()


def test_untracked_products_ignore_stock(officer_client, kopi):
    assert kopi.track_stock is False
    response = officer_client.post(URL, {"lines": lines((kopi, 999))}, format="json")
    assert response.status_code == 201


def test_a_failed_order_takes_no_number(officer_client, kopi, croissant):
    assert officer_client.post(URL, {"lines": lines((kopi, 1))}, format="json").status_code == 201
    response = officer_client.post(URL, {"lines": lines((kopi, 1), (croissant, 9))}, format="json")
    assert response.status_code == 409
    number = officer_client.post(URL, {"lines": lines((kopi, 1))}, format="json").json()["number"]
    assert number.endswith("-0002")
    assert OrderNumberSequence.objects.get().last_number == 2  # one row for the day


def test_the_answer_is_the_order_as_stored(officer_client, merchant, nasi_goreng, croissant):
    table = TableLocationFactory(merchant=merchant)
    payload = {
        "lines": [
            *lines((nasi_goreng, 2), (croissant, 1)),
            {"product_id": nasi_goreng.pk, "qty": 1, "notes": "no chilli"},
        ],
        "order_type": "dine_in",
        "table_id": table.pk,
        "guest_count": 3,
        "notes": "window seat",
        "customer_email": "Budi@Example.com",
        "customer_name": "Budi",
    }
    created = officer_client.post(URL, payload, format="json")
    assert created.status_code == 201, created.content
    # Built from what was just written, not read back: it must be what a read gives.
    assert created.json() == officer_client.get(f"{URL}/{created.json()['id']}").json()


def _queries(client, payload, **headers) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.post(URL, payload, format="json", **headers).status_code == 201
    return [
        query["sql"]
        for query in captured
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def _statement(sql: str) -> tuple[str, str]:
    # The statement's own table, not one of a subquery's (Django aliases those U0, U1...).
    table = re.search(r'(?:FROM|INTO|UPDATE) "(\w+)"(?! U\d)', sql)
    return sql.split(" ", 1)[0], table.group(1) if table else sql


def test_query_count_does_not_grow_with_lines(officer_client, merchant):
    products = [
        ProductFactory(merchant=merchant, track_stock=bool(i % 2), stock=100) for i in range(30)
    ]
    _queries(officer_client, {"lines": lines((products[0], 1))})  # the day's first number
    few = _queries(officer_client, {"lines": lines(*[(p, 1) for p in products[:3]])})
    many = _queries(officer_client, {"lines": lines(*[(p, 1) for p in products])})
    assert len(few) == len(many) == 10, "\n".join(many)


def test_one_statement_per_concern(officer_client, merchant, croissant):
    others = ProductFactory.create_batch(4, merchant=merchant)
    basket = {"lines": lines((croissant, 1), *[(product, 2) for product in others])}
    _queries(officer_client, basket)  # the day's first number
    statements = _queries(officer_client, basket, HTTP_IDEMPOTENCY_KEY="till-1-0042")
    assert [_statement(sql) for sql in statements] == [
        ("SELECT", "merchants_membership"),  # the caller's role and merchant
        ("INSERT", "orders_idempotencyrecord"),  # the key, claimed
        ("SELECT", "catalog_product"),  # the products asked for
        ("SELECT", "catalog_promotion"),  # their promotions running now
        ("SELECT", "catalog_product"),  # tracked stock, locked
        ("UPDATE", "catalog_product"),  # and taken
        ("INSERT", "orders_ordernumbersequence"),  # the day's next number
        ("INSERT", "orders_order"),
        ("INSERT", "orders_orderitem"),  # every line at once
        ("INSERT", "catalog_stockmovement"),  # the stock ledger, every line at once
        ("INSERT", "orders_orderevent"),
        ("UPDATE", "orders_idempotencyrecord"),  # the answer, kept for a replay
    ], "\n".join(statements)


def test_customer_orders_for_themself(customer_client, customer, kopi, merchant):
    other = CustomerFactory(merchant=merchant)
    payload = {"lines": lines((kopi, 2)), "customer_id": other.pk, "customer_email": ""}
    response = customer_client.post(URL, payload, format="json")
    assert response.status_code == 201, response.content
    order = Order.objects.get()
    assert order.customer == customer
    assert order.created_by is None
    assert order.events.get().actor_label == f"customer {customer.pk}"
