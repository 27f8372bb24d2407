"""Tenders staff take for an order (cash with change, card, transfer, printed QRIS, e-wallet,
or a gateway charge started for part of what is due) and the counter sale: an order created,
paid by its tenders and completed in one transaction, or previewed without writing anything.

Cash and manual tenders are tied to the open shift of a register (see `payment_record_cash`);
the order row is locked for each tender, so a second tap or a second till finds it paid.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext

from merchants.actors import Actor
from merchants.errors import DomainError
from merchants.money import format_money, round_for_cash
from orders.models import Order
from orders.payment_status import ZERO, PaymentStatus, _rounding_shortfall, order_complete_paid
from orders.payments import _ensure_payable, order_payment_qris, order_payment_start
from orders.services import order_cancel_open_payments_on_commit, order_create, order_lock
from payments.models import Payment, PaymentMethod
from payments.services import (
    CashReceipt,
    cash_tender_checked,
    manual_tender_checked,
    payment_record_cash,
    payment_record_manual,
)


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
            details={"method_id": [gettext("Not a payment method of this merchant.")]},
        )
    if payment_method.is_gateway:
        if not payment_method.is_active:
            raise DomainError(
                gettext("%(name)s is switched off; choose another payment method.")
                % {"name": payment_method.name},
                details={"method_id": [gettext("Inactive.")]},
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
                details={"payments": {str(index): {"method_id": [gettext("A gateway method.")]}}},
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
        details={"payments": [gettext("%(amount)s still due") % {"amount": order.amount_due}]},
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
