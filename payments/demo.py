"""Demo payment methods for Kopi Kita: cash, a card terminal, a printed QRIS code, transfer;
and an open cash drawer shift on its "main" register, so cash taken in the demo has a drawer."""

from decimal import Decimal

from django.contrib.auth import get_user_model

from merchants.actors import SYSTEM, Actor
from merchants.models import Merchant
from payments.models import PaymentMethod
from payments.shifts import shift_current, shift_open

Kind = PaymentMethod.Kind
METHODS = [
    (Kind.CASH, "Cash"),
    (Kind.CARD, "Card (BCA EDC)"),
    (Kind.QRIS_STATIC, "QRIS (printed)"),
    (Kind.TRANSFER, "Bank transfer"),
]


def payment_methods_seed(merchant: Merchant) -> list[PaymentMethod]:
    """The demo methods of `merchant`, created or refreshed (safe to run again)."""
    return [
        PaymentMethod.objects.update_or_create(
            merchant=merchant,
            name=name,
            defaults={"kind": kind, "is_active": True, "sort_order": index * 10},
        )[0]
        for index, (kind, name) in enumerate(METHODS)
    ]


def seed(stdout) -> None:
    merchant = Merchant.objects.filter(slug="kopi-kita").first()
    if merchant is None:
        return
    methods = payment_methods_seed(merchant)
    stdout.write(f"  payments: {len(methods)} payment methods at Kopi Kita")
    if shift_current(merchant=merchant) is None:
        cashier = get_user_model().objects.filter(username="cashier").first()
        shift_open(
            merchant=merchant,
            actor=Actor.staff(cashier) if cashier else SYSTEM,
            opening_cash=Decimal(200000),
        )
        stdout.write('  payments: a shift open on register "main" with 200000 in the drawer')
