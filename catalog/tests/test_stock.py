"""The only functions that change stock: reserve (a sale) and release (units given back)."""

import pytest

from catalog.services import StockLine, stock_release, stock_reserve
from catalog.tests.factories import ProductFactory
from merchants.actors import SYSTEM
from merchants.errors import Conflict

pytestmark = pytest.mark.django_db


def stock_of(*products):
    for product in products:
        product.refresh_from_db()
    return [product.stock for product in products]


def test_reserve_takes_units_per_product_in_three_statements(merchant, django_assert_num_queries):
    tea, cake = (ProductFactory(merchant=merchant, track_stock=True, stock=10) for _ in range(2))
    lines = [
        StockLine(product_id=tea.pk, quantity=2),
        StockLine(product_id=cake.pk, quantity=1),
        StockLine(product_id=tea.pk, quantity=3),  # the same product on a second line
    ]
    # Lock and check, one conditional update, one ledger insert: however many lines.
    with django_assert_num_queries(3):
        taken = stock_reserve(lines=lines, actor=SYSTEM)
    assert taken == {tea.pk: 5, cake.pk: 1}
    assert stock_of(tea, cake) == [5, 9]


def test_reserve_refuses_more_than_is_left_and_takes_nothing(merchant):
    tea = ProductFactory(merchant=merchant, name="Tea", track_stock=True, stock=10)
    cake = ProductFactory(merchant=merchant, name="Cake", track_stock=True, stock=2)
    lines = [StockLine(product_id=tea.pk, quantity=1), StockLine(product_id=cake.pk, quantity=3)]
    with pytest.raises(Conflict, match="Not enough stock for Cake: 2 left, 3 asked") as refused:
        stock_reserve(lines=lines, actor=SYSTEM)
    assert refused.value.code == "insufficient_stock"
    assert refused.value.details == {"product_id": cake.pk, "available": 2, "requested": 3}
    assert stock_of(tea, cake) == [10, 2]


def test_nothing_to_reserve_or_release_asks_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert stock_reserve(lines=[], actor=SYSTEM) == {}
        assert stock_release(lines=[], actor=SYSTEM) == {}


def test_release_gives_units_back(merchant, django_assert_num_queries):
    tea, cake = (ProductFactory(merchant=merchant, track_stock=True, stock=1) for _ in range(2))
    lines = [
        StockLine(product_id=tea.pk, quantity=2, order_line_id=7),
        StockLine(product_id=cake.pk, quantity=1, order_line_id=8),
        StockLine(product_id=tea.pk, quantity=1, order_line_id=9),
    ]
    with django_assert_num_queries(3):  # merchants, one update, one ledger insert
        given = stock_release(lines=lines, actor=SYSTEM, reason="Order cancelled", order_id=3)
    assert given == {tea.pk: 3, cake.pk: 1}
    assert stock_of(tea, cake) == [4, 2]
