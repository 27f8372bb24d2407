from decimal import Decimal

import pytest

from catalog.tests.factories import ProductFactory, PromotionFactory
from orders.pricing import order_price, round_for_cash

pytestmark = pytest.mark.django_db
D = Decimal


def test_worked_example_to_the_rupiah(nasi_goreng):
    pricing = order_price(lines=[(nasi_goreng, 2, "")], currency="IDR")
    assert pricing.subtotal == D(50000)
    assert pricing.discount == D(5000)
    assert pricing.tax == D(4500)
    assert pricing.service_charge == D(2250)
    assert pricing.total == D(51750)
    assert pricing.rounded == D(51800)
    [line] = pricing.lines
    assert line.quote.final == D(22500)
    assert line.line_subtotal == D(45000)


@pytest.mark.parametrize(
    ("total", "rounded"),
    [
        (D(51750), D(51800)),
        (D(51749), D(51700)),
        (D(51700), D(51700)),
        (D(50), D(100)),
        (D(49), D(0)),
    ],
)
def test_cash_rounding_is_half_up_to_100(total, rounded):
    assert round_for_cash(total, currency="IDR") == rounded


def test_each_line_is_rounded_half_up_before_summing(merchant):
    # 3333 × 1 at 10% tax = 333.3 → 333; 3335 × 1 at 10% tax = 333.5 → 334.
    a = ProductFactory(merchant=merchant, base_price=D(3333), tax_percent=D(10))
    b = ProductFactory(merchant=merchant, base_price=D(3335), tax_percent=D(10))
    pricing = order_price(lines=[(a, 1, ""), (b, 1, "")], currency="IDR")
    assert [line.tax for line in pricing.lines] == [D(333), D(334)]
    assert pricing.tax == D(667)
    assert pricing.total == D(3333 + 3335 + 667)


def test_nominal_promotion_never_goes_below_zero(merchant):
    product = ProductFactory(merchant=merchant, base_price=D(10000), tax_percent=D(10))
    PromotionFactory(merchant=merchant, discount_type="nominal", value=D(15000), products=[product])
    pricing = order_price(lines=[(product, 3, "")], currency="IDR")
    assert pricing.lines[0].quote.final == D(0)
    assert pricing.discount == D(30000)
    assert pricing.tax == D(0)
    assert pricing.total == D(0)


def test_best_of_overlapping_promotions_and_tax_on_discounted_price(merchant):
    product = ProductFactory(merchant=merchant, base_price=D(20000), service_charge_percent=D(5))
    PromotionFactory(merchant=merchant, discount_type="percent", value=D(10), products=[product])
    PromotionFactory(
        merchant=merchant, discount_type="override_price", value=D(15000), products=[product]
    )
    pricing = order_price(lines=[(product, 2, "")], currency="IDR")
    assert pricing.lines[0].quote.final == D(15000)
    assert pricing.discount == D(10000)
    assert pricing.service_charge == D(1500)
    assert pricing.total == D(40000 - 10000 + 1500)


def test_a_staff_discount_is_shared_and_taxed_after(merchant):
    from orders.pricing import StaffDiscount, share_out

    assert share_out(D(10001), [D(18000), D(22000)], "IDR") == [D(4500), D(5501)]
    assert share_out(D(100), [D(1), D(1), D(1)], "IDR") == [D(34), D(33), D(33)]
    assert share_out(D("0.10"), [D(1), D(2)], "USD") == [D("0.03"), D("0.07")]
    product = ProductFactory(merchant=merchant, base_price=D(20000), tax_percent=D(10))
    pricing = order_price(
        lines=[(product, 2, "")],
        currency="IDR",
        discount=StaffDiscount(kind="percent", value=D(25)),
    )
    assert (pricing.staff_discount, pricing.discount) == (D(10000), D(10000))
    assert pricing.tax == D(3000)
    assert pricing.total == D(33000)


def test_a_staff_discount_on_prices_that_include_tax(merchant):
    """27500 incl. 10% tax, 5500 off what the customer pays: 22000 incl. tax = 20000 + 2000."""
    from orders.pricing import StaffDiscount

    kopi = ProductFactory(merchant=merchant, base_price=D(27500), tax_percent=D(10))
    pricing = order_price(
        lines=[(kopi, 1, "")],
        currency="IDR",
        prices_include_tax=True,
        discount=StaffDiscount(kind="amount", value=D(5500)),
    )
    assert (pricing.subtotal, pricing.staff_discount, pricing.tax) == (D(25000), D(5000), D(2000))
    assert pricing.total == D(22000)
