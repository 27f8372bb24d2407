"""Writes for payments, the life cycle of a payment: create at a gateway, take cash, ask the
gateway, cancel, expire, refund, apply gateway statuses, reconcile. What each gateway's payloads
mean lives in `payments/gateways/` (one module per provider); webhooks in `payments/webhooks.py`.

Longer than 500 lines on purpose: a status moves only through the private `_commit_change`, and
keeping every function that moves one in this module is what keeps that rule easy to check.

Rules every function here keeps:
- A gateway call happens before anything is written, or inside the transaction that records it,
  so a timeout or a 5xx leaves no row behind.
- Every gateway call is logged as a REQUEST and a RESPONSE event (raw JSON, never a key).
- A status changes only through `_commit_change`: row locked, move checked against
  `Payment.ALLOWED_TRANSITIONS`, an event written, `update_fields` saved, and the owner of the
  reference told through `payments.registry` inside the same transaction.
"""

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from merchants.actors import SYSTEM, Actor
from merchants.errors import Conflict, DomainError
from merchants.models import Merchant
from merchants.money import CENT, precision_problem
from payments import registry
from payments.gateway_slots import gateway_slot
from payments.gateways import midtrans, xendit
from payments.gateways.base import (
    CustomerDetails,
    GatewayExchange,
    LineItem,
    items_total,
    to_minor_units,
)
from payments.gateways.midtrans import MidtransGateway
from payments.gateways.xendit import XenditGateway
from payments.models import Payment, PaymentEvent, PaymentMethod
from payments.selectors import payment_list_stale_pending
from payments.shifts import shift_for_cash, shift_record_refund

logger = logging.getLogger(__name__)

Status = Payment.Status
Kind = PaymentEvent.Kind


# --- creating payments ----------------------------------------------------------------------


def payment_create_snap(
    *,
    merchant: Merchant,
    reference_kind: str,
    reference_id: str,
    amount: Decimal,
    items: list[LineItem],
    customer: CustomerDetails | None = None,
    reuse_pending: bool = True,
    finish_url: str = "",
    payment_method: PaymentMethod | None = None,
) -> Payment:
    """A Midtrans Snap token and redirect URL for paying `amount` for one reference.

    `items` must add up to `amount` exactly (tax, service charge and discount as their own
    lines). A pending Snap payment of the same reference and amount that is still valid for a
    minute is returned instead of a new one, so a customer who reloads gets the same token.
    """
    amount = _checked_amount(amount, merchant.currency)
    if items_total(items) != amount:
        raise DomainError(
            gettext(
                "The lines add up to %(items_total)s but the amount is %(amount)s; add "
                "tax, service and discounts as their own lines."
            )
            % {"items_total": items_total(items), "amount": amount},
            code="item_total_mismatch",
            details={"items": gettext("must add up to the amount")},
        )
    if reuse_pending:
        reusable = (
            Payment.objects.filter(
                merchant=merchant,
                reference_kind=reference_kind,
                reference_id=str(reference_id),
                gateway=Payment.Gateway.MIDTRANS,
                method=Payment.Method.SNAP,
                status=Status.PENDING,
                amount=amount,
                amount_mismatch=False,
                expires_at__gt=timezone.now() + timedelta(minutes=1),
            )
            .exclude(snap_token="")
            .order_by("-created_at")
            .first()
        )
        if reusable is not None:
            return reusable

    gateway = MidtransGateway.for_merchant(merchant)
    order_id = _new_gateway_order_id(reference_kind, reference_id)
    minutes = settings.PAYMENT_SNAP_EXPIRY_MINUTES
    checkout = _logged_call(
        merchant,
        lambda: gateway.create_snap(
            order_id=order_id,
            amount=amount,
            currency=merchant.currency,
            items=items,
            customer=customer,
            expiry_minutes=minutes,
            finish_url=finish_url,
        ),
    )
    with transaction.atomic():
        payment = _payment_create(
            merchant=merchant,
            reference_kind=reference_kind,
            reference_id=reference_id,
            gateway=Payment.Gateway.MIDTRANS,
            method=Payment.Method.SNAP,
            amount=amount,
            gateway_order_id=order_id,
            snap_token=checkout.token,
            redirect_url=checkout.redirect_url,
            expires_at=timezone.now() + timedelta(minutes=minutes),
            payment_method=payment_method,
        )
        _log_exchange(payment, checkout.exchange)
    return payment


def payment_charge_qris(
    *,
    merchant: Merchant,
    reference_kind: str,
    reference_id: str,
    amount: Decimal,
    expiry_minutes: int,
    description: str,
    gateway: str | None = None,
    payment_method: PaymentMethod | None = None,
) -> Payment:
    """A dynamic QRIS code for `amount`, valid `expiry_minutes`, from the merchant's QRIS
    gateway (`merchant.qris_gateway`: Midtrans Core API or Xendit), or from `gateway`
    (`Payment.Gateway.MIDTRANS` or `XENDIT`) when the caller names one."""
    amount = _checked_amount(amount, merchant.currency)
    if not 1 <= expiry_minutes <= 24 * 60:
        raise DomainError(
            gettext("A QRIS code must be valid between 1 minute and 24 hours."),
            details={"expiry_minutes": gettext("between 1 and 1440")},
        )
    if (gateway or merchant.qris_gateway) == Merchant.QrisGateway.XENDIT:
        gateway_name, adapter = Payment.Gateway.XENDIT, XenditGateway.for_merchant(merchant)
    else:
        gateway_name, adapter = Payment.Gateway.MIDTRANS, MidtransGateway.for_merchant(merchant)
    order_id = _new_gateway_order_id(reference_kind, reference_id)
    charge = _logged_call(
        merchant,
        lambda: adapter.charge_qris(
            order_id=order_id,
            amount=amount,
            currency=merchant.currency,
            expiry_minutes=expiry_minutes,
            description=description or f"{reference_kind} {reference_id}",
        ),
    )
    with transaction.atomic():
        payment = _payment_create(
            merchant=merchant,
            reference_kind=reference_kind,
            reference_id=reference_id,
            gateway=gateway_name,
            method=Payment.Method.QRIS,
            amount=amount,
            gateway_order_id=order_id,
            gateway_transaction_id=charge.transaction_id,
            qr_string=charge.qr_string,
            expires_at=charge.expires_at,
            payment_method=payment_method,
        )
        _log_exchange(payment, charge.exchange)
    return payment


@dataclass(frozen=True)
class CashReceipt:
    payment: Payment
    change: Decimal


def cash_tender_split(
    *, amount_due: Decimal, amount_paid: Decimal, allow_partial: bool = False
) -> tuple[Decimal, Decimal]:
    """What a cash tender pays of `amount_due` and the change to hand back: all of what is
    due (the rest is change) or, with `allow_partial`, part of it (no change)."""
    if amount_paid >= amount_due:
        return amount_due, amount_paid - amount_due
    if allow_partial:
        return amount_paid, Decimal(0).quantize(CENT)
    raise DomainError(
        gettext(
            "%(amount_paid)s in cash is less than the %(amount_due)s due; take at "
            "least %(amount_due)s."
        )
        % {"amount_paid": amount_paid, "amount_due": amount_due},
        code="insufficient_cash",
        details={"amount_paid": gettext("at least %(amount)s") % {"amount": amount_due}},
    )


def payment_record_cash(
    *,
    merchant: Merchant,
    reference_kind: str,
    reference_id: str,
    amount_due: Decimal,
    amount_paid: Decimal,
    actor: Actor,
    payment_method: PaymentMethod | None = None,
    allow_partial: bool = False,
    register: str | None = None,
) -> CashReceipt:
    """Cash taken at the counter by `actor` (its user is recorded as the cashier): a paid
    payment and the change to hand back. Every cash tender goes through here.

    `amount_due` is what the caller wants paid (already rounded to what cash can pay). Less
    cash than that is a 400 naming `amount_paid`, unless `allow_partial` (one tender of
    several): then the payment is for the cash handed over and there is no change.
    `payment_method` is the merchant's cash method it was taken by, if any. The payment is
    tied to the open shift of `register` ("main" by default); with the merchant's
    `require_open_shift` on and no shift open there, 409 and nothing is written.
    """
    tender = cash_tender_checked(
        merchant=merchant,
        amount_due=amount_due,
        amount_paid=amount_paid,
        payment_method=payment_method,
        allow_partial=allow_partial,
    )
    amount_due, amount_paid = tender.amount_due, tender.amount_paid
    amount, change = tender.amount, tender.change
    with transaction.atomic():
        shift = shift_for_cash(merchant=merchant, register=register)
        payment = _payment_create(
            merchant=merchant,
            reference_kind=reference_kind,
            reference_id=reference_id,
            shift=shift,
            gateway=Payment.Gateway.CASH,
            method=Payment.Method.CASH,
            amount=amount,
            gateway_order_id=_new_gateway_order_id(reference_kind, reference_id),
            cash_tendered_amount=amount_paid,
            change_amount=change,
            received_by=actor.user,
            payment_method=payment_method,
        )
        payment = _commit_change(
            payment,
            Status.PAID,
            kind=Kind.CASH,
            raw={
                "amount_due": str(amount_due),
                "amount_paid": str(amount_paid),
                "change": str(change),
                "cashier": getattr(actor.user, "pk", None),
            },
            actor=actor,
        )
    return CashReceipt(payment=payment, change=change)


def payment_record_manual(
    *,
    merchant: Merchant,
    reference_kind: str,
    reference_id: str,
    payment_method: PaymentMethod,
    amount: Decimal,
    amount_due: Decimal,
    actor: Actor,
    reference: str = "",
    register: str | None = None,
) -> Payment:
    """A tender staff took outside any gateway of ours (a card on the EDC terminal, a bank
    transfer, a printed QRIS code, an e-wallet): a paid payment of `amount`, by `actor`.
    Every non-cash manual tender goes through here; it is tied to the open shift of
    `register` when there is one (the shift's takings by method), never refused for lack.

    Money that is not cash has no change: `amount` above `amount_due` is a 400 naming
    `amount`. `reference` is what staff noted (an approval code, a transfer reference).
    """
    amount = manual_tender_checked(
        merchant=merchant, payment_method=payment_method, amount=amount, amount_due=amount_due
    )
    with transaction.atomic():
        shift = shift_for_cash(merchant=merchant, register=register, required=False)
        payment = _payment_create(
            merchant=merchant,
            reference_kind=reference_kind,
            reference_id=reference_id,
            shift=shift,
            gateway=Payment.Gateway.MANUAL,
            method=payment_method.kind,
            amount=amount,
            gateway_order_id=_new_gateway_order_id(reference_kind, reference_id),
            received_by=actor.user,
            payment_method=payment_method,
            tender_reference=(reference or "").strip()[:100],
        )
        return _commit_change(
            payment,
            Status.PAID,
            kind=Kind.MANUAL,
            raw={
                "method": payment_method.name,
                "kind": payment_method.kind,
                "amount": str(amount),
                "reference": payment.tender_reference,
                "staff": getattr(actor.user, "pk", None),
            },
            actor=actor,
        )


def manual_tender_checked(
    *, merchant: Merchant, payment_method: PaymentMethod, amount: Decimal, amount_due: Decimal
) -> Decimal:
    """The amount of a manual tender once checked (the rules of `payment_record_manual`)."""
    _check_method(payment_method, merchant, kinds=PaymentMethod.MANUAL_KINDS)
    amount = _checked_amount(amount, merchant.currency)
    amount_due = _checked_amount(amount_due, merchant.currency, field="amount_due")
    if amount > amount_due:
        raise DomainError(
            gettext(
                "%(name)s cannot take more than the %(amount_due)s due (%(amount)s "
                "asked); only cash gives change."
            )
            % {"name": payment_method.name, "amount_due": amount_due, "amount": amount},
            code="tender_above_due",
            details={"amount": gettext("at most %(amount)s") % {"amount": amount_due}},
        )
    return amount


@dataclass(frozen=True)
class CashTender:
    amount_due: Decimal
    amount_paid: Decimal  # handed over
    amount: Decimal  # what it pays
    change: Decimal


def cash_tender_checked(
    *,
    merchant: Merchant,
    amount_due: Decimal,
    amount_paid: Decimal,
    payment_method: PaymentMethod | None = None,
    allow_partial: bool = False,
) -> CashTender:
    """A cash tender once checked (the rules of `payment_record_cash`): what it pays and the
    change."""
    amount_due = _checked_amount(amount_due, merchant.currency)
    # Whole rupiah: no coin pays a fraction of one.
    amount_paid = _checked_amount(amount_paid, merchant.currency, field="amount_paid")
    if payment_method is not None:
        _check_method(payment_method, merchant, kinds={PaymentMethod.Kind.CASH})
    amount, change = cash_tender_split(
        amount_due=amount_due, amount_paid=amount_paid, allow_partial=allow_partial
    )
    return CashTender(amount_due=amount_due, amount_paid=amount_paid, amount=amount, change=change)


def _check_method(method: PaymentMethod, merchant: Merchant, *, kinds) -> None:
    if method.merchant_id != merchant.pk:
        raise DomainError(
            gettext("That payment method belongs to another merchant."),
            details={"method_id": [gettext("Not a payment method of this merchant.")]},
        )
    if not method.is_active:
        raise DomainError(
            gettext("%(name)s is switched off; choose another payment method.")
            % {"name": method.name},
            details={"method_id": [gettext("Inactive.")]},
        )
    if method.kind not in kinds:
        raise DomainError(
            gettext("%(name)s (%(kind)s) cannot be recorded this way.")
            % {"name": method.name, "kind": method.get_kind_display()},
            details={"method_id": [gettext("Wrong kind of payment method.")]},
        )


# --- asking and telling the gateway ---------------------------------------------------------


def payment_check_status(
    *, payment: Payment, actor: Actor, source: str = Kind.STATUS_CHECK
) -> Payment:
    """Ask the gateway where the payment stands and apply the answer (idempotent).

    Midtrans knows a Snap payment only once the customer has picked a method; until then it
    stays pending, and once its token has expired it is marked expired here.
    """
    if payment.is_recorded_here:
        return payment
    adapter = _adapter_for(payment)
    report = _logged_call(
        payment.merchant,
        lambda: adapter.get_status(
            order_id=payment.gateway_order_id, transaction_id=payment.gateway_transaction_id
        ),
    )
    with transaction.atomic():
        _log_exchange(payment, report.exchange)
        if report.payload is not None:
            return payment_apply_gateway_status(
                payment=payment, gateway_payload=report.payload, source=source, actor=actor
            )
        locked = _lock(payment)
        if (
            locked.status == Status.PENDING
            and locked.expires_at is not None
            and locked.expires_at < timezone.now()
        ):
            return _commit_change(
                locked,
                Status.EXPIRED,
                kind=source,
                raw=report.exchange.response,
                message="Expired unused: the gateway never saw a payment before the expiry.",
                actor=actor,
            )
        return locked


def payment_cancel(*, payment: Payment, actor: Actor) -> Payment:
    """Cancel a pending payment at the gateway (or here, if the gateway has none yet)."""
    return _close_pending(payment, target=Status.CANCELLED, kind=Kind.CANCEL, actor=actor)


def payment_expire(*, payment: Payment, actor: Actor) -> Payment:
    """Expire a pending payment now (its QR or token can no longer be paid)."""
    return _close_pending(payment, target=Status.EXPIRED, kind=Kind.EXPIRE, actor=actor)


def payment_refund(
    *,
    payment: Payment,
    actor: Actor,
    amount: Decimal | None = None,
    reason: str,
    register: str | None = None,
) -> Payment:
    """Refund all that is left (`amount=None`) or part of a paid payment; never more than was
    paid minus what was refunded before. Midtrans refunds go through its refund API; cash
    and manual tenders' refunds are recorded (the cashier hands the money back). Every cash
    refund goes through here: it leaves the drawer of the open shift of `register` ("main"
    by default), whichever shift took the sale (409 when the merchant requires a shift and
    none is open there)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            gettext("Give a reason for the refund."), details={"reason": gettext("required")}
        )
    with transaction.atomic():
        locked = _lock(payment)
        if locked.status not in (Status.PAID, Status.PARTIALLY_REFUNDED):
            raise Conflict(
                gettext("Only a paid payment can be refunded; this one is %(status)s.")
                % {"status": locked.get_status_display()}
            )
        refundable = locked.refundable_amount
        amount = refundable if amount is None else _decimal_or_error(amount, "amount")
        if amount <= 0:
            raise DomainError(
                gettext("A refund must be more than zero."), details={"amount": "> 0"}
            )
        if amount > refundable:
            raise DomainError(
                gettext(
                    "At most %(refundable)s can still be refunded (paid %(amount)s, "
                    "refunded %(refunded_amount)s already)."
                )
                % {
                    "refundable": refundable,
                    "amount": locked.amount,
                    "refunded_amount": locked.refunded_amount,
                },
                code="refund_too_large",
                details={"amount": gettext("at most %(amount)s") % {"amount": refundable}},
            )
        _checked_amount(amount, locked.currency, field="amount")
        new_total = locked.refunded_amount + amount
        target = Status.REFUNDED if new_total == locked.amount else Status.PARTIALLY_REFUNDED

        if locked.gateway == Payment.Gateway.MIDTRANS:
            gateway = MidtransGateway.for_merchant(locked.merchant)
            report = _logged_call(
                locked.merchant,
                lambda: gateway.refund(
                    order_id=locked.gateway_order_id,
                    # One key per cumulative total: retrying the same refund is not a second one.
                    refund_key=f"{locked.gateway_order_id[:32]}-r"
                    f"{to_minor_units(new_total, locked.currency)}",
                    amount=amount,
                    currency=locked.currency,
                    reason=reason,
                ),
            )
            _log_exchange(locked, report.exchange)
            payload = dict(report.payload or {})
            payload.setdefault("refund_amount", str(new_total))
            payload.setdefault(
                "transaction_status", "refund" if target == Status.REFUNDED else "partial_refund"
            )
            payload["refund_reason"] = reason
            return payment_apply_gateway_status(
                payment=locked, gateway_payload=payload, source=Kind.REFUND, actor=actor
            )
        if locked.is_recorded_here:
            # Cash handed back, a card slip voided at the terminal, a transfer sent back.
            if locked.gateway == Payment.Gateway.CASH:
                shift = shift_for_cash(merchant=locked.merchant, register=register)
                if shift is not None:
                    shift_record_refund(
                        shift=shift, payment=locked, amount=amount, reason=reason, actor=actor
                    )
            locked.refunded_amount = new_total
            return _commit_change(
                locked,
                target,
                kind=Kind.REFUND,
                raw={"amount": str(amount), "reason": reason, "refunded_total": str(new_total)},
                extra_fields=("refunded_amount",),
                actor=actor,
            )
        raise Conflict(
            gettext(
                "Xendit QRIS payments are refunded in the Xendit dashboard; this back-office "
                "cannot "
                "refund them."
            ),
            code="refund_not_supported",
        )


# --- the one place gateway statuses become ours ---------------------------------------------


def payment_apply_gateway_status(
    *, payment: Payment, gateway_payload: dict, source: str, actor: Actor
) -> Payment:
    """Apply what a gateway reports (status API answer, verified notification or callback),
    on behalf of `actor` (who asked: staff checking or refunding, or SYSTEM for webhooks).

    Idempotent: the same state reported twice changes nothing and writes nothing. A move the
    state graph does not allow (a late `pending` after `settlement`) is logged and ignored; a
    reported amount other than the payment's flags the payment and never marks it paid.
    Returns the payment as it now stands.
    """
    if payment.gateway == Payment.Gateway.MIDTRANS:
        outcome = midtrans.status_outcome(gateway_payload)
    elif payment.gateway == Payment.Gateway.XENDIT:
        outcome = xendit.status_outcome(gateway_payload)
    else:
        raise Conflict(gettext("Cash and manual payments have no gateway status to apply."))
    if outcome.reference and outcome.reference != payment.gateway_order_id:
        raise Conflict(
            gettext("The gateway reported order %(reference)s, not %(gateway_order_id)s.")
            % {"reference": outcome.reference, "gateway_order_id": payment.gateway_order_id}
        )

    with transaction.atomic():
        locked = _lock(payment)
        dedupe_key = f"{locked.gateway}:{locked.gateway_order_id}:{outcome.key}"[:200]
        if PaymentEvent.objects.filter(dedupe_key=dedupe_key).exists():
            return locked

        fields: list[str] = []
        if outcome.transaction_id and not locked.gateway_transaction_id:
            locked.gateway_transaction_id = outcome.transaction_id
            fields.append("gateway_transaction_id")
        if outcome.gateway_status and outcome.gateway_status != locked.gateway_status:
            locked.gateway_status = outcome.gateway_status[:60]
            fields.append("gateway_status")

        target, message = outcome.status, ""
        if outcome.amount is not None and outcome.amount != locked.amount:
            message = (
                f"Amount mismatch: the gateway reports {outcome.amount}, the payment is "
                f"{locked.amount}. Not marked paid; check it by hand."
            )
            logger.error("Payment %s: %s", locked.gateway_order_id, message)
            if not locked.amount_mismatch:
                locked.amount_mismatch = True
                fields.append("amount_mismatch")
            if target == Status.PAID:
                target = None
        if target is None and not message:
            message = f"Gateway status '{outcome.gateway_status}' changes nothing here."

        if target is not None and target != locked.status and not locked.can_move_to(target):
            message = f"Ignored: a payment cannot go from {locked.status} to {target}."
            logger.warning("Payment %s: %s", locked.gateway_order_id, message)
            target = None
        if target in (Status.REFUNDED, Status.PARTIALLY_REFUNDED):
            refunded = outcome.refunded_amount
            if target == Status.REFUNDED and refunded is None:
                refunded = locked.amount
            refunded = min(refunded or locked.refunded_amount, locked.amount)
            if refunded > locked.refunded_amount:
                locked.refunded_amount = refunded
                fields.append("refunded_amount")
        return _commit_change(
            locked,
            target if target is not None else locked.status,
            kind=source,
            raw=gateway_payload,
            message=message,
            dedupe_key=dedupe_key,
            extra_fields=tuple(fields),
            actor=actor,
        )


# --- reconciliation -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReconcileSummary:
    checked: int
    changed: int
    failed: int


def payment_reconcile_pending(
    *, older_than_seconds: int | None = None, limit: int = 500
) -> ReconcileSummary:
    """Ask the gateway about every payment still pending after a while, so a lost notification
    never leaves a reference unpaid for ever. One failing payment does not stop the batch."""
    if older_than_seconds is None:
        older_than_seconds = settings.PAYMENT_RECONCILE_AFTER_SECONDS
    checked = changed = failed = 0
    for payment in payment_list_stale_pending(older_than_seconds=older_than_seconds, limit=limit):
        checked += 1
        try:
            updated = payment_check_status(payment=payment, actor=SYSTEM)
        except Exception:
            failed += 1
            logger.exception("Reconciling payment %s failed", payment.gateway_order_id)
            continue
        changed += updated.status != payment.status
    return ReconcileSummary(checked=checked, changed=changed, failed=failed)


# --- helpers --------------------------------------------------------------------------------


def _commit_change(
    payment: Payment,
    new_status: str,
    *,
    kind: str,
    raw: dict,
    message: str = "",
    dedupe_key: str | None = None,
    extra_fields: tuple[str, ...] = (),
    actor: Actor,
) -> Payment:
    """Record one event and, if the status really changes, move it and tell the owner (who
    records `actor` as the one who caused it).

    The caller holds the row lock (or has just created the row) and has checked nothing more
    than it wanted to: the move is checked here against ALLOWED_TRANSITIONS.
    """
    old_status = payment.status
    changed = new_status != old_status
    if changed and not payment.can_move_to(new_status):
        raise Conflict(
            gettext("A payment cannot go from %(status)s to %(new_status)s.")
            % {"status": payment.get_status_display(), "new_status": new_status},
            code="invalid_transition",
        )
    fields = set(extra_fields)
    if changed:
        payment.status = new_status
        fields.add("status")
        if new_status == Status.PAID and payment.paid_at is None:
            payment.paid_at = timezone.now()
            fields.add("paid_at")
    PaymentEvent.objects.create(
        payment=payment,
        kind=kind,
        raw=raw,
        old_status=old_status,
        new_status=new_status if changed else "",
        message=message[:255],
        dedupe_key=dedupe_key,
    )
    if fields:
        payment.save(update_fields=[*sorted(fields), "updated_at"])
    if changed:
        registry.notify(payment, old_status, new_status, actor=actor)
    return payment


def _close_pending(payment: Payment, *, target: str, kind: str, actor: Actor) -> Payment:
    verb = "cancelled" if target == Status.CANCELLED else "expired"
    if payment.status != Status.PENDING:
        raise Conflict(
            gettext("Only a pending payment can be %(verb)s; this one is %(status)s.")
            % {"verb": verb, "status": payment.get_status_display()}
        )
    if payment.gateway == Payment.Gateway.MIDTRANS:
        gateway = MidtransGateway.for_merchant(payment.merchant)
        call = gateway.cancel if target == Status.CANCELLED else gateway.expire
        report = _logged_call(payment.merchant, lambda: call(order_id=payment.gateway_order_id))
        with transaction.atomic():
            _log_exchange(payment, report.exchange)
            if report.payload is not None:
                return payment_apply_gateway_status(
                    payment=payment, gateway_payload=report.payload, source=kind, actor=actor
                )
            return _commit_change(
                _lock(payment),
                target,
                kind=kind,
                raw=report.exchange.response,
                message=f"{verb.capitalize()} here: Midtrans had no transaction for it yet.",
                actor=actor,
            )
    # Xendit dynamic QR codes lapse on their own at their expiry; cash was never taken.
    with transaction.atomic():
        return _commit_change(
            _lock(payment), target, kind=kind, raw={}, message=f"{verb} here", actor=actor
        )


def _lock(payment: Payment) -> Payment:
    # Lock the payment row only, not the merchant joined in for its keys.
    return (
        Payment.objects.select_for_update(of=("self",))
        .select_related("merchant")
        .get(pk=payment.pk)
    )


def _adapter_for(payment: Payment) -> MidtransGateway | XenditGateway:
    if payment.gateway == Payment.Gateway.XENDIT:
        return XenditGateway.for_merchant(payment.merchant)
    return MidtransGateway.for_merchant(payment.merchant)


def _logged_call(merchant: Merchant, call):
    """Run a gateway call in one of the merchant's gateway slots (see gateway_slots.py); a
    failure is logged (nothing is written) and raised as it is."""
    try:
        with gateway_slot(merchant.pk):
            return call()
    except DomainError as error:
        logger.warning("Gateway call for merchant %s failed: %s", merchant.pk, error.message)
        raise


def _log_exchange(payment: Payment, exchange: GatewayExchange) -> None:
    PaymentEvent.objects.bulk_create(
        [
            PaymentEvent(
                payment=payment,
                kind=Kind.REQUEST,
                raw={"operation": exchange.operation, "body": exchange.request},
            ),
            PaymentEvent(
                payment=payment,
                kind=Kind.RESPONSE,
                raw={"operation": exchange.operation, "body": exchange.response},
            ),
        ]
    )


def _payment_create(*, merchant: Merchant, reference_id: str, **fields) -> Payment:
    payment = Payment(
        merchant=merchant, reference_id=str(reference_id), currency=merchant.currency, **fields
    )
    payment.full_clean(validate_unique=False, validate_constraints=False)
    payment.save(force_insert=True)
    return payment


def _new_gateway_order_id(reference_kind: str, reference_id: str) -> str:
    """Readable in the Midtrans dashboard, unique, ≤ 50 of the characters Midtrans allows."""
    readable = re.sub(r"[^A-Za-z0-9_.~-]+", "-", f"{reference_kind[:8]}-{reference_id}")
    return f"{readable[:38]}-{secrets.token_hex(5).upper()}"


def _decimal_or_error(value, field: str) -> Decimal:
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError(
            gettext("%(field)s must be a number.") % {"field": field},
            details={field: gettext("a number")},
        ) from None
    if not result.is_finite():
        raise DomainError(
            gettext("%(field)s must be a number.") % {"field": field},
            details={field: gettext("a number")},
        )
    return result


def _checked_amount(value, currency: str, field: str = "amount") -> Decimal:
    amount = _decimal_or_error(value, field)
    if amount <= 0:
        raise DomainError(
            gettext("%(field)s must be more than zero.") % {"field": field}, details={field: "> 0"}
        )
    problem = precision_problem(amount, currency)
    if problem is not None:
        raise DomainError(problem, details={field: problem})
    return amount.quantize(CENT)
