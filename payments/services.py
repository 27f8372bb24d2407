"""Writes for payments: create at a gateway, take cash, apply gateway statuses, refund.

Rules every function here keeps:
- A gateway call happens before anything is written, or inside the transaction that records it,
  so a timeout or a 5xx leaves no row behind.
- Every gateway call is logged as a REQUEST and a RESPONSE event (raw JSON, never a key).
- A status changes only through `_commit_change`: row locked, move checked against
  `Payment.ALLOWED_TRANSITIONS`, an event written, `update_fields` saved, and the owner of the
  reference told through `payments.registry` inside the same transaction.
"""

import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from merchants.errors import Conflict, DomainError, NotFound, PermissionDenied
from merchants.models import Merchant
from payments import registry
from payments.gateway_slots import gateway_slot
from payments.gateways.base import (
    ZERO_DECIMAL_CURRENCIES,
    CustomerDetails,
    GatewayExchange,
    LineItem,
    items_total,
    to_minor_units,
)
from payments.gateways.midtrans import MidtransGateway, signature_is_valid
from payments.gateways.xendit import PAID_STATUSES as XENDIT_PAID_STATUSES
from payments.gateways.xendit import XenditGateway
from payments.models import Payment, PaymentEvent
from payments.selectors import payment_list_stale_pending

logger = logging.getLogger(__name__)

Status = Payment.Status
Kind = PaymentEvent.Kind
CENT = Decimal("0.01")


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
) -> Payment:
    """A Midtrans Snap token and redirect URL for paying `amount` for one reference.

    `items` must add up to `amount` exactly (tax, service charge and discount as their own
    lines). A pending Snap payment of the same reference and amount that is still valid for a
    minute is returned instead of a new one, so a customer who reloads gets the same token.
    """
    amount = _checked_amount(amount, merchant.currency)
    if items_total(items) != amount:
        raise DomainError(
            f"The lines add up to {items_total(items)} but the amount is {amount}; add tax, "
            "service and discounts as their own lines.",
            code="item_total_mismatch",
            details={"items": "must add up to the amount"},
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
) -> Payment:
    """A dynamic QRIS code for `amount`, valid `expiry_minutes`, from the merchant's QRIS
    gateway (`merchant.qris_gateway`: Midtrans Core API or Xendit)."""
    amount = _checked_amount(amount, merchant.currency)
    if not 1 <= expiry_minutes <= 24 * 60:
        raise DomainError(
            "A QRIS code must be valid between 1 minute and 24 hours.",
            details={"expiry_minutes": "between 1 and 1440"},
        )
    if merchant.qris_gateway == Merchant.QrisGateway.XENDIT:
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
        )
        _log_exchange(payment, charge.exchange)
    return payment


@dataclass(frozen=True)
class CashReceipt:
    payment: Payment
    change: Decimal


def payment_record_cash(
    *,
    merchant: Merchant,
    reference_kind: str,
    reference_id: str,
    amount_due: Decimal,
    amount_paid: Decimal,
    cashier,
) -> CashReceipt:
    """Cash taken at the counter: a paid payment and the change to hand back.

    `amount_due` is what the caller wants paid (already rounded to what cash can pay).
    """
    amount_due = _checked_amount(amount_due, merchant.currency)
    # Whole rupiah: no coin pays a fraction of one.
    amount_paid = _checked_amount(amount_paid, merchant.currency, field="amount_paid")
    if amount_paid < amount_due:
        raise DomainError(
            f"{amount_paid} in cash is less than the {amount_due} due; take at least {amount_due}.",
            code="insufficient_cash",
            details={"amount_paid": f"at least {amount_due}"},
        )
    change = amount_paid - amount_due
    with transaction.atomic():
        payment = _payment_create(
            merchant=merchant,
            reference_kind=reference_kind,
            reference_id=reference_id,
            gateway=Payment.Gateway.CASH,
            method=Payment.Method.CASH,
            amount=amount_due,
            gateway_order_id=_new_gateway_order_id(reference_kind, reference_id),
            cash_tendered_amount=amount_paid,
            change_amount=change,
            received_by=cashier,
        )
        payment = _commit_change(
            payment,
            Status.PAID,
            kind=Kind.CASH,
            raw={
                "amount_due": str(amount_due),
                "amount_paid": str(amount_paid),
                "change": str(change),
                "cashier": getattr(cashier, "pk", None),
            },
        )
    return CashReceipt(payment=payment, change=change)


# --- asking and telling the gateway ---------------------------------------------------------


def payment_check_status(*, payment: Payment, source: str = Kind.STATUS_CHECK) -> Payment:
    """Ask the gateway where the payment stands and apply the answer (idempotent).

    Midtrans knows a Snap payment only once the customer has picked a method; until then it
    stays pending, and once its token has expired it is marked expired here.
    """
    if payment.gateway == Payment.Gateway.CASH:
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
                payment=payment, gateway_payload=report.payload, source=source
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
            )
        return locked


def payment_cancel(*, payment: Payment) -> Payment:
    """Cancel a pending payment at the gateway (or here, if the gateway has none yet)."""
    return _close_pending(payment, target=Status.CANCELLED, kind=Kind.CANCEL)


def payment_expire(*, payment: Payment) -> Payment:
    """Expire a pending payment now (its QR or token can no longer be paid)."""
    return _close_pending(payment, target=Status.EXPIRED, kind=Kind.EXPIRE)


def payment_refund(*, payment: Payment, amount: Decimal | None = None, reason: str) -> Payment:
    """Refund all that is left (`amount=None`) or part of a paid payment; never more than was
    paid minus what was refunded before. Midtrans refunds go through its refund API; cash
    refunds are recorded (the cashier hands the money back)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give a reason for the refund.", details={"reason": "required"})
    with transaction.atomic():
        locked = _lock(payment)
        if locked.status not in (Status.PAID, Status.PARTIALLY_REFUNDED):
            raise Conflict(
                f"Only a paid payment can be refunded; this one is {locked.get_status_display()}."
            )
        refundable = locked.refundable_amount
        amount = refundable if amount is None else _decimal_or_error(amount, "amount")
        if amount <= 0:
            raise DomainError("A refund must be more than zero.", details={"amount": "> 0"})
        if amount > refundable:
            raise DomainError(
                f"At most {refundable} can still be refunded (paid {locked.amount}, refunded "
                f"{locked.refunded_amount} already).",
                code="refund_too_large",
                details={"amount": f"at most {refundable}"},
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
                payment=locked, gateway_payload=payload, source=Kind.REFUND
            )
        if locked.gateway == Payment.Gateway.CASH:
            locked.refunded_amount = new_total
            return _commit_change(
                locked,
                target,
                kind=Kind.REFUND,
                raw={"amount": str(amount), "reason": reason, "refunded_total": str(new_total)},
                extra_fields=("refunded_amount",),
            )
        raise Conflict(
            "Xendit QRIS payments are refunded in the Xendit dashboard; this back-office cannot "
            "refund them.",
            code="refund_not_supported",
        )


# --- the one place gateway statuses become ours ---------------------------------------------


@dataclass(frozen=True)
class GatewayOutcome:
    status: str | None  # ours, or None when the gateway said something we do not act on
    gateway_status: str
    amount: Decimal | None
    transaction_id: str
    refunded_amount: Decimal | None
    reference: str  # the gateway's copy of our order id, when it sent one
    key: str  # what makes two reports of the same state the same


# Midtrans transaction_status → ours (capture depends on fraud_status, see _midtrans_outcome).
MIDTRANS_STATUSES: dict[str, str] = {
    "pending": Status.PENDING,
    "authorize": Status.PENDING,
    "settlement": Status.PAID,
    "deny": Status.FAILED,
    "failure": Status.FAILED,
    "cancel": Status.CANCELLED,
    "expire": Status.EXPIRED,
    "refund": Status.REFUNDED,
    "chargeback": Status.REFUNDED,
    "partial_refund": Status.PARTIALLY_REFUNDED,
    "partial_chargeback": Status.PARTIALLY_REFUNDED,
}
MIDTRANS_CAPTURE: dict[str, str] = {
    "": Status.PAID,  # low-risk channels send no fraud_status
    "accept": Status.PAID,
    "challenge": Status.PENDING,  # held for review: not paid until accepted
    "deny": Status.FAILED,
}
# Xendit QR code / QR payment status → ours.
XENDIT_STATUSES: dict[str, str] = {
    **dict.fromkeys(XENDIT_PAID_STATUSES, Status.PAID),
    "ACTIVE": Status.PENDING,
    "PENDING": Status.PENDING,
    "INACTIVE": Status.EXPIRED,  # only reported when no payment of the QR succeeded
    "EXPIRED": Status.EXPIRED,
    "FAILED": Status.FAILED,
}


def payment_apply_gateway_status(
    *, payment: Payment, gateway_payload: dict, source: str
) -> Payment:
    """Apply what a gateway reports (status API answer, verified notification or callback).

    Idempotent: the same state reported twice changes nothing and writes nothing. A move the
    state graph does not allow (a late `pending` after `settlement`) is logged and ignored; a
    reported amount other than the payment's flags the payment and never marks it paid.
    Returns the payment as it now stands.
    """
    if payment.gateway == Payment.Gateway.MIDTRANS:
        outcome = _midtrans_outcome(gateway_payload)
    elif payment.gateway == Payment.Gateway.XENDIT:
        outcome = _xendit_outcome(gateway_payload)
    else:
        raise Conflict("Cash payments have no gateway status to apply.")
    if outcome.reference and outcome.reference != payment.gateway_order_id:
        raise Conflict(
            f"The gateway reported order {outcome.reference}, not {payment.gateway_order_id}."
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
        )


# --- webhooks -------------------------------------------------------------------------------


def payment_handle_midtrans_notification(*, body: dict) -> Payment:
    """A Midtrans HTTP notification: logged first, signature checked with the merchant's
    server key, then the status fetched from Midtrans (the truth) and applied.

    Unknown order → NotFound; bad signature → PermissionDenied; nothing changes in either case.
    """
    order_id = body.get("order_id") if isinstance(body.get("order_id"), str) else ""
    payment = (
        Payment.objects.select_related("merchant")
        .filter(gateway_order_id=order_id, gateway=Payment.Gateway.MIDTRANS)
        .first()
        if order_id
        else None
    )
    valid = (
        signature_is_valid(body, server_key=payment.merchant.midtrans_server_key)
        if payment is not None
        else None
    )
    PaymentEvent.objects.create(
        payment=payment,
        kind=Kind.NOTIFICATION,
        raw=body,
        signature_valid=valid,
        message=_webhook_note(payment, valid, f"order_id '{order_id}'"),
    )
    if payment is None:
        raise NotFound(f"No Midtrans payment has order_id '{order_id}'.")
    if not valid:
        logger.warning("Midtrans notification for %s has a bad signature", order_id)
        raise PermissionDenied("The signature_key does not match this order's server key.")
    return payment_check_status(payment=payment)


def xendit_callback_token_is_valid(token: str | None) -> bool:
    expected = settings.XENDIT_CALLBACK_TOKEN
    return bool(expected) and hmac.compare_digest(expected.encode(), (token or "").encode())


def payment_handle_xendit_callback(*, body: dict, callback_token: str | None) -> Payment:
    """A Xendit QR payment callback, flat or nested under `data`; the `x-callback-token`
    header must equal `XENDIT_CALLBACK_TOKEN`. Logged first, like Midtrans notifications."""
    data = body.get("data") if isinstance(body.get("data"), dict) else body
    qr_code = data.get("qr_code") if isinstance(data.get("qr_code"), dict) else {}
    reference = data.get("reference_id") or data.get("external_id") or qr_code.get("external_id")
    qr_id = data.get("qr_id") or qr_code.get("id")
    payment = None
    if isinstance(reference, str) and reference:
        payment = Payment.objects.filter(
            gateway=Payment.Gateway.XENDIT, gateway_order_id=reference
        ).first()
    if payment is None and isinstance(qr_id, str) and qr_id:
        payment = Payment.objects.filter(
            gateway=Payment.Gateway.XENDIT, gateway_transaction_id=qr_id
        ).first()
    valid = xendit_callback_token_is_valid(callback_token)
    PaymentEvent.objects.create(
        payment=payment,
        kind=Kind.CALLBACK,
        raw=body,
        signature_valid=valid,
        message=_webhook_note(payment, valid, f"reference '{reference}'"),
    )
    if not valid:
        logger.warning("Xendit callback with a wrong x-callback-token")
        raise PermissionDenied("The x-callback-token does not match.")
    if payment is None:
        raise NotFound(f"No Xendit payment has reference '{reference}' or QR id '{qr_id}'.")
    return payment_apply_gateway_status(payment=payment, gateway_payload=data, source=Kind.CALLBACK)


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
            updated = payment_check_status(payment=payment)
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
) -> Payment:
    """Record one event and, if the status really changes, move it and tell the owner.

    The caller holds the row lock (or has just created the row) and has checked nothing more
    than it wanted to: the move is checked here against ALLOWED_TRANSITIONS.
    """
    old_status = payment.status
    changed = new_status != old_status
    if changed and not payment.can_move_to(new_status):
        raise Conflict(
            f"A payment cannot go from {payment.get_status_display()} to {new_status}.",
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
        registry.notify(payment, old_status, new_status)
    return payment


def _close_pending(payment: Payment, *, target: str, kind: str) -> Payment:
    verb = "cancelled" if target == Status.CANCELLED else "expired"
    if payment.status != Status.PENDING:
        raise Conflict(
            f"Only a pending payment can be {verb}; this one is {payment.get_status_display()}."
        )
    if payment.gateway == Payment.Gateway.MIDTRANS:
        gateway = MidtransGateway.for_merchant(payment.merchant)
        call = gateway.cancel if target == Status.CANCELLED else gateway.expire
        report = _logged_call(payment.merchant, lambda: call(order_id=payment.gateway_order_id))
        with transaction.atomic():
            _log_exchange(payment, report.exchange)
            if report.payload is not None:
                return payment_apply_gateway_status(
                    payment=payment, gateway_payload=report.payload, source=kind
                )
            return _commit_change(
                _lock(payment),
                target,
                kind=kind,
                raw=report.exchange.response,
                message=f"{verb.capitalize()} here: Midtrans had no transaction for it yet.",
            )
    # Xendit dynamic QR codes lapse on their own at their expiry; cash was never taken.
    with transaction.atomic():
        return _commit_change(_lock(payment), target, kind=kind, raw={}, message=f"{verb} here")


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
        raise DomainError(f"{field} must be a number.", details={field: "a number"}) from None
    if not result.is_finite():
        raise DomainError(f"{field} must be a number.", details={field: "a number"})
    return result


def _checked_amount(value, currency: str, field: str = "amount") -> Decimal:
    amount = _decimal_or_error(value, field)
    if amount <= 0:
        raise DomainError(f"{field} must be more than zero.", details={field: "> 0"})
    if currency.upper() in ZERO_DECIMAL_CURRENCIES and amount != amount.to_integral_value():
        raise DomainError(
            f"{currency} amounts are whole numbers; {amount} has a fraction.",
            details={field: "a whole number"},
        )
    return amount.quantize(CENT)


def _money(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError):
        return None


def _midtrans_outcome(payload: dict) -> GatewayOutcome:
    transaction_status = str(payload.get("transaction_status") or "").lower()
    fraud_status = str(payload.get("fraud_status") or "").lower()
    if transaction_status == "capture":
        status = MIDTRANS_CAPTURE.get(fraud_status)
    else:
        status = MIDTRANS_STATUSES.get(transaction_status)
    refunded = _money(payload.get("refund_amount"))
    return GatewayOutcome(
        status=status,
        gateway_status="/".join(filter(None, [transaction_status, fraud_status])),
        amount=_money(payload.get("gross_amount")),
        transaction_id=str(payload.get("transaction_id") or ""),
        refunded_amount=refunded,
        reference=str(payload.get("order_id") or ""),
        key=f"{transaction_status}:{fraud_status}:{refunded or ''}",
    )


def _xendit_outcome(payload: dict) -> GatewayOutcome:
    status_text = str(payload.get("status") or "").upper()
    object_id = str(payload.get("id") or "")
    return GatewayOutcome(
        status=XENDIT_STATUSES.get(status_text),
        gateway_status=status_text.lower(),
        amount=_money(payload.get("amount")),
        # The QR id is what we keep; a payment object (qrpy_…) names it in qr_id.
        transaction_id=str(
            payload.get("qr_id") or (object_id if object_id.startswith("qr_") else "")
        ),
        refunded_amount=None,
        reference=str(payload.get("reference_id") or ""),
        key=f"{status_text}:{object_id}",
    )


def _webhook_note(payment: Payment | None, valid: bool | None, what: str) -> str:
    if payment is None:
        return f"No payment for {what}."
    return "Verified." if valid else "Rejected: signature or token does not match."
