"""How an order is priced. The one place these sums live; every amount comes from the server.

Per line, rounded half up to the currency's unit (whole rupiah for IDR) at each step:
    line subtotal = final unit price × qty          (final price: catalog's pricing rule)
    line tax      = line subtotal × tax%
    line service  = line subtotal × service%
Per order:
    subtotal = Σ base × qty,  discount = Σ (base − final) × qty
    total    = subtotal − discount + tax + service
    rounded  = total to the nearest cash unit, half up (IDR: 100), used for cash
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from catalog.models import Product
from catalog.pricing import PriceQuote, product_final_prices, round_amount

HUNDRED = Decimal(100)
ZERO = Decimal(0)


def cash_rounding_unit(currency: str) -> Decimal:
    return Decimal(100) if currency.upper() == "IDR" else Decimal("0.01")


def round_for_cash(amount: Decimal, *, currency: str) -> Decimal:
    unit = cash_rounding_unit(currency)
    return ((amount / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP) * unit).quantize(
        Decimal("0.01")
    )


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
    line_subtotal = round_amount(quote.final * quantity, currency=currency)
    return PricedLine(
        product=product,
        quantity=quantity,
        quote=quote,
        line_subtotal=line_subtotal,
        discount=round_amount((quote.base - quote.final) * quantity, currency=currency),
        tax=round_amount(line_subtotal * product.tax_percent / HUNDRED, currency=currency),
        service_charge=round_amount(
            line_subtotal * product.service_charge_percent / HUNDRED, currency=currency
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
    subtotal = round_amount(subtotal, currency=currency)
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
        rounded=round_for_cash(total, currency=currency),
    )
