"""How an order is priced. The one place these sums live; every amount comes from the server.

A line's unit prices (`LineSpec`):
    unit base  = the product's base price + Σ its modifier options' price deltas
    unit final = the product's price after its best promotion + Σ the same deltas
                 (promotions apply to the product's own price, never to modifiers)
An order discount given by staff (`StaffDiscount`, percent or amount) is taken off the lines
after promotions, shared among them in proportion to their amounts (whole units of the
currency, the remainder to the largest shares), before tax and service: tax and service are
charged on the discounted amount.

Per line, rounded half up to the currency's unit (whole rupiah for IDR) at each step
(`merchants.money.quantize_money`). With prices that exclude tax (the default):
    line subtotal  = unit final × qty
    line discount  = (unit base − unit final) × qty          (promotions)
    order discount = the line's share of the staff discount
    line tax       = (line subtotal − order discount) × tax%
    line service   = (line subtotal − order discount) × service%
With prices that include tax (`prices_include_tax`), every amount the customer sees already
holds the tax; the net of an amount A is A / (1 + tax%), and:
    line subtotal  = net of (unit final × qty)
    line discount  = net of (unit base × qty) − line subtotal
    order discount = line subtotal − net of (unit final × qty − the line's share)
    line tax       = (unit final × qty − the line's share) − its net
    line service   = that net × service%
Es Kopi Susu at 27500 including 10% tax: subtotal 25000, tax 2500, total 27500.

Per order:
    subtotal = Σ (line subtotal + line discount)             (list prices, net of tax)
    discount = Σ line discount + Σ order discount            (promotions and staff)
    total    = subtotal − discount + tax + service
    rounded  = total to the nearest cash step, half up (IDR: 100), used for cash
               (`merchants.money.round_for_cash`)
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

from catalog.models import Product
from catalog.modifiers import ModifierChoice
from catalog.pricing import PriceQuote, product_final_prices
from merchants.money import minor_unit, quantize_money, round_for_cash

HUNDRED = Decimal(100)
ZERO = Decimal(0)


class DiscountKind:
    PERCENT = "percent"
    AMOUNT = "amount"
    CHOICES = ((PERCENT, "Percent of the bill"), (AMOUNT, "Amount off the bill"))


@dataclass(frozen=True)
class StaffDiscount:
    """A discount staff give on the whole order: `value` percent, or `value` off."""

    kind: str
    value: Decimal


@dataclass(frozen=True)
class LineSpec:
    """What one line is made of: its unit prices as the customer sees them, and its rates."""

    quantity: int
    unit_base: Decimal
    unit_final: Decimal
    tax_percent: Decimal
    service_charge_percent: Decimal
    # The product's own price now (before modifiers) and the promotion that made it.
    quote: PriceQuote
    product: Product | None = None
    modifiers: tuple[ModifierChoice, ...] = ()
    notes: str = ""
    item_id: int | None = None  # the order line it prices again, if any


@dataclass(frozen=True)
class PricedLine:
    spec: LineSpec
    line_subtotal: Decimal
    discount: Decimal
    order_discount: Decimal
    tax: Decimal
    service_charge: Decimal

    @property
    def product(self) -> Product | None:
        return self.spec.product

    @property
    def quantity(self) -> int:
        return self.spec.quantity

    @property
    def quote(self) -> PriceQuote:
        return self.spec.quote

    @property
    def notes(self) -> str:
        return self.spec.notes

    @property
    def modifiers(self) -> tuple[ModifierChoice, ...]:
        return self.spec.modifiers


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
    staff_discount: Decimal = ZERO
    prices_include_tax: bool = False


def line_spec(
    *,
    product: Product,
    quantity: int,
    quote: PriceQuote,
    modifiers: Sequence[ModifierChoice] = (),
    notes: str = "",
) -> LineSpec:
    """A new line of `product` at `quote` (its price now) with the options chosen."""
    deltas = sum((choice.price_delta for choice in modifiers), ZERO)
    return LineSpec(
        quantity=quantity,
        unit_base=quote.base + deltas,
        unit_final=quote.final + deltas,
        tax_percent=product.tax_percent,
        service_charge_percent=product.service_charge_percent,
        quote=quote,
        product=product,
        modifiers=tuple(modifiers),
        notes=notes,
    )


def line_specs(
    *,
    lines: Sequence[tuple],
    currency: str,
    at: datetime | None = None,
) -> list[LineSpec]:
    """Specs of new lines `(product, quantity, notes[, modifiers])` priced at `at` (now by
    default): one query for the promotions of all of them."""
    quotes = product_final_prices(products=[line[0] for line in lines], at=at, currency=currency)
    return [
        line_spec(
            product=line[0],
            quantity=line[1],
            quote=quotes[line[0].pk],
            notes=line[2] if len(line) > 2 else "",
            modifiers=line[3] if len(line) > 3 else (),
        )
        for line in lines
    ]


def staff_discount_total(
    *, rule: StaffDiscount | None, discountable: Decimal, currency: str
) -> Decimal:
    """What a staff discount takes off `discountable` (never more than it)."""
    if rule is None or discountable <= 0:
        return ZERO
    if rule.kind == DiscountKind.PERCENT:
        amount = quantize_money(discountable * min(rule.value, HUNDRED) / HUNDRED, currency)
    else:
        amount = quantize_money(rule.value, currency)
    return min(max(amount, ZERO), discountable)


def share_out(amount: Decimal, weights: Sequence[Decimal], currency: str) -> list[Decimal]:
    """`amount` shared in proportion to `weights`, in whole units of the currency, adding up to
    `amount` exactly (largest remainders first, then the earlier line)."""
    total = sum(weights, ZERO)
    if amount <= 0 or total <= 0:
        return [ZERO for _ in weights]
    unit = minor_unit(currency)
    units = int((amount / unit).to_integral_value())
    exact = [Decimal(units) * weight / total for weight in weights]
    shares = [int(value.to_integral_value(rounding=ROUND_FLOOR)) for value in exact]
    left = units - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for index in order[:left]:
        shares[index] += 1
    return [quantize_money(share * unit, currency) for share in shares]


def _net(amount: Decimal, tax_percent: Decimal, currency: str) -> Decimal:
    return quantize_money(amount * HUNDRED / (HUNDRED + tax_percent), currency)


def _price_line(
    spec: LineSpec, *, share: Decimal, currency: str, prices_include_tax: bool
) -> PricedLine:
    gross_base = quantize_money(spec.unit_base * spec.quantity, currency)
    gross_final = quantize_money(spec.unit_final * spec.quantity, currency)
    taxable = gross_final - share
    if prices_include_tax:
        net_final = _net(gross_final, spec.tax_percent, currency)
        net_taxable = _net(taxable, spec.tax_percent, currency)
        return PricedLine(
            spec=spec,
            line_subtotal=net_final,
            discount=_net(gross_base, spec.tax_percent, currency) - net_final,
            order_discount=net_final - net_taxable,
            tax=taxable - net_taxable,
            service_charge=quantize_money(
                net_taxable * spec.service_charge_percent / HUNDRED, currency
            ),
        )
    return PricedLine(
        spec=spec,
        line_subtotal=gross_final,
        discount=gross_base - gross_final,
        order_discount=share,
        tax=quantize_money(taxable * spec.tax_percent / HUNDRED, currency),
        service_charge=quantize_money(taxable * spec.service_charge_percent / HUNDRED, currency),
    )


def order_totals(
    *,
    lines: Sequence[LineSpec],
    currency: str,
    prices_include_tax: bool = False,
    discount: StaffDiscount | None = None,
) -> OrderPricing:
    """Price `lines` and sum them, with the staff `discount` if any. No query: new lines are
    made by `line_specs`, an order's own lines by `orders.services` from their snapshots."""
    grosses = [quantize_money(spec.unit_final * spec.quantity, currency) for spec in lines]
    off = staff_discount_total(rule=discount, discountable=sum(grosses, ZERO), currency=currency)
    shares = share_out(off, grosses, currency)
    priced = [
        _price_line(spec, share=share, currency=currency, prices_include_tax=prices_include_tax)
        for spec, share in zip(lines, shares, strict=True)
    ]
    subtotal = sum((line.line_subtotal + line.discount for line in priced), ZERO)
    promotions = sum((line.discount for line in priced), ZERO)
    staff = sum((line.order_discount for line in priced), ZERO)
    tax = sum((line.tax for line in priced), ZERO)
    service = sum((line.service_charge for line in priced), ZERO)
    total = subtotal - promotions - staff + tax + service
    return OrderPricing(
        lines=priced,
        currency=currency,
        subtotal=quantize_money(subtotal, currency),
        discount=promotions + staff,
        tax=tax,
        service_charge=service,
        total=total,
        rounded=round_for_cash(total, currency),
        staff_discount=staff,
        prices_include_tax=prices_include_tax,
    )


def order_price(
    *,
    lines: Sequence[tuple],
    currency: str,
    at: datetime | None = None,
    prices_include_tax: bool = False,
    discount: StaffDiscount | None = None,
) -> OrderPricing:
    """Price new lines `(product, quantity, notes[, modifiers])` at `at` (now by default); one
    promotions query."""
    return order_totals(
        lines=line_specs(lines=lines, currency=currency, at=at),
        currency=currency,
        prices_include_tax=prices_include_tax,
        discount=discount,
    )


def price_line(
    *, product: Product, quantity: int, quote: PriceQuote, currency: str, notes: str = ""
) -> PricedLine:
    """One line without modifiers, tax excluded, no staff discount (for bulk history loads)."""
    spec = line_spec(product=product, quantity=quantity, quote=quote, notes=notes)
    return _price_line(spec, share=ZERO, currency=currency, prices_include_tax=False)


def item_spec(item) -> LineSpec:
    """An order line (`OrderItem`) as a spec, from its own snapshot: an open bill is priced
    again (a line added or voided, a discount given, a split) without reading the catalog."""
    return LineSpec(
        quantity=item.quantity,
        unit_base=item.base_price,
        unit_final=item.final_price,
        tax_percent=item.tax_percent,
        service_charge_percent=item.service_charge_percent,
        quote=PriceQuote(base=item.base_price, final=item.final_price),
        modifiers=tuple(ModifierChoice.from_snapshot(data) for data in item.modifiers),
        notes=item.notes,
        item_id=item.pk,
    )
