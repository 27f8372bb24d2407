"""The paid receipt email: what it shows (the order's lines and sums, and how it was paid) and
its sending, once per order."""

from datetime import datetime, tzinfo
from decimal import Decimal

from django.utils import dateformat, timezone, translation

from merchants.emails import send_templated_email
from merchants.i18n import merchant_language
from merchants.money import format_money
from orders.models import Order
from orders.payment_status import PAID_FAMILY
from orders.selectors import order_payment_list, order_queryset
from payments.models import Payment
from payments.selectors import payment_channel_label


def format_moment(moment: datetime, tz: tzinfo) -> str:
    """ "5 May 2026, 10:20" in the merchant's time zone (templates would use the server's), the
    month in the active language ("5 Mei 2026"): strftime would write it in English."""
    return dateformat.format(timezone.localtime(moment, tz), "j M Y, H:i")


def order_receipt_context(*, order: Order, payments: list[Payment]) -> dict:
    """Template context of `emails/order_receipt.*` for a paid order from `order_queryset()`."""
    currency = order.currency
    tz = order.merchant.tzinfo
    # Amounts as the shop's customers read them, in the merchant's language (Indonesian:
    # "Rp 51.750"; English: "IDR 51,750"), whatever language the server runs in.
    language = merchant_language(order.merchant)

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
            "modifiers": ", ".join(
                choice["name"]
                + (
                    f" (+{money(Decimal(choice['price_delta']))})"
                    if Decimal(choice["price_delta"])
                    else ""
                )
                for choice in item.modifiers
            ),
        }
        for item in order.item_list
    ]
    promotions = order.discount_amount - order.staff_discount_amount
    tenders = [
        {
            "method": tender_label(p),
            "amount": money(p.amount),
            "cash_tendered": money(p.cash_tendered_amount) if p.cash_tendered_amount else "",
            "change": money(p.change_amount) if p.change_amount else "",
            "reference": p.tender_reference,
        }
        for p in sorted(paid, key=lambda p: (p.paid_at or p.created_at, p.pk))
    ]
    context = {
        "customer_name": order.customer.name if order.customer else "",
        "number": order.number,
        "placed_at": format_moment(order.created_at, tz),
        "order_type": order.get_order_type_display(),
        "table": order.table.number if order.table else "",
        "lines": lines,
        "subtotal": money(order.subtotal_amount),
        "discount": money(promotions) if promotions else "",
        "staff_discount": money(order.staff_discount_amount) if order.staff_discount_amount else "",
        "staff_discount_reason": order.staff_discount_reason,
        "prices_include_tax": order.prices_include_tax,
        # More than one tender (a split payment): each is listed.
        "tenders": tenders if len(tenders) > 1 else [],
        "tax": money(order.tax_amount) if order.tax_amount else "",
        "service_charge": money(order.service_charge_amount) if order.service_charge_amount else "",
        "total": money(order.total_amount),
        "payment_method": payment_channel_label(payment=payment) if payment else "",
        "paid_at": format_moment(paid_at, tz) if paid_at else "",
        "amount_paid": money(payment.amount) if payment else "",
        "cash_tendered": "",
        "change": "",
    }
    if payment is not None and payment.gateway == Payment.Gateway.CASH:
        context["cash_tendered"] = money(payment.cash_tendered_amount or payment.amount)
        context["change"] = money(payment.change_amount or Decimal(0))
    return context


def tender_label(payment: Payment) -> str:
    if payment.payment_method_id is not None:
        return payment.payment_method.name
    return payment_channel_label(payment=payment)


def order_receipt_send(*, order_id: int) -> bool:
    """Email the paid receipt to the order's customer, at most once; True when it went out.

    `receipt_sent_at` is claimed by a conditional UPDATE before sending and released if sending
    fails, so a redelivered or retried task never sends twice after a success. Nothing goes to a
    cancelled order (money that came late is refunded instead), nor to a disabled customer.
    """
    claimed = (
        Order.objects.filter(
            pk=order_id,
            receipt_sent_at__isnull=True,
            payment_status__in=PAID_FAMILY,
            customer__is_active=True,
        )
        .exclude(status=Order.Status.CANCELLED)
        .update(receipt_sent_at=timezone.now())
    )
    if not claimed:
        return False
    order = order_queryset().select_related("merchant").get(pk=order_id)
    try:
        with translation.override(merchant_language(order.merchant)):  # labels in the context
            context = order_receipt_context(order=order, payments=order_payment_list(order=order))
        send_templated_email(
            to=order.customer.email,
            template="order_receipt",
            context=context,
            merchant=order.merchant,
        )
    except Exception:
        Order.objects.filter(pk=order_id).update(receipt_sent_at=None)  # let a retry send it
        raise
    return True
