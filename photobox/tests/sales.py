"""Kiosk sales as they happen, for report and export tests: sold through the services.

`sell(...)` sells a session at a given moment (the clock is moved, so its business date and
external id are what the kiosk would get) through the Midtrans stub, then lets the gateway
report the outcome through `payments`, as the webhook would. Needs the `gw` fixture (gateway
HTTP stubbed) and a merchant with Midtrans keys (`pay_merchant` / `shop`).
"""

from datetime import datetime, timedelta
from decimal import Decimal

import time_machine

from merchants.actors import SYSTEM
from payments.models import Payment
from payments.services import payment_refund
from payments.tests import stubs
from payments.tests.factories import apply_midtrans
from photobox.auth import KioskIdentity
from photobox.models import PhotoSession
from photobox.services import photo_session_create

# outcome -> [(minutes after the sale, what Midtrans reports)]
OUTCOMES = {
    "completed": [(1, "settlement")],
    "failed": [(1, "deny")],
    "expired": [(16, "expire")],
    "pending": [],
    "paid_late": [(20, "settlement")],  # after the 15 minutes: the session has ended
    "reversed": [(1, "settlement"), (24 * 60, "deny")],
}


def sell(
    location,
    price,
    at: datetime,
    outcome: str = "completed",
    *,
    email: str = "ani@example.com",
    refund: Decimal | None = None,
) -> PhotoSession:
    """One session of `price` at `location`, sold at `at` and settled as `outcome`; `refund`
    is then refunded through the Midtrans refund API."""
    kiosk = KioskIdentity(location.pk, location.merchant_id, location.machine_code)
    stubs.stub_qris_charge()
    with time_machine.travel(at, tick=False):
        session = photo_session_create(kiosk=kiosk, price_id=price.pk, email=email)
    for minutes, status in OUTCOMES[outcome]:
        with time_machine.travel(at + timedelta(minutes=minutes), tick=False):
            apply_midtrans(Payment.objects.get(pk=session.payment_id), status)
    if refund:
        payment = Payment.objects.get(pk=session.payment_id)
        stubs.stub_refund(
            payment.gateway_order_id,
            payment.amount,
            refund_amount=refund,
            partial=refund < payment.amount,
        )
        with time_machine.travel(at + timedelta(days=1), tick=False):
            payment_refund(payment=payment, amount=refund, reason="blurry prints", actor=SYSTEM)
    return PhotoSession.objects.get(pk=session.pk)
