from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from merchants.models import Membership
from merchants.tests.tenancy import AdminRowsCase, EndpointCase, ReportCase
from payments.models import Payment, Shift
from payments.tests.factories import (
    CashMovementFactory,
    PaymentEventFactory,
    PaymentFactory,
    PaymentMethodFactory,
    ShiftFactory,
)

CASES = [
    EndpointCase(
        basename="payment",
        factory=PaymentFactory,
        create_payload=None,  # payments are created by the apps that sell, not here
        deletable=False,
        updatable=False,
        detail_actions=(("post", "check-status"), ("post", "refund")),
    ),
    EndpointCase(
        basename="payment-method",
        factory=PaymentMethodFactory,
        create_payload=lambda merchant: {"kind": "card", "name": "BCA EDC"},
    ),
    EndpointCase(
        basename="shift",
        factory=ShiftFactory,
        create_payload=None,  # opened through /shifts/open (see test_shifts)
        deletable=False,
        updatable=False,
        write_role=Membership.Role.OFFICER,
        detail_actions=(("post", "close"), ("post", "cash-movements")),
    ),
]


def _paid_today(merchant) -> str:
    amount = Decimal(130000 + merchant.pk)
    PaymentFactory(
        merchant=merchant,
        method=Payment.Method.QRIS,
        amount=amount,
        status=Payment.Status.PAID,
        paid_at=timezone.now(),
    )
    return f"{amount:.2f}"


REPORT_CASES = [
    ReportCase(
        "panel-payment-methods",
        lambda: reverse("api:report-panel", kwargs={"name": "payment-methods"}),
        _paid_today,
        read_role=Membership.Role.OWNER,
    ),
]

ADMIN_ROWS_CASES = [
    AdminRowsCase(Shift, ShiftFactory),
    AdminRowsCase(Shift, ShiftFactory, CashMovementFactory, parent="shift"),
    AdminRowsCase(Payment, PaymentFactory),
    AdminRowsCase(Payment, PaymentFactory, PaymentEventFactory, parent="payment"),
]
