from decimal import Decimal

import factory
from django.utils import timezone

from merchants.actors import SYSTEM, Actor
from merchants.models import Merchant
from merchants.tests.factories import MerchantFactory
from payments.models import CashMovement, Payment, PaymentEvent, PaymentMethod, Shift
from payments.tests.stubs import CLIENT_KEY, SERVER_KEY, XENDIT_SECRET_KEY, status_payload


class GatewayMerchantFactory(MerchantFactory):
    """A merchant with Midtrans sandbox keys (and a Xendit key) set."""

    midtrans_server_key = SERVER_KEY
    midtrans_client_key = CLIENT_KEY
    xendit_secret_key = XENDIT_SECRET_KEY
    qris_gateway = Merchant.QrisGateway.MIDTRANS


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    merchant = factory.SubFactory(GatewayMerchantFactory)
    reference_kind = "order"
    reference_id = factory.Sequence(lambda n: str(1000 + n))
    gateway = Payment.Gateway.MIDTRANS
    method = Payment.Method.SNAP
    amount = Decimal("150000.00")
    currency = "IDR"
    status = Payment.Status.PENDING
    gateway_order_id = factory.Sequence(lambda n: f"ORDER-TEST-{n:05d}")
    snap_token = "66e4fa55-fdac-4ef9-91b5-733b97d1b862"


class PaymentMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentMethod

    merchant = factory.SubFactory(MerchantFactory)
    kind = PaymentMethod.Kind.CASH
    name = factory.Sequence(lambda n: f"Method {n}")


class ShiftFactory(factory.django.DjangoModelFactory):
    """An open shift on its own register (one open shift per register per merchant)."""

    class Meta:
        model = Shift

    merchant = factory.SubFactory(MerchantFactory)
    register = factory.Sequence(lambda n: f"till-{n}")
    opening_cash = Decimal("200000.00")
    opened_at = factory.LazyFunction(timezone.now)


class CashMovementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CashMovement

    shift = factory.SubFactory(ShiftFactory)
    merchant = factory.SelfAttribute("shift.merchant")
    kind = CashMovement.Kind.IN
    amount = Decimal("50000.00")
    reason = "Float"


class PaymentEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentEvent

    payment = factory.SubFactory(PaymentFactory)
    kind = PaymentEvent.Kind.STATUS_CHECK
    raw = factory.LazyFunction(dict)


def apply_midtrans(
    payment: Payment,
    transaction_status: str,
    amount=None,
    *,
    order_id: str | None = None,
    source: str = PaymentEvent.Kind.STATUS_CHECK,
    actor: Actor = SYSTEM,
    **payload,
) -> Payment:
    """Apply what Midtrans would report (`status_payload`) to `payment`, through the service."""
    from payments.services import payment_apply_gateway_status

    return payment_apply_gateway_status(
        payment=payment,
        gateway_payload=status_payload(
            order_id or payment.gateway_order_id,
            transaction_status,
            payment.amount if amount is None else amount,
            **payload,
        ),
        source=source,
        actor=actor,
    )
