import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.tests.factories import ProductFactory
from customers.tests.factories import CustomerFactory
from orders.models import Order
from orders.tests.factories import OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders"


def test_staff_list_filters_and_newest_first(officer_client, merchant):
    first = OrderFactory(merchant=merchant, payment_status="paid")
    second = OrderFactory(merchant=merchant, status="confirmed")
    body = officer_client.get(URL).json()
    assert [row["id"] for row in body["results"]] == [second.pk, first.pk]
    assert officer_client.get(URL, {"payment_status": "paid"}).json()["count"] == 1
    assert officer_client.get(URL, {"status": ["confirmed", "completed"]}).json()["count"] == 1
    assert officer_client.get(URL, {"search": first.number}).json()["count"] == 1


def test_list_query_count_is_constant(officer_client, merchant, django_assert_max_num_queries):
    for _ in range(25):
        OrderItemFactory(
            order=OrderFactory(merchant=merchant, customer=CustomerFactory(merchant=merchant))
        )
    with django_assert_max_num_queries(6):
        body = officer_client.get(URL).json()
    assert body["count"] == 25


def test_filtering_by_status_reads_one_page_not_every_match(officer_client, merchant):
    pending = OrderFactory.create_batch(3, merchant=merchant)
    confirmed = OrderFactory(merchant=merchant, status="confirmed", payment_status="paid")
    OrderFactory(merchant=merchant, status="cancelled")
    with CaptureQueriesContext(connection) as captured:
        body = officer_client.get(
            URL, {"status": ["pending", "confirmed"], "payment_status": ["unpaid", "paid"]}
        ).json()
    assert [row["id"] for row in body["results"]] == [o.pk for o in [confirmed, *pending[::-1]]]
    assert body["count"] == 4
    # No SELECT DISTINCT: PostgreSQL would sort every matching order to take one page.
    assert not [q["sql"] for q in captured.captured_queries if "DISTINCT" in q["sql"]]


def test_customer_sees_only_their_orders(customer_client, customer, merchant):
    mine = OrderFactory(merchant=merchant, customer=customer, payment_status="paid")
    OrderFactory(merchant=merchant, customer=customer, payment_status="unpaid")
    theirs = OrderFactory(merchant=merchant, customer=CustomerFactory(merchant=merchant))
    body = customer_client.get(f"{URL}/my-orders").json()
    assert body["count"] == 2
    assert customer_client.get(f"{URL}/my-orders", {"payment_status": "paid"}).json()["count"] == 1
    assert customer_client.get(f"{URL}/{mine.pk}").status_code == 200
    assert customer_client.get(f"{URL}/{theirs.pk}").status_code == 404


def test_customer_cannot_use_staff_actions(customer_client, customer, merchant):
    mine = OrderFactory(merchant=merchant, customer=customer)
    assert customer_client.get(URL).status_code == 403
    assert customer_client.post(f"{URL}/{mine.pk}/confirm").status_code == 403
    assert customer_client.post(f"{URL}/{mine.pk}/cancel").status_code == 403


def test_customer_token_of_another_merchant_sees_nothing(customer_client, other_merchant):
    theirs = OrderFactory(merchant=other_merchant)
    assert customer_client.get(f"{URL}/{theirs.pk}").status_code == 404


def test_staff_have_no_my_orders(officer_client):
    assert officer_client.get(f"{URL}/my-orders").status_code == 403


def test_product_of_items_is_exposed_by_id(officer_client, merchant):
    item = OrderItemFactory(
        order=OrderFactory(merchant=merchant), product=ProductFactory(merchant=merchant)
    )
    body = officer_client.get(f"{URL}/{item.order_id}").json()
    assert body["items"][0]["product"] == item.product_id
    assert Order.objects.count() == 1
