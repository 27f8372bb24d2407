"""What the till prints: the customer's receipt and the kitchen ticket.

One structure (`receipt_data`, `kitchen_ticket_data`) feeds both the print page (HTML with print
CSS for 58 mm and 80 mm rolls) and the plain text for ESC/POS printers (`receipt_text`,
`kitchen_ticket_text`), whose lines never exceed the roll's columns (32 at 58 mm, 48 at 80 mm).
"""

import textwrap
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from merchants.actors import Actor
from merchants.money import currency_info, format_amount, format_money
from orders.models import Order, OrderEvent
from orders.receipts import format_moment, tender_label
from orders.selectors import order_detail_get
from orders.services import order_event_build
from payments.models import Payment

PAPER_COLUMNS = {58: 32, 80: 48}
DEFAULT_PAPER = 58


def paper_width(value: str | None) -> int:
    """`?width=58|80` (anything else: the default roll)."""
    try:
        width = int(value or DEFAULT_PAPER)
    except ValueError:
        return DEFAULT_PAPER
    return width if width in PAPER_COLUMNS else DEFAULT_PAPER


# --- money: the one place the till writes amounts (swap in money_format here when it lands) ---


def till_money(amount, currency: str) -> str:
    """An amount with its currency as the shop's customers read it: "Rp 46.000"."""
    return format_money(amount, currency, language=currency_info(currency).language)


def till_amount(amount, currency: str) -> str:
    """The number alone, for receipt columns: "46.000"."""
    return format_amount(amount, currency, language=currency_info(currency).language)


# --- the data ---------------------------------------------------------------------------------


@dataclass
class PrintLine:
    quantity: int
    name: str
    amount: str = ""  # empty on kitchen tickets
    modifiers: list[str] = field(default_factory=list)
    notes: str = ""


@dataclass
class Receipt:
    merchant_name: str
    address: list[str]
    phone: str
    tax_id: str
    footer: list[str]
    logo_url: str
    number: str
    placed_at: str
    cashier: str
    table: str
    order_type: str
    lines: list[PrintLine]
    totals: list[tuple[str, str]]  # (label, amount), the last one the total
    tenders: list[tuple[str, str]]
    status_note: str = ""


def receipt_data(*, order: Order) -> Receipt:
    """The receipt of an order from `order_detail_get` (lines, payments attached)."""
    merchant, currency = order.merchant, order.currency

    def amount(value: Decimal) -> str:
        return till_amount(value, currency)

    lines = [
        PrintLine(
            quantity=item.quantity,
            name=item.product_name,
            amount=amount(item.line_subtotal_amount),
            modifiers=[_modifier_label(choice, currency) for choice in item.modifiers],
            notes=item.notes,
        )
        for item in order.item_list
    ]
    totals = [(_("Subtotal"), amount(order.subtotal_amount))]
    promotions = order.discount_amount - order.staff_discount_amount
    if promotions:
        totals.append((_("Promotions"), "-" + amount(promotions)))
    if order.staff_discount_amount:
        label = _("Discount")
        if order.staff_discount_reason:
            label = f"{label} ({order.staff_discount_reason})"
        totals.append((label, "-" + amount(order.staff_discount_amount)))
    if order.tax_amount:
        label = _("Tax (included)") if order.prices_include_tax else _("Tax")
        totals.append((label, amount(order.tax_amount)))
    if order.service_charge_amount:
        totals.append((pgettext("service charge", "Service"), amount(order.service_charge_amount)))
    totals.append((_("TOTAL"), till_money(order.total_amount, currency)))

    tenders: list[tuple[str, str]] = []
    paid = [p for p in order.payment_list if p.status in Payment.PAID_STATUSES]
    for payment in sorted(paid, key=lambda p: (p.paid_at or p.created_at, p.pk)):
        if payment.gateway == Payment.Gateway.CASH and payment.cash_tendered_amount:
            tenders.append((tender_label(payment), amount(payment.cash_tendered_amount)))
            tenders.append(
                (pgettext("cash handed back", "Change"), amount(payment.change_amount or 0))
            )
        else:
            tenders.append((tender_label(payment), amount(payment.amount)))
    status_note = ""
    if order.status == Order.Status.CANCELLED:
        status_note = _("CANCELLED")
    elif not paid or order.amount_due:
        status_note = _("NOT PAID: %(due)s due") % {"due": till_money(order.amount_due, currency)}
    return Receipt(
        merchant_name=merchant.name,
        address=[line.strip() for line in merchant.address.splitlines() if line.strip()],
        phone=merchant.phone,
        tax_id=merchant.tax_id,
        footer=[line.strip() for line in merchant.receipt_footer.splitlines() if line.strip()],
        logo_url=merchant.logo.url if merchant.logo else "",
        number=order.number,
        placed_at=format_moment(order.created_at, merchant.tzinfo),
        cashier=order.created_by.username if order.created_by else "",
        table=order.table.number if order.table else "",
        order_type=order.get_order_type_display(),
        lines=lines,
        totals=totals,
        tenders=tenders,
        status_note=status_note,
    )


def _modifier_label(choice: dict, currency: str) -> str:
    delta = Decimal(choice["price_delta"])
    return choice["name"] + (f" +{till_amount(delta, currency)}" if delta else "")


@dataclass
class KitchenTicket:
    number: str
    table: str
    order_type: str
    printed_at: str
    lines: list[PrintLine]
    notes: str
    reprint: int  # 0 the first time, then how many times it was printed before


def kitchen_ticket_print(*, order: Order, actor: Actor) -> KitchenTicket:
    """The kitchen's ticket (no prices), recording the print so a second one says REPRINT."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        printed_before = order.events.filter(kind=OrderEvent.Kind.KITCHEN_TICKET).count()
        order_event_build(
            order, actor, OrderEvent.Kind.KITCHEN_TICKET, copy=printed_before + 1
        ).save()
    order = order_detail_get(pk=order.pk)
    return KitchenTicket(
        number=order.number,
        table=order.table.number if order.table else "",
        order_type=order.get_order_type_display(),
        printed_at=dateformat.format(
            timezone.localtime(timezone.now(), order.merchant.tzinfo), "d M Y H:i"
        ),
        lines=[
            PrintLine(
                quantity=item.quantity,
                name=item.product_name,
                modifiers=[choice["name"] for choice in item.modifiers],
                notes=item.notes,
            )
            for item in order.item_list
        ],
        notes=order.notes,
        reprint=printed_before,
    )


# --- plain text -------------------------------------------------------------------------------


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    return textwrap.wrap(
        text, width, initial_indent=indent, subsequent_indent=indent, break_long_words=True
    ) or [""]


def _columns(left: str, right: str, width: int) -> list[str]:
    """`left` and `right` on one line padded to `width`; a long `left` wraps above."""
    right = right[:width]
    room = width - len(right) - 1
    if room < 1 or (len(left) > room and len(right) > 12):
        # A long right side (a date) goes under, not beside a left side cut in pieces.
        return [*_wrap(left, width), right.rjust(width)]
    wrapped = _wrap(left, room)
    *first, last = wrapped
    return [*first, last.ljust(room) + " " + right]


def _center(text: str, width: int) -> list[str]:
    return [line.center(width).rstrip() for line in _wrap(text, width)]


def receipt_text(receipt: Receipt, *, width: int = DEFAULT_PAPER) -> str:
    cols = PAPER_COLUMNS[width]
    rule = "-" * cols
    out: list[str] = [*_center(receipt.merchant_name, cols)]
    for line in receipt.address:
        out += _center(line, cols)
    if receipt.phone:
        out += _center(_("Tel. %(phone)s") % {"phone": receipt.phone}, cols)
    if receipt.tax_id:
        out += _center(_("NPWP %(tax_id)s") % {"tax_id": receipt.tax_id}, cols)
    out.append(rule)
    out += _columns(receipt.number, receipt.placed_at, cols)
    if receipt.table:
        out += _columns(_("Table %(table)s") % {"table": receipt.table}, receipt.cashier, cols)
    elif receipt.cashier:
        out += _columns(receipt.order_type, receipt.cashier, cols)
    out.append(rule)
    for line in receipt.lines:
        out += _columns(f"{line.quantity} x {line.name}", line.amount, cols)
        for modifier in line.modifiers:
            out += _wrap(f"+ {modifier}", cols, indent="  ")
        if line.notes:
            out += _wrap(f"* {line.notes}", cols, indent="  ")
    out.append(rule)
    for label, amount in receipt.totals:
        out += _columns(label, amount, cols)
    if receipt.tenders:
        out.append(rule)
        for label, amount in receipt.tenders:
            out += _columns(label, amount, cols)
    if receipt.status_note:
        out.append(rule)
        out += _center(receipt.status_note, cols)
    if receipt.footer:
        out.append("")
        for line in receipt.footer:
            out += _center(line, cols)
    return "\n".join(line.rstrip() for line in out) + "\n"


def kitchen_ticket_text(ticket: KitchenTicket, *, width: int = DEFAULT_PAPER) -> str:
    cols = PAPER_COLUMNS[width]
    rule = "=" * cols
    out: list[str] = []
    if ticket.reprint:
        out += _center(_("*** REPRINT %(copy)s ***") % {"copy": ticket.reprint + 1}, cols)
    where = _("TABLE %(table)s") % {"table": ticket.table} if ticket.table else ticket.order_type
    out += _center(where, cols)
    out += _columns(ticket.number, ticket.printed_at, cols)
    out.append(rule)
    for line in ticket.lines:
        out += _wrap(f"{line.quantity} x {line.name}", cols)
        for modifier in line.modifiers:
            out += _wrap(f"+ {modifier}", cols, indent="   ")
        if line.notes:
            out += _wrap(f"! {line.notes}", cols, indent="   ")
    if ticket.notes:
        out.append(rule)
        out += _wrap(ticket.notes, cols)
    return "\n".join(line.rstrip() for line in out) + "\n"
