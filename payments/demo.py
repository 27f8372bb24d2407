"""Demo payments for Kopi Kita: one cash sale (paid) and one refunded, to browse in the admin.

They reference `demo` (not a real order), so no other app needs to exist for them.
"""

from decimal import Decimal

from django.utils import timezone

from merchants.models import Merchant
from payments.models import Payment, PaymentEvent


def seed(stdout) -> None:
    merchant = Merchant.objects.filter(slug="kopi-kita").first()
    if merchant is None:
        return
    now = timezone.now()
    rows = [
        ("DEMO-CASH-0001", Decimal("45000"), Payment.Status.PAID, Decimal("0")),
        ("DEMO-CASH-0002", Decimal("30000"), Payment.Status.PARTIALLY_REFUNDED, Decimal("12000")),
    ]
    for order_id, amount, status, refunded in rows:
        payment, created = Payment.objects.update_or_create(
            gateway_order_id=order_id,
            defaults={
                "merchant": merchant,
                "reference_kind": "demo",
                "reference_id": order_id,
                "gateway": Payment.Gateway.CASH,
                "method": Payment.Method.CASH,
                "amount": amount,
                "currency": merchant.currency,
                "status": status,
                "paid_at": now,
                "refunded_amount": refunded,
                "cash_tendered_amount": amount + Decimal("5000"),
                "change_amount": Decimal("5000"),
            },
        )
        if created:
            PaymentEvent.objects.create(
                payment=payment,
                kind=PaymentEvent.Kind.CASH,
                raw={"amount_due": str(amount), "amount_paid": str(amount + Decimal("5000"))},
                old_status=Payment.Status.PENDING,
                new_status=Payment.Status.PAID,
                message="Demo cash sale",
            )
    stdout.write("  payments: 2 demo cash payments at Kopi Kita")
