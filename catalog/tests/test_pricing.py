"""The pricing rule, table-driven: each discount type, overlaps, windows, never negative."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from catalog.models import Promotion
from catalog.pricing import (
    best_quote,
    discounted_price,
    product_final_price,
    product_final_prices,
)
from catalog.tests.factories import ProductFactory, PromotionFactory
from merchants.money import quantize_money

PERCENT = Promotion.DiscountType.PERCENT
NOMINAL = Promotion.DiscountType.NOMINAL
OVERRIDE = Promotion.DiscountType.OVERRIDE_PRICE
D = Decimal


@pytest.mark.parametrize(
    ("base", "kind", "value", "currency", "expected"),
    [
        (D(25000), PERCENT, D(10), "IDR", D(22500)),
        (D(25000), PERCENT, D(0), "IDR", D(25000)),
        (D(25000), PERCENT, D(100), "IDR", D(0)),
        (D(25000), PERCENT, D(150), "IDR", D(0)),  # capped, never negative
        (D(9999), PERCENT, D(15), "IDR", D(8499)),  # 8499.15 → whole rupiah
        (D(10001), PERCENT, D(50), "IDR", D(5001)),  # 5000.5 → half up
        (D(25000), NOMINAL, D(5000), "IDR", D(20000)),
        (D(25000), NOMINAL, D(30000), "IDR", D(0)),  # never below zero
        (D(25000), OVERRIDE, D(19999), "IDR", D(19999)),
        (D(25000), OVERRIDE, D(0), "IDR", D(0)),
        (D("10.00"), PERCENT, D("33.333"), "USD", D("6.67")),  # cents elsewhere
        (D("10.00"), NOMINAL, D("0.005"), "USD", D("10.00")),
    ],
)
def test_discounted_price(base, kind, value, currency, expected):
    result = discounted_price(base=base, discount_type=kind, value=value, currency=currency)
    assert result == expected
    assert result >= 0
    assert isinstance(result, Decimal)


def test_unknown_discount_type_is_an_error():
    with pytest.raises(ValueError, match="Unknown discount type"):
        discounted_price(base=D(1), discount_type="bogus", value=D(1))


@pytest.mark.parametrize(
    ("promotions", "expected_final", "expected_index"),
    [
        ([], D(25000), None),
        ([(PERCENT, 10)], D(22500), 0),
        ([(PERCENT, 10), (NOMINAL, 5000)], D(20000), 1),  # lowest final price wins
        ([(NOMINAL, 5000), (OVERRIDE, 15000)], D(15000), 1),
        ([(OVERRIDE, 30000)], D(25000), None),  # a "promotion" never raises the price
        ([(PERCENT, 20), (NOMINAL, 5000)], D(20000), 0),  # tie: the one ending first
    ],
)
def test_best_quote_among_overlapping_promotions(promotions, expected_final, expected_index):
    now = datetime(2026, 1, 1, tzinfo=UTC)
    candidates = [
        Promotion(pk=i + 1, discount_type=kind, value=D(value), ends_at=now + timedelta(days=i))
        for i, (kind, value) in enumerate(promotions)
    ]
    quote = best_quote(base=D(25000), promotions=candidates, currency="IDR")
    assert quote.base == D(25000)
    assert quote.final == expected_final
    expected = None if expected_index is None else candidates[expected_index]
    assert quote.promotion is expected
    assert quote.discount == D(25000) - expected_final


def test_round_amount():
    assert quantize_money(D("22500.5"), currency="IDR") == D(22501)
    assert quantize_money(D("22500.49"), currency="idr") == D(22500)
    assert quantize_money(D("1.005"), currency="USD") == D("1.01")


NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("window", "is_active", "applies"),
    [
        ((-1, 1), True, True),
        ((0, 1), True, True),  # starts exactly now: running
        ((-1, 0), True, False),  # ended exactly now: over
        ((1, 2), True, False),  # not started yet
        ((-2, -1), True, False),  # over
        ((-1, 1), False, False),  # switched off
    ],
)
def test_promotion_window_and_switch(merchant, window, is_active, applies):
    product = ProductFactory(merchant=merchant, base_price=D(25000))
    PromotionFactory(
        merchant=merchant,
        products=[product],
        value=D(10),
        starts_at=NOW + timedelta(hours=window[0]),
        ends_at=NOW + timedelta(hours=window[1]),
        is_active=is_active,
    )
    quote = product_final_price(product=product, at=NOW)
    assert quote.final == (D(22500) if applies else D(25000))
    assert (quote.promotion is not None) is applies


@pytest.mark.django_db
def test_promotion_of_another_product_does_not_apply(merchant):
    product, other = ProductFactory.create_batch(2, merchant=merchant)
    PromotionFactory(merchant=merchant, products=[other], value=D(50))
    assert product_final_price(product=product).final == product.base_price


@pytest.mark.django_db
def test_bulk_prices_take_one_query_whatever_the_number_of_products(
    merchant, django_assert_num_queries
):
    products = ProductFactory.create_batch(6, merchant=merchant, base_price=D(10000))
    PromotionFactory(merchant=merchant, products=products[:3], value=D(10))
    PromotionFactory(
        merchant=merchant,
        products=products[2:4],
        discount_type=Promotion.DiscountType.NOMINAL,
        value=D(3000),
    )
    with django_assert_num_queries(1):
        quotes = product_final_prices(products=products, currency="IDR")
    finals = [quotes[product.pk].final for product in products]
    assert finals == [D(9000), D(9000), D(7000), D(7000), D(10000), D(10000)]
    assert product_final_prices(products=[]) == {}
