"""How an order is priced. The one place these sums live; every amount comes from the server.

Per line, rounded half up to the currency's unit (whole rupiah for IDR) at each step
(`merchants.money.quantize_money`):
    line subtotal = final unit price × qty          (final price: catalog's pricing rule)
    line tax      = line subtotal × tax%
    line service  = line subtotal × service%
Per order:
    subtotal = Σ base × qty,  discount = Σ (base − final) × qty
    total    = subtotal − discount + tax + service
    rounded  = total to the nearest cash step, half up (IDR: 100), used for cash
               (`merchants.money.round_for_cash`)
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from catalog.models import Product
from catalog.pricing import PriceQuote, product_final_prices
from merchants.money import quantize_money, round_for_cash

HUNDRED = Decimal(100)
ZERO = Decimal(0)


@dataclass(frozen=True)
class PricedLine:
    product: Product
    quantity: int
    quote: PriceQuote
    line_subtotal: Decimal
    discount: Decimal
    tax: Decimal
    service_charge: Decimal
    notes: str = ""


@dataclass(frozen=True)
class OrderPricing:
    lines: list[PricedLine]
    currency: str
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    service_charge: Decimal
    total: Decimal
    rounded: Decimal


def price_line(
    *, product: Product, quantity: int, quote: PriceQuote, currency: str, notes: str = ""
) -> PricedLine:
    line_subtotal = quantize_money(quote.final * quantity, currency)
    return PricedLine(
        product=product,
        quantity=quantity,
        quote=quote,
        line_subtotal=line_subtotal,
        discount=quantize_money((quote.base - quote.final) * quantity, currency),
        tax=quantize_money(line_subtotal * product.tax_percent / HUNDRED, currency),
        service_charge=quantize_money(
            line_subtotal * product.service_charge_percent / HUNDRED, currency
        ),
        notes=notes,
    )


def order_price(
    *, lines: list[tuple[Product, int, str]], currency: str, at: datetime | None = None
) -> OrderPricing:
    """Price `(product, quantity, notes)` lines at `at` (now by default); one promotions query."""
    quotes = product_final_prices(
        products=[product for product, _, _ in lines], at=at, currency=currency
    )
    priced = [
        price_line(
            product=product, quantity=qty, quote=quotes[product.pk], currency=currency, notes=notes
        )
        for product, qty, notes in lines
    ]
    subtotal = sum((line.quote.base * line.quantity for line in priced), ZERO)
    subtotal = quantize_money(subtotal, currency)
    discount = sum((line.discount for line in priced), ZERO)
    tax = sum((line.tax for line in priced), ZERO)
    service = sum((line.service_charge for line in priced), ZERO)
    total = subtotal - discount + tax + service
    return OrderPricing(
        lines=priced,
        currency=currency,
        subtotal=subtotal,
        discount=discount,
        tax=tax,
        service_charge=service,
        total=total,
        rounded=round_for_cash(total, currency),
    )
