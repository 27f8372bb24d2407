"""Gateway webhooks: verify → log → dispatch. A Midtrans notification or a Xendit callback is
logged as a PaymentEvent before anything else (even when it names no payment or fails its
check), verified with the merchant's server key or the callback token, then applied through
the payment life cycle in `payments.services`, acting as SYSTEM.
"""

import hmac
import logging

from django.conf import settings
from django.utils.translation import gettext

from merchants.actors import SYSTEM
from merchants.errors import NotFound, PermissionDenied
from payments.gateways import xendit
from payments.gateways.midtrans import signature_is_valid
from payments.models import Payment, PaymentEvent
from payments.services import payment_apply_gateway_status, payment_check_status

logger = logging.getLogger(__name__)

Kind = PaymentEvent.Kind


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
    _log_received(payment, Kind.NOTIFICATION, body, valid, f"order_id '{order_id}'")
    if payment is None:
        raise NotFound(
            gettext("No Midtrans payment has order_id '%(order_id)s'.") % {"order_id": order_id}
        )
    if not valid:
        logger.warning("Midtrans notification for %s has a bad signature", order_id)
        raise PermissionDenied(gettext("The signature_key does not match this order's server key."))
    return payment_check_status(payment=payment, actor=SYSTEM)


def xendit_callback_token_is_valid(token: str | None) -> bool:
    expected = settings.XENDIT_CALLBACK_TOKEN
    return bool(expected) and hmac.compare_digest(expected.encode(), (token or "").encode())


def payment_handle_xendit_callback(*, body: dict, callback_token: str | None) -> Payment:
    """A Xendit QR payment callback, flat or nested under `data`; the `x-callback-token`
    header must equal `XENDIT_CALLBACK_TOKEN`. Logged first, like Midtrans notifications."""
    callback = xendit.callback_read(body)
    reference, qr_id = callback.reference, callback.qr_id
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
    _log_received(payment, Kind.CALLBACK, body, valid, f"reference '{reference}'")
    if not valid:
        logger.warning("Xendit callback with a wrong x-callback-token")
        raise PermissionDenied(gettext("The x-callback-token does not match."))
    if payment is None:
        raise NotFound(
            gettext("No Xendit payment has reference '%(reference)s' or QR id '%(qr_id)s'.")
            % {"reference": reference, "qr_id": qr_id}
        )
    return payment_apply_gateway_status(
        payment=payment, gateway_payload=callback.data, source=Kind.CALLBACK, actor=SYSTEM
    )


def _log_received(
    payment: Payment | None, kind: str, body: dict, valid: bool | None, what: str
) -> None:
    """The webhook as it came, before anything else happens; `what` names what it was for."""
    if payment is None:
        note = f"No payment for {what}."
    else:
        note = "Verified." if valid else "Rejected: signature or token does not match."
    PaymentEvent.objects.create(
        payment=payment, kind=kind, raw=body, signature_valid=valid, message=note
    )
