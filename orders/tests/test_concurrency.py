import pytest

from catalog.tests.factories import ProductFactory
from merchants.testing import requires_postgres, run_concurrently
from orders.models import Order
from orders.tests.conftest import lines

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]
URL = "/api/v1/orders"


def test_twenty_buyers_for_the_last_five_units(client_for, officer, merchant):
    product = ProductFactory(merchant=merchant, track_stock=True, stock=5)

    def buy(_):
        return client_for(officer).post(URL, {"lines": lines((product, 1))}, format="json")

    codes = [response.status_code for response in run_concurrently(buy, 20)]
    product.refresh_from_db()
    assert codes.count(201) == 5
    assert codes.count(409) == 15
    assert product.stock == 0
    assert Order.objects.count() == 5
    numbers = sorted(Order.objects.values_list("number", flat=True))
    assert [n[-4:] for n in numbers] == ["0001", "0002", "0003", "0004", "0005"]


def test_opposite_baskets_do_not_deadlock(client_for, officer, merchant):
    a = ProductFactory(merchant=merchant, track_stock=True, stock=100)
    b = ProductFactory(merchant=merchant, track_stock=True, stock=100)

    def buy(index):
        pairs = ((a, 1), (b, 1)) if index % 2 else ((b, 1), (a, 1))
        return client_for(officer).post(URL, {"lines": lines(*pairs)}, format="json")

    results = run_concurrently(buy, 12)
    assert [r.status_code for r in results] == [201] * 12
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.stock, b.stock) == (88, 88)


def test_the_days_first_orders_at_once_get_one_number_each(client_for, officer, merchant):
    # Untracked stock: nothing serialises these baskets before they race for the day's
    # sequence row, which none of them finds at first.
    product = ProductFactory(merchant=merchant)

    def buy(_):
        return client_for(officer).post(URL, {"lines": lines((product, 1))}, format="json")

    assert {r.status_code for r in run_concurrently(buy, 12)} == {201}
    numbers = sorted(Order.objects.values_list("number", flat=True))
    assert [n[-4:] for n in numbers] == [f"{n:04d}" for n in range(1, 13)]


def test_rounds_added_to_open_bills_at_once_never_oversell(client_for, officer, merchant):
    """Twelve tills add a round with the last five croissants to six open bills at once: five
    rounds are added, seven are refused, and stock ends at zero, every unit held by a line."""
    from orders.models import OrderItem

    croissant = ProductFactory(merchant=merchant, track_stock=True, stock=5)
    kopi = ProductFactory(merchant=merchant)
    bills = [
        client_for(officer).post(URL, {"lines": lines((kopi, 1))}, format="json").json()["id"]
        for _ in range(6)
    ]

    def add(index):
        return client_for(officer).post(
            f"{URL}/{bills[index % 6]}/lines", {"lines": lines((croissant, 1))}, format="json"
        )

    codes = [response.status_code for response in run_concurrently(add, 12)]
    croissant.refresh_from_db()
    assert codes.count(200) == 5
    assert codes.count(409) == 7
    assert croissant.stock == 0
    held = OrderItem.objects.filter(product=croissant).values_list("reserved_quantity", flat=True)
    assert sorted(held) == [1] * 5
