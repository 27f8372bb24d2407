"""The one place that decides what a product costs at a moment, after promotions.

Rules: percent → base * (1 - v/100); nominal → base - v; override_price → v; never below zero.
Of all promotions running at that moment for the product, the one giving the lowest final price
wins (ties: the promotion that ends first, then the lowest id, so the answer is stable).
Amounts are Decimal, rounded half up to the currency's unit (`merchants.money.quantize_money`:
whole rupiah for IDR, cents for USD).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from catalog.models import Product, Promotion
from merchants.money import quantize_money

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class PriceQuote:
    base: Decimal
    final: Decimal
    promotion: Promotion | None = None

    @property
    def discount(self) -> Decimal:
        return self.base - self.final


def discounted_price(
    *, base: Decimal, discount_type: str, value: Decimal, currency: str = "IDR"
) -> Decimal:
    """The price after one promotion of `discount_type` and `value`; never below zero."""
    base, value = Decimal(base), Decimal(value)
    if discount_type == Promotion.DiscountType.PERCENT:
        final = base * (1 - min(value, HUNDRED) / HUNDRED)
    elif discount_type == Promotion.DiscountType.NOMINAL:
        final = base - value
    elif discount_type == Promotion.DiscountType.OVERRIDE_PRICE:
        final = value
    else:
        raise ValueError(f"Unknown discount type {discount_type!r}.")
    return quantize_money(max(final, ZERO), currency)


def best_quote(
    *, base: Decimal, promotions: Iterable[Promotion], currency: str = "IDR"
) -> PriceQuote:
    """The lowest price among `promotions` (assumed running), or the base price."""
    base = quantize_money(Decimal(base), currency)
    best = PriceQuote(base=base, final=base)
    best_key = None
    for promotion in promotions:
        final = discounted_price(
            base=base,
            discount_type=promotion.discount_type,
            value=promotion.value,
            currency=currency,
        )
        key = (final, promotion.ends_at, promotion.pk or 0)
        if final <= base and (best_key is None or key < best_key):
            best, best_key = PriceQuote(base=base, final=final, promotion=promotion), key
    return best


def product_final_prices(
    *, products: Iterable[Product], at: datetime | None = None, currency: str | None = None
) -> dict[int, PriceQuote]:
    """Quotes for many products (product id → quote) with one query for all promotions.

    `currency` defaults to each product's merchant currency (pass it to avoid loading merchants).
    """
    products = list(products)
    at = at or timezone.now()
    by_product: dict[int, list[Promotion]] = {product.pk: [] for product in products}
    if products:
        # The running promotions with the product each covers: one model object per row (not
        # an item and its promotion), and the products of a promotion share one object.
        rows = Promotion.objects.filter(
            is_active=True,
            starts_at__lte=at,
            ends_at__gt=at,
            items__product_id__in=list(by_product),
        )
        rows = rows.annotate(covered_product_id=F("items__product_id")).order_by()
        running: dict[int, Promotion] = {}
        for row in rows:
            by_product[row.covered_product_id].append(running.setdefault(row.pk, row))
    return {
        product.pk: best_quote(
            base=product.base_price,
            promotions=by_product[product.pk],
            currency=currency or product.merchant.currency,
        )
        for product in products
    }


def product_final_price(
    *, product: Product, at: datetime | None = None, currency: str | None = None
) -> PriceQuote:
    """The unit price of `product` at `at` (now by default) after its best running promotion."""
    return product_final_prices(products=[product], at=at, currency=currency)[product.pk]
