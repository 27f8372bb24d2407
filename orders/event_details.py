"""An order event's details as an owner reads them: named in their language, money as money.

The event keeps what happened as it was logged (`OrderEvent.payload`: `{"amount": "46000.00",
"reason": "wrong order"}`); the order page shows it as "Amount: Rp 46.000 · Reason: wrong order"
in Indonesian, "Amount: IDR 46,000" in English. Keys this does not know (older events, new
kinds) are shown as they were stored.
"""

from django.utils.translation import gettext, gettext_lazy

from merchants.money import format_money
from orders.models import Order, choice_label

LABELS = {
    "total": gettext_lazy("Order total"),
    "amount": gettext_lazy("Amount"),
    "refunded_total": gettext_lazy("Refunded so far"),
    "reason": gettext_lazy("Reason"),
    "note": gettext_lazy("Note"),
    "payment_id": gettext_lazy("Payment"),
    "gateway": gettext_lazy("Gateway"),
    "method": gettext_lazy("Method"),
    "payment_from": gettext_lazy("Payment status before"),
    "payment_to": gettext_lazy("Payment status after"),
    "lines": gettext_lazy("Lines"),
    "line_id": gettext_lazy("Line"),
    "product": gettext_lazy("Product"),
    "quantity": gettext_lazy("Quantity"),
    "modifiers": gettext_lazy("Options"),
    "stock_returned": gettext_lazy("Units back in stock, by product id"),
    "payload_units": gettext_lazy("Units back in stock, by product id"),
    "from_table": gettext_lazy("From table"),
    "to_table": gettext_lazy("To table"),
    "from_order": gettext_lazy("Moved from order"),
    "to_order": gettext_lazy("Moved to order"),
    "discount_kind": gettext_lazy("Discount"),
    "value": gettext_lazy("Discount value"),
    "removed": gettext_lazy("Discount removed"),
    "copy": gettext_lazy("Kitchen ticket copy"),
}
MONEY = frozenset({"total", "amount", "refunded_total"})
PAYMENT_STATUSES = frozenset({"payment_from", "payment_to"})


def event_details(payload, currency: str):
    """`payload` with its keys named for people and its amounts written in `currency` (an
    empty value, such as a status change with no reason given, says nothing and is left out)."""
    if not isinstance(payload, dict):
        return payload
    return {
        str(LABELS.get(key, key)): _value(key, value, payload, currency)
        for key, value in payload.items()
        if value != ""
    }


def _value(key: str, value, payload: dict, currency: str):
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if key in MONEY or (key == "value" and payload.get("discount_kind") == "amount"):
        return _money(value, currency)
    if key == "value" and payload.get("discount_kind") == "percent":
        return f"{value} %"
    if key == "discount_kind":
        return choice_label(Order.DiscountKind, value)
    if key in PAYMENT_STATUSES:
        return choice_label(Order.PaymentStatus, value)
    if isinstance(value, dict):
        return event_details(value, currency)
    if isinstance(value, list):
        return [event_details(item, currency) for item in value]
    return value


def _money(value, currency: str):
    try:
        return format_money(value, currency)
    except (ArithmeticError, TypeError, ValueError):
        return value  # not an amount after all: as stored
