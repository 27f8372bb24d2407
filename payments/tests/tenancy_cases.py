from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from merchants.models import Membership
from merchants.tests.tenancy import AdminRowsCase, EndpointCase, ReportCase
from payments.models import Payment
from payments.tests.factories import PaymentEventFactory, PaymentFactory, PaymentMethodFactory

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
    AdminRowsCase(Payment, PaymentFactory),
    AdminRowsCase(Payment, PaymentFactory, PaymentEventFactory, parent="payment"),
]
