"""How an order's payment status follows its payments, and the payments registry handler that
moves it (`order_payment_changed`, registered in OrdersConfig.ready).

An order may have several payments (a Snap attempt abandoned, then cash; a second attempt after
the first expired). Its payment status is derived from all of them by `order_payment_status_for`
and moved only along Order.PAYMENT_TRANSITIONS; every payment change leaves an OrderEvent naming
who caused it (the actor each service is given, SYSTEM for webhooks and beat tasks).
"""

import logging
import math
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from merchants.actors import SYSTEM, Actor
from merchants.money import cash_step, minor_unit
from merchants.outbox import task_queue_on_commit
from orders.models import Order, OrderEvent
from orders.selectors import order_payment_list
from orders.services import (
    order_cancel,
    order_complete,
    order_confirm,
    order_event_build,
    order_lock,
)
from payments.models import Payment

logger = logging.getLogger(__name__)

PaymentStatus = Order.PaymentStatus
ZERO = Decimal(0)
PAID_FAMILY = Order.SETTLED_PAYMENT_STATUSES


def order_set_payment_status(
    *, order: Order, to_status: str, actor: Actor = SYSTEM, paid_at=None, **payload
) -> bool:
    """Record a payment status change; an impossible move is ignored (and logged), not raised.

    Gateways repeat and reorder notifications, so a late or duplicate one must not fail the
    webhook; the payments app has already decided the payment's own state.
    """
    with transaction.atomic():
        return _apply_payment_status(
            order_lock(order), to_status=to_status, actor=actor, paid_at=paid_at, **payload
        )


def _apply_payment_status(
    order: Order, *, to_status: str, actor: Actor, paid_at=None, **payload
) -> bool:
    """`order_set_payment_status` on an order row the caller has locked (updated in place)."""
    old = order.payment_status
    if to_status == old or to_status not in Order.PAYMENT_TRANSITIONS[old]:
        if to_status != old:
            logger.info("Order %s payment stays %s (asked: %s)", order.number, old, to_status)
        return False
    order.payment_status = to_status
    fields = ["payment_status", "updated_at"]
    if to_status == Order.PaymentStatus.PAID:
        order.paid_at = paid_at or timezone.now()
        fields.append("paid_at")
    order.save(update_fields=fields)
    order_event_build(order, actor, OrderEvent.Kind.PAYMENT, old, to_status, **payload).save()
    if to_status == Order.PaymentStatus.EXPIRED and order.status == Order.Status.PENDING:
        order_cancel(order=order, actor=actor, reason="payment expired")
        order.status = Order.Status.CANCELLED
    return True


def order_payment_status_for(
    payments: list[Payment],
    *,
    current: str,
    due: Decimal | None = None,
    tolerance: Decimal = ZERO,
) -> str:
    """What an order's payment status is, given all its payments (newest first).

    With `due` (the order total), the order counts as paid only once the payments that
    brought money in cover it (within `tolerance`, what cash rounding may leave: see
    `cash_tolerance`); before that it is still unpaid (or pending while a charge is open),
    however many tenders paid part of it. Without `due`, any payment that brought money in
    covers it.

    Money counts first. Covered, with `due`: the payments still hold it all after refunds →
    paid; some of it → partially refunded; none → refunded (without `due`: any payment still
    paid → paid; else one partly refunded → partially refunded; else refunded). Without money
    in: an open attempt → pending; money taken back by the gateway (a settlement reversed, a
    capture voided) → failed; otherwise the newest attempt says it: failed, expired, or unpaid
    again once it was cancelled.
    """
    held_payments = [p for p in payments if p.status in Payment.PAID_STATUSES]
    held = {p.status for p in held_payments}
    covered = bool(held) and (
        due is None or sum((p.amount for p in held_payments), ZERO) + tolerance >= due
    )
    if covered and due is not None:
        # What the payments still hold after refunds: all of it (a tender refunded was one
        # too many) is paid; some of it, partly refunded; none, refunded.
        kept = sum((p.amount - p.refunded_amount for p in held_payments), ZERO)
        if kept + tolerance >= due:
            return PaymentStatus.PAID
        return PaymentStatus.PARTIALLY_REFUNDED if kept > 0 else PaymentStatus.REFUNDED
    if covered:
        if Payment.Status.PAID in held:
            return PaymentStatus.PAID
        if Payment.Status.PARTIALLY_REFUNDED in held:
            return PaymentStatus.PARTIALLY_REFUNDED
        return PaymentStatus.REFUNDED
    if any(p.status == Payment.Status.PENDING for p in payments):
        return PaymentStatus.PENDING
    if not payments:
        return PaymentStatus.UNPAID
    if current in PAID_FAMILY:
        return PaymentStatus.FAILED
    if held:
        return PaymentStatus.UNPAID  # part paid: the rest is still due
    return {
        Payment.Status.FAILED: PaymentStatus.FAILED,
        Payment.Status.EXPIRED: PaymentStatus.EXPIRED,
    }.get(payments[0].status, PaymentStatus.UNPAID)


def cash_tolerance(payments: list[Payment], currency: str) -> Decimal:
    """How far below the total paid money may stay and still cover it: cash pays what is left
    rounded to the cash step, half up (IDR 51749 left → 51700 taken), so once cash is among
    the tenders anything under half a step is covered. Nothing otherwise."""
    if not any(
        p.gateway == Payment.Gateway.CASH and p.status in Payment.PAID_STATUSES for p in payments
    ):
        return ZERO
    return _rounding_shortfall(currency)


def _rounding_shortfall(currency: str) -> Decimal:
    # The largest amount rounding half up leaves unpaid: whole units strictly under a half step.
    unit = minor_unit(currency)
    units = math.ceil(cash_step(currency) / 2 / unit)
    return (units - 1) * unit


def _money_in(payments: list[Payment]) -> Decimal:
    return sum((p.amount for p in payments if p.status in Payment.PAID_STATUSES), ZERO)


def _payment_notes(order: Order, payments: list[Payment], payment: Payment) -> list[str]:
    """What an owner must act on when money arrives where it was not expected."""
    if payment.status != Payment.Status.PAID:
        return []
    notes = []
    if order.status == Order.Status.CANCELLED:
        notes.append("Paid after the order was cancelled: refund it.")
    others = [p for p in payments if p.pk != payment.pk]
    if (
        _money_in(others)
        and _money_in(others) + cash_tolerance(others, order.currency) >= order.total_amount
    ):
        notes.append("Paid more than once: refund the extra payment.")
    for note in notes:
        logger.warning("Order %s, payment %s: %s", order.number, payment.gateway_order_id, note)
    return notes


def order_payment_sync(
    *,
    order: Order,
    payment: Payment | None = None,
    change: tuple[str, str] = ("", ""),
    actor: Actor,
) -> bool:
    """Bring the order's payment status in line with its payments; True if it moved.

    `payment` and `change` name the payment that just changed (from → to): that change is
    written as an OrderEvent even when the order's own status stays (a second attempt, a paid
    order paid again). When the order becomes paid, the receipt email is queued for after commit.
    """
    from orders.tasks import order_receipt_send_task

    with transaction.atomic():
        order = order_lock(order)
        payments = order_payment_list(order=order)
        old = order.payment_status
        target = order_payment_status_for(
            payments,
            current=old,
            due=order.total_amount,
            tolerance=cash_tolerance(payments, order.currency),
        )
        money_in = _money_in(payments)
        if money_in != order.amount_paid:
            order.amount_paid = money_in
            order.save(update_fields=["amount_paid", "updated_at"])
        payload = {}
        if payment is not None:
            payload = {
                "payment_id": payment.pk,
                "gateway": payment.gateway,
                "method": payment.method,
                "amount": str(payment.amount),
                "payment_from": change[0],
                "payment_to": change[1],
            }
            notes = _payment_notes(order, payments, payment)
            if notes:
                payload["note"] = " ".join(notes)
        paid_at = min(
            (p.paid_at for p in payments if p.status in Payment.PAID_STATUSES and p.paid_at),
            default=None,
        )
        was_cancelled = order.status == Order.Status.CANCELLED
        moved = _apply_payment_status(
            order, to_status=target, actor=actor, paid_at=paid_at, **payload
        )
        if not moved and payment is not None:
            order_event_build(order, actor, OrderEvent.Kind.PAYMENT, old, old, **payload).save()
        if moved and target == PaymentStatus.PAID and not was_cancelled:
            if order.customer_id:
                task_queue_on_commit(order_receipt_send_task, order.pk)
            if order.merchant.complete_when_paid:
                order_complete_paid(order=order, actor=actor)
    return moved


def order_complete_paid(*, order: Order, actor: Actor) -> Order:
    """A paid order served at once (a counter sale, a merchant that completes paid orders):
    confirmed if it was pending, then completed, each move an event of its own. An order
    already completed is left as it is."""
    if order.status == Order.Status.PENDING:
        order = order_confirm(order=order, actor=actor)
    if order.status == Order.Status.CONFIRMED:
        order = order_complete(order=order, actor=actor)
    return order


def order_payment_changed(
    payment: Payment, old_status: str, new_status: str, *, actor: Actor
) -> None:
    """The payments registry handler for "order" references (see OrdersConfig.ready).

    Runs inside the transaction that changes the payment; `actor` (who caused the change, SYSTEM
    for webhooks and beat tasks) is recorded on the order's event. A payment naming no order of
    its merchant is logged and left alone: the money is recorded on the payment either way.
    """
    reference = payment.reference_id
    order = (
        Order.objects.filter(merchant_id=payment.merchant_id, pk=int(reference)).first()
        if reference.isdigit() and len(reference) <= 18
        else None
    )
    if order is None:
        logger.error(
            "Payment %s names order %s, which merchant %s does not have",
            payment.gateway_order_id,
            reference,
            payment.merchant_id,
        )
        return
    order_payment_sync(order=order, payment=payment, change=(old_status, new_status), actor=actor)
