"""Demo payment methods for Kopi Kita: cash, a card terminal, a printed QRIS code, transfer."""

from merchants.models import Merchant
from payments.models import PaymentMethod

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
