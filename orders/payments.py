"""Writes for the order side of payments: Snap checkout, cash at the counter, status checks,
cancel, expire and refunds, and the registry handler that moves an order's payment status.

An order may have several payments (a Snap attempt abandoned, then cash; a second attempt after
the first expired). Its payment status is derived from all of them by `order_payment_status_for`
and moved only along Order.PAYMENT_TRANSITIONS; every payment change leaves an OrderEvent naming
who caused it (the actor each service is given, SYSTEM for webhooks and beat tasks).
"""

import logging
import math
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext

from merchants.actors import SYSTEM, Actor
from merchants.errors import Conflict, DomainError, GatewayError
from merchants.money import cash_step, format_money, minor_unit, quantize_money, round_for_cash
from merchants.outbox import task_queue_on_commit
from orders.models import Order, OrderEvent, OrderItem
from orders.selectors import order_payment_list
from orders.services import (
    order_cancel,
    order_cancel_open_payments_on_commit,
    order_complete,
    order_confirm,
    order_create,
    order_event_build,
    order_lock,
)
from payments.gateways.base import CustomerDetails, LineItem
from payments.models import Payment, PaymentMethod
from payments.services import (
    CashReceipt,
    cash_tender_checked,
    manual_tender_checked,
    payment_cancel,
    payment_charge_qris,
    payment_check_status,
    payment_create_snap,
    payment_expire,
    payment_record_cash,
    payment_record_manual,
    payment_refund,
)

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
            details={"amount": f"at most {due}"},
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


def order_cash_due(order: Order) -> Decimal:
    """What cash pays of the order now: what is due, rounded to the cash step (IDR: 100), or
    the due itself when that rounds to nothing."""
    rounded = round_for_cash(order.amount_due, order.currency)
    return rounded if rounded > 0 else order.amount_due


def order_cash_method(merchant) -> PaymentMethod | None:
    """The merchant's cash payment method (the first active one), for cash taken without
    naming one (`pay-cash`), so it shows under its name in reports."""
    return (
        PaymentMethod.objects.filter(
            merchant=merchant, kind=PaymentMethod.Kind.CASH, is_active=True
        )
        .order_by("sort_order", "pk")
        .first()
    )


def order_pay_cash(
    *, order: Order, amount_paid: Decimal, actor: Actor, register: str | None = None
) -> CashReceipt:
    """Cash at the counter for all that is due, rounded (the order's rounded amount when
    nothing was paid before); answers the change. It goes into the drawer of the open shift
    of `register` ("main" by default).

    The order row is locked, so a second tap (or a second till) finds it paid. A charge still
    open at a gateway is cancelled by a task queued for after commit.
    """
    with transaction.atomic():
        locked = order_lock(order)
        _ensure_payable(locked)
        receipt = payment_record_cash(
            merchant=locked.merchant,
            reference_kind=Order.PAYMENT_REFERENCE_KIND,
            reference_id=str(locked.pk),
            amount_due=order_cash_due(locked),
            amount_paid=amount_paid,
            actor=actor,
            payment_method=order_cash_method(locked.merchant),
            register=register,
        )
        order_cancel_open_payments_on_commit(locked)
    return receipt


@dataclass(frozen=True)
class TenderResult:
    payment: Payment
    change: Decimal
    order: Order  # as it stands after the tender
    reused: bool = False  # a gateway charge of this order still valid, answered again


def order_payment_add(
    *,
    order: Order,
    payment_method: PaymentMethod,
    actor: Actor,
    amount: Decimal | None = None,
    reference: str = "",
    register: str | None = None,
) -> TenderResult:
    """Take one tender for part or all of what is due, by one of the merchant's methods.

    Cash: `amount` is what the customer hands over (default: what is due, rounded); at least
    the rounded due settles the order and the rest is change, less pays part of it. Card,
    transfer, printed QRIS, e-wallet, other: `amount` (default: all that is due) never above
    what is due. Gateway methods start a charge (Snap or QRIS) for `amount` (default: all that
    is due), paid when the gateway says so. The order is paid once its payments cover the
    total; a gateway charge still open is then cancelled after commit. Cash and manual
    tenders are tied to the open shift of `register` (see `payment_record_cash`).
    """
    if payment_method.merchant_id != order.merchant_id:
        raise DomainError(
            gettext("That payment method belongs to another merchant."),
            details={"method_id": ["Not a payment method of this merchant."]},
        )
    if payment_method.is_gateway:
        if not payment_method.is_active:
            raise DomainError(
                gettext("%(name)s is switched off; choose another payment method.")
                % {"name": payment_method.name},
                details={"method_id": ["Inactive."]},
            )
        if payment_method.kind == PaymentMethod.Kind.MIDTRANS_SNAP:
            started = order_payment_start(
                order=order, actor=actor, amount=amount, payment_method=payment_method
            )
        else:
            started = order_payment_qris(
                order=order, payment_method=payment_method, actor=actor, amount=amount
            )
        return TenderResult(
            payment=started.payment, change=ZERO, order=started.order, reused=started.reused
        )
    with transaction.atomic():
        locked = order_lock(order)
        _ensure_payable(locked)
        reference_kind, reference_id = Order.PAYMENT_REFERENCE_KIND, str(locked.pk)
        if payment_method.is_cash:
            due = order_cash_due(locked)
            receipt = payment_record_cash(
                merchant=locked.merchant,
                reference_kind=reference_kind,
                reference_id=reference_id,
                amount_due=due,
                amount_paid=due if amount is None else amount,
                actor=actor,
                payment_method=payment_method,
                allow_partial=True,
                register=register,
            )
            payment, change = receipt.payment, receipt.change
        else:
            due = locked.amount_due
            payment = payment_record_manual(
                merchant=locked.merchant,
                reference_kind=reference_kind,
                reference_id=reference_id,
                payment_method=payment_method,
                amount=due if amount is None else amount,
                amount_due=due,
                actor=actor,
                reference=reference,
                register=register,
            )
            change = ZERO
        current = Order.objects.get(pk=locked.pk)
        if current.is_settled:
            order_cancel_open_payments_on_commit(current)
    return TenderResult(payment=payment, change=change, order=current)


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
                details={"payment_id": ["Not a payment of this order."]},
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


# --- the counter sale: created, paid and completed at once -------------------------------


@dataclass(frozen=True)
class TenderInput:
    payment_method: PaymentMethod
    amount: Decimal | None = None
    reference: str = ""


def _check_counter_tenders(tenders: list[TenderInput]) -> None:
    for index, tender in enumerate(tenders):
        if tender.payment_method.is_gateway:
            name = tender.payment_method.name
            raise DomainError(
                gettext(
                    "Payment %(value)s: %(name)s is paid at the gateway; start it once the "
                    "order exists (POST /api/v1/orders/{id}/payments)."
                )
                % {"value": index + 1, "name": name},
                details={"payments": {str(index): {"method_id": ["A gateway method."]}}},
            )


def _not_covered(order: Order) -> DomainError:
    currency = order.currency
    return DomainError(
        gettext(
            "The payments cover %(format_money)s of the %(format_money2)s to pay; "
            "add a payment for the %(format_money3)s left, or leave out complete."
        )
        % {
            "format_money": format_money(order.amount_paid, currency),
            "format_money2": format_money(order.total_amount, currency),
            "format_money3": format_money(order.amount_due, currency),
        },
        code="not_paid",
        details={"payments": [f"{order.amount_due} still due"]},
    )


def order_counter_sale(
    *,
    merchant,
    lines,
    actor: Actor,
    tenders: list[TenderInput],
    complete: bool = False,
    register: str | None = None,
    **order_fields,
) -> Order:
    """An order created and paid by its tenders (cash and manual methods) in one transaction,
    and with `complete` completed too: all or nothing, so a tender refused or payments that
    do not cover the total leave no order, no payment and no stock taken."""
    _check_counter_tenders(tenders)
    with transaction.atomic():
        order = order_create(merchant=merchant, lines=lines, actor=actor, **order_fields)
        for tender in tenders:
            order_payment_add(
                order=order,
                payment_method=tender.payment_method,
                actor=actor,
                amount=tender.amount,
                reference=tender.reference,
                register=register,
            )
        order = Order.objects.get(pk=order.pk)
        if complete:
            if not order.is_settled:
                raise _not_covered(order)
            order = order_complete_paid(order=order, actor=actor)
    return order


def order_preview_tenders(
    order: Order, tenders: list[TenderInput], *, complete: bool = False
) -> Decimal:
    """What the tenders of a counter sale would do to an unsaved order (`order_preview`):
    the same checks as `order_payment_add`, nothing written. Sets its `amount_paid` and
    payment status; answers the change to hand back."""
    _check_counter_tenders(tenders)
    change, cash = ZERO, False
    for tender in tenders:
        _ensure_payable(order)
        method = tender.payment_method
        if method.is_cash:
            due = order_cash_due(order)
            checked = cash_tender_checked(
                merchant=order.merchant,
                amount_due=due,
                amount_paid=due if tender.amount is None else tender.amount,
                payment_method=method,
                allow_partial=True,
            )
            amount, cash = checked.amount, True
            change += checked.change
        else:
            amount = manual_tender_checked(
                merchant=order.merchant,
                payment_method=method,
                amount=order.amount_due if tender.amount is None else tender.amount,
                amount_due=order.amount_due,
            )
        order.amount_paid += amount
        tolerance = _rounding_shortfall(order.currency) if cash else ZERO
        if order.amount_paid + tolerance >= order.total_amount:
            order.payment_status = PaymentStatus.PAID
    if complete and not order.is_settled:
        raise _not_covered(order)
    return change
