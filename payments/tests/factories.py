from decimal import Decimal

import factory

from merchants.models import Merchant
from merchants.tests.factories import MerchantFactory
from payments.models import Payment, PaymentEvent
from payments.tests.stubs import CLIENT_KEY, SERVER_KEY, XENDIT_SECRET_KEY


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


class PaymentEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentEvent

    payment = factory.SubFactory(PaymentFactory)
    kind = PaymentEvent.Kind.STATUS_CHECK
    raw = factory.LazyFunction(dict)
