"""Searching orders by number, customer email or name: the API's ?search= and the admin's ?q=."""

import pytest
from django.db import connection
from django.db.models import Q
from django.urls import reverse

from customers.tests.factories import CustomerFactory
from merchants.testing import requires_postgres
from orders import selectors
from orders.models import Order
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders"


@pytest.fixture
def book(merchant, other_merchant):
    """Orders of two customers and walk-ins, and a look-alike at another merchant."""
    ani = CustomerFactory(merchant=merchant, email="ani@kopi.example", name="Ani Rahma")
    budi = CustomerFactory(merchant=merchant, email="budi@mail.example", name="Budi 42")
    numbers = ["INV-20261110-0042", "INV-20261110-0007", "INV-20261111-0042", "INV-20261112-0001"]
    for number, customer in zip(numbers, [ani, None, budi, ani], strict=True):
        OrderFactory(merchant=merchant, number=number, customer=customer)
    stranger = CustomerFactory(merchant=other_merchant, email="ani@kopi.example", name="Ani")
    OrderFactory(merchant=other_merchant, number="INV-20261110-0042", customer=stranger)
    return merchant


TERMS = ["0042", "inv-20261110", "ANI", "kopi.example", "42", "budi 0042", "rahma 0001", "zzz"]


def _expected(merchant, term: str) -> set[str]:
    """The rule as a plain search over number, customer email and name spells it."""
    orders = Order.objects.filter(merchant=merchant)
    for bit in term.split():
        orders = orders.filter(
            Q(number__icontains=bit)
            | Q(customer__email__icontains=bit)
            | Q(customer__name__icontains=bit)
        )
    return set(orders.values_list("number", flat=True))


@pytest.mark.parametrize("term", TERMS)
def test_the_api_finds_what_a_plain_search_finds(officer_client, book, term):
    rows = officer_client.get(URL, {"search": term}).json()["results"]
    assert {row["number"] for row in rows} == _expected(book, term)


@pytest.mark.parametrize("term", TERMS)
def test_the_admin_finds_what_a_plain_search_finds(client, owner, book, term):
    client.force_login(owner)
    response = client.get(reverse("admin:orders_order_changelist"), {"q": term})
    assert {order.number for order in response.context_data["cl"].result_list} == _expected(
        book, term
    )


def test_a_quoted_phrase_is_one_term_in_the_admin(client, owner, book):
    client.force_login(owner)
    response = client.get(reverse("admin:orders_order_changelist"), {"q": '"Ani Rahma"'})
    assert response.context_data["cl"].result_count == 2


@pytest.mark.parametrize("term", ["ani", "example"])
def test_many_matching_customers_are_searched_through_the_join(
    officer_client, book, monkeypatch, term
):
    monkeypatch.setattr(selectors, "SEARCH_CUSTOMER_LIMIT", 1)
    rows = officer_client.get(URL, {"search": term}).json()["results"]
    assert {row["number"] for row in rows} == _expected(book, term)


def test_customers_of_other_merchants_are_not_looked_at(book, other_merchant):
    found = selectors.order_search(
        Order.objects.filter(merchant=other_merchant), terms=["rahma"], merchant_ids=[book.pk]
    )
    assert not found.exists()


@requires_postgres
def test_the_trigram_index_answers_a_number_search(book):
    # Five rows make a scan of the table (or of another index) cheapest; forbid those to see
    # that the index, built on the expression Django's icontains compiles to, can answer it.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    plan = Order.objects.filter(number__icontains="20261110").order_by().explain()
    assert "order_number_trgm" in plan, plan
