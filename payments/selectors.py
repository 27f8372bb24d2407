"""Reads for payments."""

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from merchants.models import Merchant
from payments.gateways import midtrans, xendit
from payments.models import Payment, PaymentEvent


def payment_list_for_reference(
    *, merchant: Merchant, reference_kind: str, reference_id: str
) -> QuerySet[Payment]:
    """Every attempt at paying one reference, newest first."""
    return (
        Payment.objects.filter(
            merchant=merchant, reference_kind=reference_kind, reference_id=str(reference_id)
        )
        .select_related("payment_method")
        .order_by("-created_at", "-pk")
    )


def payment_latest_for_reference(
    *,
    merchant: Merchant,
    reference_kind: str,
    reference_id: str,
    statuses: tuple[str, ...] | None = None,
) -> Payment | None:
    """The newest attempt for a reference (optionally only in `statuses`), or None."""
    payments = payment_list_for_reference(
        merchant=merchant, reference_kind=reference_kind, reference_id=reference_id
    )
    if statuses:
        payments = payments.filter(status__in=statuses)
    return payments.first()


def payment_list_stale_pending(*, older_than_seconds: int, limit: int = 500) -> QuerySet[Payment]:
    """Gateway payments still pending after `older_than_seconds`, across merchants (oldest
    first). Used by the reconciliation task, which works for the whole platform."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return (
        Payment.objects.filter(status=Payment.Status.PENDING, created_at__lt=cutoff)
        .exclude(gateway__in=[Payment.Gateway.CASH, Payment.Gateway.MANUAL])
        .select_related("merchant")
        .order_by("created_at", "pk")[:limit]
    )


def payment_channel(*, payment: Payment) -> str:
    """How the customer paid, as the gateway last reported it: Midtrans' `payment_type`
    ("gopay", "qris", "bank_transfer"…), Xendit's `channel_code` ("ID_DANA"…), "cash", or ""
    while the gateway has not said."""
    if payment.is_recorded_here:
        return payment.method
    gateway = _GATEWAY_MODULES.get(payment.gateway)
    if gateway is None:
        return ""
    reports = (
        payment.events.exclude(kind__in=[PaymentEvent.Kind.REQUEST, PaymentEvent.Kind.RESPONSE])
        .order_by("-created_at", "-pk")
        .values_list("raw", flat=True)[:20]
    )
    for raw in reports:
        if isinstance(raw, dict):
            channel = gateway.reported_channel(raw)
            if channel:
                return channel
    return ""


def payment_channel_label(*, payment: Payment) -> str:
    """How the customer paid, in words they recognise ("GoPay", "DANA (QRIS)", "Cash"); the
    payment method's name while the gateway has not said."""
    gateway = _GATEWAY_MODULES.get(payment.gateway)
    channel = payment_channel(payment=payment) if gateway is not None else ""
    if not channel:
        if payment.payment_method_id and payment.gateway == Payment.Gateway.MANUAL:
            return payment.payment_method.name
        return payment.get_method_display()
    return gateway.CHANNEL_LABELS.get(channel, channel.replace("_", " ").capitalize())


# The modules that know what each gateway's stored payloads say (cash has none).
_GATEWAY_MODULES = {Payment.Gateway.MIDTRANS: midtrans, Payment.Gateway.XENDIT: xendit}
