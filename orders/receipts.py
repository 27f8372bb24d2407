"""What the paid receipt email shows: the order's lines and sums, and how it was paid."""

from datetime import datetime, tzinfo
from decimal import Decimal

from django.utils import timezone

from merchants.money import currency_info, format_money
from orders.models import Order
from payments.models import Payment
from payments.selectors import payment_channel

# Midtrans `payment_type` / Xendit `channel_code` → what a customer recognises.
CHANNEL_LABELS = {
    "cash": "Cash",
    "qris": "QRIS",
    "gopay": "GoPay",
    "shopeepay": "ShopeePay",
    "credit_card": "Card",
    "bank_transfer": "Bank transfer",
    "echannel": "Mandiri Bill",
    "permata": "Permata virtual account",
    "cstore": "Convenience store",
    "akulaku": "Akulaku",
    "kredivo": "Kredivo",
    "ID_DANA": "DANA (QRIS)",
    "ID_OVO": "OVO (QRIS)",
    "ID_LINKAJA": "LinkAja (QRIS)",
    "ID_SHOPEEPAY": "ShopeePay (QRIS)",
}


def format_moment(moment: datetime, tz: tzinfo) -> str:
    """ "5 May 2026, 10:20" in the merchant's time zone (templates would use the server's)."""
    local = timezone.localtime(moment, tz)
    return f"{local.day} {local:%b %Y, %H:%M}"


def payment_method_label(payment: Payment) -> str:
    channel = payment_channel(payment=payment)
    if channel:
        return CHANNEL_LABELS.get(channel, channel.replace("_", " ").capitalize())
    return payment.get_method_display()


def order_receipt_context(*, order: Order, payments: list[Payment]) -> dict:
    """Template context of `emails/order_receipt.*` for a paid order from `order_queryset()`."""
    currency = order.currency
    tz = order.merchant.tzinfo
    # Amounts as the shop's customers read them (rupiah the Indonesian way, "Rp 51.750"; "USD
    # 12.50"): the currency's own convention, whatever language the server runs in.
    language = currency_info(currency).language

    def money(amount: Decimal) -> str:
        return format_money(amount, currency, language=language)

    paid = [p for p in payments if p.status in Payment.PAID_STATUSES]
    payment = min(paid, key=lambda p: (p.paid_at or p.created_at, p.pk)) if paid else None
    paid_at = (payment.paid_at if payment else None) or order.paid_at
    lines = [
        {
            "name": item.product_name,
            "quantity": item.quantity,
            "unit_price": money(item.final_price),
            "base_price": money(item.base_price) if item.base_price != item.final_price else "",
            "promotion": item.promotion_name,
            "amount": money(item.line_subtotal_amount),
            "notes": item.notes,
        }
        for item in order.item_list
    ]
    context = {
        "customer_name": order.customer.name if order.customer else "",
        "number": order.number,
        "placed_at": format_moment(order.created_at, tz),
        "order_type": order.get_order_type_display(),
        "table": order.table.number if order.table else "",
        "lines": lines,
        "subtotal": money(order.subtotal_amount),
        "discount": money(order.discount_amount) if order.discount_amount else "",
        "tax": money(order.tax_amount) if order.tax_amount else "",
        "service_charge": money(order.service_charge_amount) if order.service_charge_amount else "",
        "total": money(order.total_amount),
        "payment_method": payment_method_label(payment) if payment else "",
        "paid_at": format_moment(paid_at, tz) if paid_at else "",
        "amount_paid": money(payment.amount) if payment else "",
        "cash_tendered": "",
        "change": "",
    }
    if payment is not None and payment.gateway == Payment.Gateway.CASH:
        context["cash_tendered"] = money(payment.cash_tendered_amount or payment.amount)
        context["change"] = money(payment.change_amount or Decimal(0))
    return context
