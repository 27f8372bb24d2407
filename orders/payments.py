"""Writes for the order side of payments at a gateway, and back: Snap checkout, QRIS, status
checks, cancel, expire, refunds, and cancelling the charges an order left open. How an
order's payment status follows its payments is in `orders/payment_status.py`; the tenders
staff take (cash, card, transfer) and the counter sale in `orders/tenders.py`.

An order may have several payments (a Snap attempt abandoned, then cash; a second attempt after
the first expired); each service here changes one and lets `order_payment_sync` bring the
order's payment status in line, with an OrderEvent naming the actor it was given.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext

from merchants.actors import SYSTEM, Actor
from merchants.errors import Conflict, DomainError, GatewayError
from merchants.money import format_money, quantize_money
from orders.models import Order, OrderEvent, OrderItem
from orders.payment_status import PAID_FAMILY, PaymentStatus, order_payment_sync
from orders.selectors import order_payment_list
from orders.services import order_cancel_open_payments_on_commit, order_event_build
from payments.gateways.base import CustomerDetails, LineItem
from payments.models import Payment, PaymentMethod
from payments.services import (
    payment_cancel,
    payment_charge_qris,
    payment_check_status,
    payment_create_snap,
    payment_expire,
    payment_refund,
)

logger = logging.getLogger(__name__)


def _ensure_payable(order: Order) -> None:
    if order.status == Order.Status.CANCELLED:
        raise Conflict(
            gettext("Order %(number)s is cancelled; it cannot be paid.") % {"number": order.number},
            code="order_cancelled",
        )
    if order.payment_status == PaymentStatus.REFUNDED:
        raise Conflict(
            gettext("Order %(number)s was paid and refunded; ring up a new order to sell again.")
            % {"number": order.number},
            code="order_refunded",
        )
    if order.payment_status in PAID_FAMILY:
        raise Conflict(
            gettext("Order %(number)s is already paid; there is nothing more to pay.")
            % {"number": order.number},
            code="order_already_paid",
        )
    if order.total_amount <= 0:
        raise Conflict(
            gettext("Order %(number)s totals %(total_amount)s: there is nothing to pay.")
            % {"number": order.number, "total_amount": order.total_amount},
            code="nothing_to_pay",
        )


def order_payment_items(order: Order) -> list[LineItem]:
    """The lines the customer sees at the gateway: each order line at its list price, then the
    discount (negative), tax and service charge as lines of their own, so they add up to the
    order total exactly (subtotal − discount + tax + service). With prices that include tax a
    line's list amount is net of tax; one that does not divide by its quantity goes as one
    line of "3 × name"."""
    items = []
    for item in order.items.all():
        amount = item.line_subtotal_amount + item.discount_amount
        if not amount:
            continue
        unit = amount / item.quantity
        if unit == quantize_money(unit, order.currency):
            items.append(
                LineItem(
                    id=f"line-{item.pk}", name=item.product_name, price=unit, quantity=item.quantity
                )
            )
        else:
            name = f"{item.quantity} × {item.product_name}"
            items.append(LineItem(id=f"line-{item.pk}", name=name, price=amount))
    extras = (
        ("discount", "Discount", -order.discount_amount),
        ("tax", "Tax", order.tax_amount),
        ("service", "Service charge", order.service_charge_amount),
    )
    items.extend(
        LineItem(id=key, name=name, price=amount) for key, name, amount in extras if amount
    )
    return items


@dataclass(frozen=True)
class PaymentStart:
    payment: Payment
    reused: bool  # an earlier, still valid Snap token of this order
    order: Order  # as read once the payment started (its payment status is the answer's)


def order_payment_start(
    *,
    order: Order,
    actor: Actor,
    amount: Decimal | None = None,
    payment_method: PaymentMethod | None = None,
) -> PaymentStart:
    """A Midtrans Snap checkout for what is due (the same token again while it is valid), or
    for `amount` of it (one tender of several). The whole order goes to Snap line by line; a
    part goes as one line.

    A gateway failure raises before anything is written, here or in payments.
    """
    order = (
        Order.objects.select_related("merchant", "customer")
        .prefetch_related(Prefetch("items", queryset=OrderItem.objects.order_by("pk")))
        .get(pk=order.pk)
    )
    _ensure_payable(order)
    amount = _gateway_amount(order, amount)
    known = {payment.pk for payment in order_payment_list(order=order)}
    customer = order.customer
    details = (
        CustomerDetails(first_name=customer.name, email=customer.email, phone=customer.phone)
        if customer
        else None
    )
    items = (
        order_payment_items(order)
        if amount == order.total_amount
        else [LineItem(id="part", name=f"Order {order.number} (part)", price=amount)]
    )
    payment = payment_create_snap(
        merchant=order.merchant,
        reference_kind=Order.PAYMENT_REFERENCE_KIND,
        reference_id=str(order.pk),
        amount=amount,
        items=items,
        customer=details,
        payment_method=payment_method,
    )
    return _gateway_started(order, payment, reused=payment.pk in known, actor=actor)


def _gateway_amount(order: Order, amount: Decimal | None) -> Decimal:
    due = order.amount_due
    if amount is None:
        return due
    if amount > due:
        raise DomainError(
            gettext(
                "Only %(format_money)s is due on order %(number)s; a gateway charge "
                "cannot be for more."
            )
            % {"format_money": format_money(due, order.currency), "number": order.number},
            code="tender_above_due",
            details={"amount": gettext("at most %(amount)s") % {"amount": due}},
        )
    return amount


def _gateway_started(order: Order, payment: Payment, *, reused: bool, actor: Actor):
    order_payment_sync(
        order=order,
        payment=None if reused else payment,
        change=("", payment.status),
        actor=actor,
    )
    current = Order.objects.get(pk=order.pk)
    try:
        # Cancelled or paid (cash at the counter) while the gateway was answering: the cancel
        # queued then may have run before this charge existed, so it is queued again for it.
        _ensure_payable(current)
    except Conflict:
        order_cancel_open_payments_on_commit(order)
        raise
    return PaymentStart(payment=payment, reused=reused, order=current)


def order_payment_qris(
    *, order: Order, payment_method: PaymentMethod, actor: Actor, amount: Decimal | None = None
) -> PaymentStart:
    """A dynamic QRIS code for what is due (or `amount` of it) from the gateway the method
    names (Midtrans or Xendit), valid ORDER_QRIS_EXPIRY_MINUTES."""
    order = Order.objects.select_related("merchant").get(pk=order.pk)
    _ensure_payable(order)
    amount = _gateway_amount(order, amount)
    gateway = (
        Payment.Gateway.XENDIT
        if payment_method.kind == PaymentMethod.Kind.XENDIT_QRIS
        else Payment.Gateway.MIDTRANS
    )
    payment = payment_charge_qris(
        merchant=order.merchant,
        reference_kind=Order.PAYMENT_REFERENCE_KIND,
        reference_id=str(order.pk),
        amount=amount,
        expiry_minutes=settings.ORDER_QRIS_EXPIRY_MINUTES,
        description=gettext("Order %(number)s") % {"number": order.number},
        gateway=gateway,
        payment_method=payment_method,
    )
    return _gateway_started(order, payment, reused=False, actor=actor)


def order_payment_check(*, order: Order, actor: Actor) -> Payment:
    """Ask the gateway about the order's open payment (or its newest one) and apply the answer;
    the order's payment status is brought in line too."""
    payments = order_payment_list(order=order)
    gateway_payments = [p for p in payments if p.gateway != Payment.Gateway.CASH]
    payment = next((p for p in gateway_payments if p.status == Payment.Status.PENDING), None)
    payment = payment or next(iter(gateway_payments), None) or next(iter(payments), None)
    if payment is None:
        raise Conflict(
            gettext("Order %(number)s has no payment yet; start one with create-payment.")
            % {"number": order.number},
            code="no_payment",
        )
    payment = payment_check_status(payment=payment, actor=actor)
    order_payment_sync(order=order, actor=actor)
    return payment


def _open_payment(order: Order, verb: str) -> Payment:
    payments = order_payment_list(order=order)
    pending = next((p for p in payments if p.status == Payment.Status.PENDING), None)
    if pending is not None:
        return pending
    why = (
        f"its latest payment is {payments[0].get_status_display().lower()}"
        if payments
        else "it has no payment yet"
    )
    raise Conflict(
        gettext("Order %(number)s has no pending payment to %(verb)s: %(why)s.")
        % {"number": order.number, "verb": verb, "why": why},
        code="no_pending_payment",
        details={"payment_status": order.payment_status},
    )


def order_payment_cancel(*, order: Order, actor: Actor) -> Payment:
    """Cancel the order's pending payment (at the gateway too); 409 when none is pending."""
    payment = _open_payment(order, "cancel")
    return payment_cancel(payment=payment, actor=actor)


def order_payment_expire(*, order: Order, actor: Actor) -> Payment:
    """Expire the order's pending payment now; a still-pending order is then cancelled and its
    stock released, as when a payment expires on its own. 409 when none is pending."""
    payment = _open_payment(order, "expire")
    return payment_expire(payment=payment, actor=actor)


def order_payment_refund(
    *,
    order: Order,
    actor: Actor,
    reason: str,
    amount: Decimal | None = None,
    payment_id: int | None = None,
    register: str | None = None,
) -> Payment:
    """Refund all that is left of the order's payment, or `amount` of it; never more than was
    paid (400). An order paid more than once needs `payment_id` to say which payment. Cash
    leaves the drawer of the open shift of `register`.

    The order's history records the refund with its amount and reason (a second partial refund
    does not move any status, so the payment's own change would not say it)."""
    with transaction.atomic():
        payment = _refund_target(order, payment_id)
        before = payment.refunded_amount
        payment = payment_refund(
            payment=payment, amount=amount, reason=reason, actor=actor, register=register
        )
        order_event_build(
            order,
            actor,
            OrderEvent.Kind.REFUND,
            payment_id=payment.pk,
            amount=str(payment.refunded_amount - before),
            refunded_total=str(payment.refunded_amount),
            reason=reason.strip(),
        ).save()
    return payment


def _refund_target(order: Order, payment_id: int | None) -> Payment:
    payments = order_payment_list(order=order)
    if payment_id is not None:
        payment = next((p for p in payments if p.pk == payment_id), None)
        if payment is None:
            raise DomainError(
                gettext("Order %(number)s has no payment %(payment_id)s.")
                % {"number": order.number, "payment_id": payment_id},
                details={"payment_id": [gettext("Not a payment of this order.")]},
            )
    else:
        refundable = [p for p in payments if p.refundable_amount > 0]
        if not refundable:
            raise Conflict(
                gettext(
                    "Order %(number)s has nothing left to refund; its payment status is %(lower)s."
                )
                % {"number": order.number, "lower": order.get_payment_status_display().lower()},
                code="nothing_to_refund",
            )
        if len(refundable) > 1:
            ids = [p.pk for p in refundable]
            raise Conflict(
                gettext(
                    "Order %(number)s was paid by %(len)s payments (%(join)s); name the "
                    "payment_id to refund."
                )
                % {"number": order.number, "len": len(ids), "join": ", ".join(map(str, ids))},
                code="payment_id_required",
                details={"payment_ids": ids},
            )
        payment = refundable[0]
    return payment


def order_cancel_open_payments(order_id: int) -> int:
    """Cancel every charge of the order still open at a gateway; returns how many.

    Run by `order_cancel_open_payments_task` after the order is cancelled or paid in cash. Safe
    to run again: a charge no longer pending (cancelled, paid, expired) is left alone. A gateway
    refusal (the charge was settled meanwhile, a wrong key) is logged and not raised: the charge
    stays pending for reconciliation. A gateway that may recover (timeout, network, outage, 5xx)
    does not stop the other charges; its error is raised at the end, so the task tries again.
    """
    order = Order.objects.select_related("merchant").filter(pk=order_id).first()
    if order is None:
        return 0
    cancelled = 0
    retry_error: Exception | None = None
    for payment in order_payment_list(order=order):
        if payment.status != Payment.Status.PENDING or payment.gateway == Payment.Gateway.CASH:
            continue
        try:
            payment_cancel(payment=payment, actor=SYSTEM)
        except (DomainError, OSError) as error:
            logger.warning(
                "Could not cancel payment %s of order %s at the gateway: %s",
                payment.gateway_order_id,
                order.number,
                getattr(error, "message", error),
            )
            if _gateway_may_recover(error):
                retry_error = retry_error or error
            continue
        cancelled += 1
    if retry_error is not None:
        raise retry_error
    return cancelled


def _gateway_may_recover(error: Exception) -> bool:
    """A timeout, a network failure, an outage page or a 5xx (or 429) is worth another try; a
    refusal (4xx) or a state conflict here is not."""
    if isinstance(error, OSError):
        return True
    if not isinstance(error, GatewayError):
        return False
    code = str(error.details.get("status_code", ""))
    return not code.isdigit() or int(code) >= 500 or int(code) == 429
